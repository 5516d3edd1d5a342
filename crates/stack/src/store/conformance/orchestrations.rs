//! [`OrchestrationStore`]'s cases.

use stackport_model::api::{OrchestrationTask, TokenRef};
use stackport_model::{OrchestrationId, ProjectId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{MetaTx, OrchestrationFields, OrchestrationStore};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_orchestrations_read_back(new_store);
    an_update_replaces_every_field_but_created(new_store);
    orchestrations_are_the_projects_own(new_store);
    an_uncommitted_orchestration_is_rolled_back(new_store);
    deleting_the_project_removes_its_orchestrations(new_store);
}

const T0: i64 = 1_700_000_000_000_000;

pub(super) fn token(id: u64) -> TokenRef {
    TokenRef {
        id: TokenId(id),
        description: format!("token {id}"),
    }
}

fn tasks() -> Vec<OrchestrationTask> {
    vec![
        OrchestrationTask {
            component_id: Some("keboola.ex-db".parse().unwrap()),
            config_id: Some("123".parse().unwrap()),
            orchestration_id: None,
            action: "run".into(),
            active: true,
            continue_on_failure: true,
            phase: "extract".into(),
        },
        OrchestrationTask {
            component_id: None,
            config_id: None,
            orchestration_id: Some(OrchestrationId(77)),
            action: "run".into(),
            active: false,
            continue_on_failure: false,
            phase: "load".into(),
        },
    ]
}

/// Inserts an orchestration named `name` with a schedule when `crontab` is given.
pub(super) fn insert(
    tx: &mut dyn MetaTx,
    project: ProjectId,
    name: &str,
    crontab: Option<&str>,
    active: bool,
) -> OrchestrationId {
    tx.orchestrations()
        .insert_orchestration(
            project,
            &OrchestrationFields {
                name,
                crontab_record: crontab,
                timezone: "Europe/Prague",
                active,
                notifications: &[],
                tasks: &[],
                token: &token(3),
            },
            T0,
        )
        .expect("an orchestration is inserted")
}

fn inserted_orchestrations_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let tasks = tasks();
    let notifications = vec!["ops@example.com".to_string()];
    let (project, id, second) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "o");
        let id = tx
            .orchestrations()
            .insert_orchestration(
                project,
                &OrchestrationFields {
                    name: "Nightly",
                    crontab_record: Some("0 2 * * *"),
                    timezone: "Europe/Prague",
                    active: true,
                    notifications: &notifications,
                    tasks: &tasks,
                    token: &token(5),
                },
                T0 + 1,
            )
            .unwrap();
        let second = insert(tx, project, "Other", None, false);
        (project, id, second)
    });
    assert_ne!(id, second);
    let got = read(store.as_ref(), |tx| {
        tx.orchestrations().get_orchestration(project, id).unwrap()
    })
    .expect("the orchestration is found");
    assert_eq!(got.id, id);
    assert_eq!(got.name, "Nightly");
    assert_eq!(got.crontab_record.as_deref(), Some("0 2 * * *"));
    assert_eq!(got.timezone, "Europe/Prague");
    assert!(got.active);
    assert_eq!(got.notifications, notifications);
    assert_eq!(got.tasks, tasks);
    assert_eq!(got.created.timestamp_micros(), T0 + 1);
    assert_eq!(got.token, token(5));
    let other = read(store.as_ref(), |tx| {
        tx.orchestrations()
            .get_orchestration(project, second)
            .unwrap()
    })
    .unwrap();
    assert_eq!(other.crontab_record, None, "no schedule stays none");
    let listed = read(store.as_ref(), |tx| {
        tx.orchestrations().list_orchestrations(project).unwrap()
    });
    let mut by_id = vec![id, second];
    by_id.sort();
    assert_eq!(
        listed.iter().map(|o| o.id).collect::<Vec<_>>(),
        by_id,
        "listed by id"
    );
}

