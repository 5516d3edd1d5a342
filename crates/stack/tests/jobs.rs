//! Job, schedule and orchestration rules that need a store, on a real stack over SQLite with
//! a clock the test moves (no runner: queued jobs stay queued, so nothing depends on timing).

use std::sync::Arc;

use stackport_model::api::{
    JobStatus, NewJob, NewOrchestration, NewWorkspace, OrchestrationTask, OrchestrationUpdate,
};
use stackport_model::OrchestrationId;
use stackport_stack::{ErrorKind, JobFilter, ManualClock, Stack, TokenAuth};
use stackport_testkit::stack::{new_project, open_with};
use stackport_testkit::TempDir;

/// 2026-11-29T12:03:30Z.
const START: i64 = 1_795_953_810_000_000;

/// Each test's own stack (its dir kept as long as the test holds it), on a clock the test moves
/// from START, and the master token of its one project.
fn at_start(label: &str) -> (TempDir, Arc<ManualClock>, Stack, TokenAuth) {
    let dir = TempDir::new(label);
    let clock = Arc::new(ManualClock::at(START));
    let stack = open_with(&dir, Some(clock.clone()), |_| {});
    let (_, auth, _) = new_project(&stack, "p");
    (dir, clock, stack, auth)
}

fn runs(child: OrchestrationId) -> OrchestrationTask {
    serde_json::from_value(serde_json::json!({ "orchestrationId": child })).unwrap()
}

fn orchestration(
    stack: &Stack,
    auth: &TokenAuth,
    name: &str,
    tasks: Vec<OrchestrationTask>,
) -> OrchestrationId {
    stack
        .create_orchestration(
            auth,
            &NewOrchestration {
                name: name.into(),
                tasks,
                ..Default::default()
            },
        )
        .unwrap()
        .id
}

fn run_of(id: OrchestrationId) -> NewJob {
    NewJob {
        component: "orchestrator".parse().unwrap(),
        config: id.to_string(),
        config_row_ids: vec![],
        mode: Default::default(),
    }
}

#[test]
fn orchestrations_refuse_cycles_and_deleting_a_child_in_use() {
    let (_dir, _, stack, auth) = at_start("jobs-orchestration-rules");
    let child = orchestration(&stack, &auth, "child", vec![]);
    let parent = orchestration(&stack, &auth, "parent", vec![runs(child)]);
    let made = stack.get_orchestration(&auth, parent).unwrap();
    assert_eq!(
        made.created.timestamp_micros(),
        START,
        "created by the stack's clock"
    );

    let cycle = stack
        .update_orchestration(
            &auth,
            child,
            &OrchestrationUpdate {
                tasks: Some(vec![runs(parent)]),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(cycle.code(), "orchestrations.invalid");
    assert!(
        cycle
            .to_string()
            .contains("run itself through its children"),
        "{cycle}"
    );
    assert!(
        stack
            .get_orchestration(&auth, child)
            .unwrap()
            .tasks
            .is_empty(),
        "nothing saved"
    );

    let missing = stack
        .create_orchestration(
            &auth,
            &NewOrchestration {
                name: "dangling".into(),
                tasks: vec![runs(OrchestrationId(child.0 + 100))],
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(missing.code(), "orchestrations.invalid");

    let in_use = stack.delete_orchestration(&auth, child).unwrap_err();
    assert_eq!(
        (in_use.kind(), in_use.code()),
        (ErrorKind::Conflict, "orchestrations.inUse")
    );
    stack.delete_orchestration(&auth, parent).unwrap();
    stack.delete_orchestration(&auth, child).unwrap();
    assert!(stack.list_orchestrations(&auth).unwrap().is_empty());
}

#[test]
fn a_schedule_queues_each_slot_once_from_when_it_was_saved() {
    let (_dir, clock, stack, auth) = at_start("jobs-schedule-slots");
    let id = stack
        .create_orchestration(
            &auth,
            &NewOrchestration {
                name: "every five minutes".into(),
                crontab_record: Some("*/5 * * * *".into()),
                active: true,
                ..Default::default()
            },
        )
        .unwrap()
        .id;
    assert!(
        stack.run_due_schedules().unwrap().is_empty(),
        "12:03: nothing due yet"
    );
    clock.advance_seconds(120); // 12:05:30
    let queued = stack.run_due_schedules().unwrap();
    assert_eq!(queued.len(), 1, "the 12:05 slot fires");
    assert!(
        stack.run_due_schedules().unwrap().is_empty(),
        "and only once"
    );
    clock.advance_seconds(15 * 60); // 12:20:30: 12:10, 12:15 and 12:20 passed
    assert_eq!(
        stack.run_due_schedules().unwrap().len(),
        1,
        "only the latest missed slot fires"
    );
    let jobs = stack.list_jobs(&auth, &JobFilter::default()).unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs
        .iter()
        .all(|j| j.triggered_by == "schedule" && j.config == id.to_string()));
    assert_eq!(jobs[1].created_time.timestamp_micros(), START + 120_000_000);
}

#[test]
fn a_waiting_job_is_killed_once_and_listings_are_checked() {
    let (_dir, clock, stack, auth) = at_start("jobs-kill");
    let id = orchestration(&stack, &auth, "o", vec![]);
    let job = stack.create_job(&auth, &run_of(id)).unwrap();
    assert_eq!(job.status, JobStatus::Waiting);
    assert_eq!(job.run_id, job.id.to_string(), "a job's run is its own id");
    clock.advance_seconds(3);
    let killed = stack.kill_job(&auth, job.id).unwrap();
    assert_eq!(killed.status, JobStatus::Cancelled);
    assert_eq!(killed.desired_status, "terminating");
    assert_eq!(killed.result["message"], "killed before it started");
    assert_eq!(
        killed.end_time.unwrap().timestamp_micros(),
        START + 3_000_000
    );
    let again = stack.kill_job(&auth, job.id).unwrap_err();
    assert_eq!(
        (again.kind(), again.code()),
        (ErrorKind::Conflict, "queue.jobs.finished")
    );

    let second = stack.create_job(&auth, &run_of(id)).unwrap();
    let page = |limit| JobFilter {
        limit: Some(limit),
        ..Default::default()
    };
    let newest = stack.list_jobs(&auth, &page(1)).unwrap();
    assert_eq!(
        newest.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    let e = stack.list_jobs(&auth, &page(0)).unwrap_err();
    assert_eq!(e.code(), "queue.jobs.invalidLimit");
    let waiting = stack
        .list_jobs(
            &auth,
            &JobFilter {
                status: Some(JobStatus::Waiting),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        waiting.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![second.id]
    );
}

#[test]
fn a_workspace_has_its_own_database_until_it_is_deleted() {
    let (dir, _, stack, auth) = at_start("jobs-workspace");
    let made = stack
        .create_workspace(&auth, &NewWorkspace::default())
        .unwrap();
    assert_eq!(made.created.timestamp_micros(), START);
    assert_eq!(made.connection.schema, format!("WORKSPACE_{}", made.id));
    assert!(!made.connection.sealed_password.is_empty());
    let file = dir.path().join(&made.connection.database);
    assert!(file.is_file(), "{} is created", file.display());
    // The plaintext password is in the create answer only.
    let mut listed = made.clone();
    assert!(listed.connection.password.take().is_some());
    assert_eq!(stack.list_workspaces(&auth).unwrap(), vec![listed]);
    stack.delete_workspace(&auth, made.id).unwrap();
    assert!(!file.exists(), "the database goes with the workspace");
    let gone = stack.get_workspace(&auth, made.id).unwrap_err();
    assert_eq!(gone.code(), "workspaces.notFound");
}
