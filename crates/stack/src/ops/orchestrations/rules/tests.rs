use stackport_model::api::{Orchestration, OrchestrationTask, TokenRef};
use stackport_model::{ComponentId, ConfigId, OrchestrationId, TokenId};

use super::*;

fn config_task(component: &str, config: &str) -> OrchestrationTask {
    OrchestrationTask {
        component_id: Some(component.parse().unwrap()),
        config_id: Some(config.parse().unwrap()),
        orchestration_id: None,
        action: "run".into(),
        active: true,
        continue_on_failure: false,
        phase: "1".into(),
    }
}

fn child_task(child: u64) -> OrchestrationTask {
    OrchestrationTask {
        component_id: None,
        config_id: None,
        orchestration_id: Some(OrchestrationId(child)),
        ..config_task("keboola.ex-db", "1")
    }
}

fn saved(id: u64, tasks: Vec<OrchestrationTask>) -> Orchestration {
    Orchestration {
        id: OrchestrationId(id),
        name: format!("o{id}"),
        crontab_record: None,
        timezone: "UTC".into(),
        active: false,
        notifications: vec![],
        tasks,
        created: stackport_model::time::from_micros(0),
        token: TokenRef {
            id: TokenId(1),
            description: "t".into(),
        },
    }
}

fn every_config_live(_: &ComponentId, _: &ConfigId) -> Result<bool> {
    Ok(true)
}

fn message(r: Result<()>) -> String {
    let e = r.expect_err("the tasks are refused");
    assert_eq!(e.code(), "orchestrations.invalid");
    e.to_string()
}

#[test]
fn a_child_that_runs_the_parent_again_is_a_cycle() {
    // 1 runs 2, 2 runs 3; giving 3 a task that runs 1 closes the circle.
    let saved_ones = [
        saved(1, vec![child_task(2)]),
        saved(2, vec![child_task(3)]),
        saved(3, vec![]),
    ];
    let m = message(check_tasks(
        Some(OrchestrationId(3)),
        &[child_task(1)],
        &saved_ones,
        &mut every_config_live,
    ));
    assert!(m.contains("would make orchestration 3 run itself"), "{m}");
}

#[test]
fn the_new_tasks_replace_the_saved_ones_in_the_cycle_check() {
    // Saved, 1 runs 2 and 2 runs 1 would not be; but the update gives 1 other tasks.
    let saved_ones = [
        saved(1, vec![child_task(2)]),
        saved(2, vec![child_task(3)]),
        saved(3, vec![]),
    ];
    check_tasks(
        Some(OrchestrationId(2)),
        &[],
        &saved_ones,
        &mut every_config_live,
    )
    .expect("2 without tasks runs nothing");
    let saved_ones = [saved(1, vec![]), saved(2, vec![child_task(1)])];
    let m = message(check_tasks(
        Some(OrchestrationId(1)),
        &[child_task(2)],
        &saved_ones,
        &mut every_config_live,
    ));
    assert!(m.contains("run itself through its children"), "{m}");
    let saved_ones = [saved(1, vec![child_task(2)]), saved(2, vec![])];
    check_tasks(
        Some(OrchestrationId(2)),
        &[],
        &saved_ones,
        &mut every_config_live,
    )
    .expect("1 → 2 with 2 running nothing is no cycle");
}

#[test]
fn a_diamond_is_not_a_cycle() {
    let saved_ones = [
        saved(1, vec![]),
        saved(2, vec![child_task(4)]),
        saved(3, vec![child_task(4)]),
        saved(4, vec![]),
    ];
    check_tasks(
        Some(OrchestrationId(1)),
        &[child_task(2), child_task(3)],
        &saved_ones,
        &mut every_config_live,
    )
    .expect("two paths to one child are fine");
}

#[test]
fn a_task_must_not_run_its_own_orchestration() {
    let m = message(check_tasks(
        Some(OrchestrationId(5)),
        &[config_task("keboola.ex-db", "1"), child_task(5)],
        &[saved(5, vec![])],
        &mut every_config_live,
    ));
    assert!(m.contains("task 2 runs the orchestration itself"), "{m}");
}

#[test]
fn a_task_names_one_target_that_exists() {
    let mut both = config_task("keboola.ex-db", "1");
    both.orchestration_id = Some(OrchestrationId(1));
    let m = message(check_tasks(
        None,
        &[both],
        &[saved(1, vec![])],
        &mut every_config_live,
    ));
    assert!(m.contains("task 1 must name either"), "{m}");

    let m = message(check_tasks(
        None,
        &[child_task(9)],
        &[saved(1, vec![])],
        &mut every_config_live,
    ));
    assert!(m.contains("orchestration 9, which does not exist"), "{m}");

    let mut asked = Vec::new();
    let m = message(check_tasks(
        None,
        &[
            config_task("keboola.ex-db", "1"),
            config_task("keboola.wr-db", "2"),
        ],
        &[],
        &mut |component, config| {
            asked.push(format!("{component}/{config}"));
            Ok(component.as_str() == "keboola.ex-db")
        },
    ));
    assert!(
        m.contains("task 2 points at configuration 2 of component keboola.wr-db"),
        "{m}"
    );
    assert_eq!(asked, ["keboola.ex-db/1", "keboola.wr-db/2"]);

    let mut blank = config_task("keboola.ex-db", "1");
    blank.phase = "  ".into();
    let m = message(check_tasks(None, &[blank], &[], &mut every_config_live));
    assert!(m.contains("task 1 has an empty phase"), "{m}");
}

#[test]
fn an_orchestration_run_by_another_cannot_go() {
    let saved_ones = [
        saved(1, vec![child_task(2)]),
        saved(2, vec![]),
        saved(3, vec![child_task(3)]),
    ];
    assert_eq!(
        run_by(OrchestrationId(2), &saved_ones),
        Some(OrchestrationId(1))
    );
    assert_eq!(run_by(OrchestrationId(1), &saved_ones), None);
    // Its own task naming itself does not hold it.
    assert_eq!(run_by(OrchestrationId(3), &saved_ones), None);
}

#[test]
fn notifications_are_e_mail_addresses() {
    check_notifications(&["ops@example.com".into()]).unwrap();
    for bad in ["ops", "@example.com", "ops@localhost", "o ps@example.com"] {
        let e = check_notifications(&[bad.into()]).expect_err(bad);
        assert_eq!(e.code(), "orchestrations.invalid");
    }
}

#[test]
fn schedules_and_time_zones_are_checked() {
    check_crontab("*/5 * * * *").unwrap();
    assert!(check_crontab("every minute").is_err());
    check_timezone("Europe/Prague").unwrap();
    check_timezone("UTC").unwrap();
    assert!(check_timezone("Mars/Olympus").is_err());
}