fn an_update_replaces_every_field_but_created(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, id) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "o");
        (
            project,
            insert(tx, project, "Before", Some("* * * * *"), true),
        )
    });
    let tasks = tasks();
    let notifications = vec!["a@example.com".to_string(), "b@example.com".to_string()];
    let changed = write(store.as_ref(), |tx| {
        tx.orchestrations()
            .update_orchestration(
                project,
                id,
                &OrchestrationFields {
                    name: "After",
                    crontab_record: None,
                    timezone: "UTC",
                    active: false,
                    notifications: &notifications,
                    tasks: &tasks,
                    token: &token(9),
                },
            )
            .unwrap()
    });
    assert!(changed);
    let got = read(store.as_ref(), |tx| {
        tx.orchestrations().get_orchestration(project, id).unwrap()
    })
    .unwrap();
    assert_eq!(
        (
            got.name.as_str(),
            got.crontab_record,
            got.timezone.as_str(),
            got.active
        ),
        ("After", None, "UTC", false)
    );
    assert_eq!(got.notifications, notifications);
    assert_eq!(got.tasks, tasks);
    assert_eq!(got.token, token(9), "the token of whoever saved it last");
    assert_eq!(got.created.timestamp_micros(), T0, "created stays");
    let missing = OrchestrationId(id.0 + 1000);
    assert!(!write(store.as_ref(), |tx| {
        tx.orchestrations()
            .update_orchestration(
                project,
                missing,
                &OrchestrationFields {
                    name: "x",
                    crontab_record: None,
                    timezone: "UTC",
                    active: false,
                    notifications: &[],
                    tasks: &[],
                    token: &token(1),
                },
            )
            .unwrap()
    }));
    assert!(write(store.as_ref(), |tx| tx
        .orchestrations()
        .delete_orchestration(project, id)
        .unwrap()));
    assert!(!write(store.as_ref(), |tx| tx
        .orchestrations()
        .delete_orchestration(project, id)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| tx
        .orchestrations()
        .get_orchestration(project, id)
        .unwrap())
    .is_none());
    let again = write(store.as_ref(), |tx| insert(tx, project, "New", None, false));
    assert_ne!(
        again, id,
        "a deleted orchestration's id is not minted again"
    );
}

fn orchestrations_are_the_projects_own(new_store: NewStore<'_>) {
    let store = new_store();
    let (mine, theirs, id) = write(store.as_ref(), |tx| {
        let mine = new_project(tx, "mine");
        let theirs = new_project(tx, "theirs");
        (mine, theirs, insert(tx, mine, "Mine", None, false))
    });
    assert!(read(store.as_ref(), |tx| tx
        .orchestrations()
        .get_orchestration(theirs, id)
        .unwrap())
    .is_none());
    assert!(read(store.as_ref(), |tx| tx
        .orchestrations()
        .list_orchestrations(theirs)
        .unwrap())
    .is_empty());
    assert!(!write(store.as_ref(), |tx| tx
        .orchestrations()
        .delete_orchestration(theirs, id)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| tx
        .orchestrations()
        .get_orchestration(mine, id)
        .unwrap())
    .is_some());
}

fn an_uncommitted_orchestration_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let project = write(store.as_ref(), |tx| new_project(tx, "o"));
    {
        let mut tx = store.begin_write().unwrap();
        insert(tx.as_mut(), project, "Dropped", None, false);
        drop(tx); // without a commit
    }
    assert!(read(store.as_ref(), |tx| tx
        .orchestrations()
        .list_orchestrations(project)
        .unwrap())
    .is_empty());
}

fn deleting_the_project_removes_its_orchestrations(new_store: NewStore<'_>) {
    let store = new_store();
    let (gone, kept, id) = write(store.as_ref(), |tx| {
        let gone = new_project(tx, "gone");
        let kept = new_project(tx, "kept");
        insert(tx, gone, "Gone", None, false);
        (gone, kept, insert(tx, kept, "Kept", None, false))
    });
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(gone)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| tx
        .orchestrations()
        .list_orchestrations(gone)
        .unwrap())
    .is_empty());
    let left = read(store.as_ref(), |tx| {
        tx.orchestrations().list_orchestrations(kept).unwrap()
    });
    assert_eq!(left.iter().map(|o| o.id).collect::<Vec<_>>(), vec![id]);
}

// The trait is used through `dyn`: keep it object safe.
const _: Option<&dyn OrchestrationStore> = None;
