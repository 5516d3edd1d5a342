//! [`ScheduleSlots`]'s cases.

use stackport_model::api::JobMode;
use stackport_model::{JobId, OrchestrationId, ProjectId, TokenId};

use super::orchestrations::{insert, token};
use super::{new_project, read, write, NewStore};
use crate::store::{
    JobScan, MetaTx, MetadataStore, NewJobRecord, ScheduleSlots, ScheduledOrchestration,
};

pub(super) fn run(new_store: NewStore<'_>) {
    only_active_schedules_are_listed(new_store);
    a_mark_moves_only_from_where_it_is(new_store);
    a_slot_taken_twice_queues_one_job(new_store);
    racing_ticks_queue_a_slot_once(new_store);
    an_uncommitted_slot_is_rolled_back_with_its_job(new_store);
    deleting_the_orchestration_or_project_removes_its_slots(new_store);
}

const MINUTE: i64 = 60_000_000;
const SLOT: i64 = 28_333_333 * MINUTE;

fn scheduled(store: &dyn MetadataStore) -> Vec<ScheduledOrchestration> {
    read(store, |tx| {
        tx.schedules().scheduled_orchestrations().unwrap()
    })
}

fn last_slot(store: &dyn MetadataStore, id: OrchestrationId) -> Option<i64> {
    scheduled(store)
        .into_iter()
        .find(|o| o.id == id)
        .expect("the orchestration is scheduled")
        .last_slot
}

/// One scheduler tick: takes `slot` after `last` and queues the orchestration's job, both in
/// `tx`, or neither when the slot was taken.
fn fire(
    tx: &mut dyn MetaTx,
    project: ProjectId,
    id: OrchestrationId,
    last: i64,
    slot: i64,
) -> Option<JobId> {
    if !tx.schedules().take_slot(id, last, slot).unwrap() {
        return None;
    }
    let component = "orchestrator".parse().unwrap();
    let config = id.to_string();
    Some(
        tx.jobs()
            .insert_job(&NewJobRecord {
                project,
                parent_run_id: None,
                component: &component,
                config: &config,
                config_row_ids: &[],
                mode: JobMode::Run,
                token: &token(3),
                triggered_by: "schedule",
                created_micros: slot,
            })
            .unwrap(),
    )
}

fn jobs_of(store: &dyn MetadataStore, project: ProjectId) -> usize {
    read(store, |tx| {
        let mut n = 0;
        tx.jobs()
            .scan_jobs(project, &JobScan::default(), &mut |_| {
                n += 1;
                true
            })
            .unwrap();
        n
    })
}

fn only_active_schedules_are_listed(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, due) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "s");
        let due = insert(tx, project, "due", Some("*/5 * * * *"), true);
        insert(tx, project, "inactive", Some("*/5 * * * *"), false);
        insert(tx, project, "unscheduled", None, true);
        insert(tx, project, "empty", Some(""), true);
        (project, due)
    });
    assert_eq!(
        scheduled(store.as_ref()),
        vec![ScheduledOrchestration {
            id: due,
            project,
            crontab: "*/5 * * * *".into(),
            timezone: "Europe/Prague".into(),
            token: TokenId(3),
            last_slot: None,
        }],
        "an active orchestration with a schedule, no slot fired yet"
    );
}

fn a_mark_moves_only_from_where_it_is(new_store: NewStore<'_>) {
    let store = new_store();
    let id = write(store.as_ref(), |tx| {
        let project = new_project(tx, "s");
        insert(tx, project, "o", Some("* * * * *"), true)
    });
    assert!(
        !write(store.as_ref(), |tx| tx
            .schedules()
            .take_slot(id, SLOT, SLOT + MINUTE)
            .unwrap()),
        "no mark to move yet"
    );
    assert!(write(store.as_ref(), |tx| tx
        .schedules()
        .start_slots(id, SLOT)
        .unwrap()));
    assert!(
        !write(store.as_ref(), |tx| tx
            .schedules()
            .start_slots(id, SLOT + 7 * MINUTE)
            .unwrap()),
        "a mark that is set stays"
    );
    assert_eq!(last_slot(store.as_ref(), id), Some(SLOT));
    assert!(
        !write(store.as_ref(), |tx| tx
            .schedules()
            .take_slot(id, SLOT - MINUTE, SLOT + MINUTE)
            .unwrap()),
        "the mark is not where the taker thought"
    );
    assert_eq!(last_slot(store.as_ref(), id), Some(SLOT));
    assert!(write(store.as_ref(), |tx| tx
        .schedules()
        .take_slot(id, SLOT, SLOT + MINUTE)
        .unwrap()));
    assert_eq!(last_slot(store.as_ref(), id), Some(SLOT + MINUTE));
    write(store.as_ref(), |tx| {
        tx.schedules().reset_slots(id, SLOT - 5 * MINUTE).unwrap()
    });
    assert_eq!(
        last_slot(store.as_ref(), id),
        Some(SLOT - 5 * MINUTE),
        "a reset sets it whatever it was"
    );
    write(store.as_ref(), |tx| {
        tx.schedules().forget_slots(id).unwrap()
    });
    assert_eq!(last_slot(store.as_ref(), id), None);
    write(store.as_ref(), |tx| {
        tx.schedules().reset_slots(id, SLOT).unwrap()
    });
    assert_eq!(
        last_slot(store.as_ref(), id),
        Some(SLOT),
        "a reset sets a forgotten mark"
    );
}

fn a_slot_taken_twice_queues_one_job(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, id) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "s");
        let id = insert(tx, project, "o", Some("* * * * *"), true);
        tx.schedules().start_slots(id, SLOT).unwrap();
        (project, id)
    });
    let first = write(store.as_ref(), |tx| {
        fire(tx, project, id, SLOT, SLOT + MINUTE)
    });
    let second = write(store.as_ref(), |tx| {
        fire(tx, project, id, SLOT, SLOT + MINUTE)
    });
    assert!(first.is_some());
    assert_eq!(second, None, "the second claim of the slot is refused");
    assert_eq!(jobs_of(store.as_ref(), project), 1);
}

fn racing_ticks_queue_a_slot_once(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, id) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "s");
        let id = insert(tx, project, "o", Some("* * * * *"), true);
        tx.schedules().start_slots(id, SLOT).unwrap();
        (project, id)
    });
    let store_ref = store.as_ref();
    let fired: Vec<Option<JobId>> = std::thread::scope(|s| {
        let tick = || {
            s.spawn(move || {
                // Each tick read the mark before the other moved it.
                let mut tx = store_ref.begin_write().unwrap();
                let job = fire(tx.as_mut(), project, id, SLOT, SLOT + MINUTE);
                tx.commit().unwrap();
                job
            })
        };
        let (one, two) = (tick(), tick());
        vec![one.join().unwrap(), two.join().unwrap()]
    });
    assert_eq!(
        fired.iter().flatten().count(),
        1,
        "one of the ticks queued it: {fired:?}"
    );
    assert_eq!(jobs_of(store.as_ref(), project), 1);
    assert_eq!(last_slot(store.as_ref(), id), Some(SLOT + MINUTE));
}

fn an_uncommitted_slot_is_rolled_back_with_its_job(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, id) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "s");
        let id = insert(tx, project, "o", Some("* * * * *"), true);
        tx.schedules().start_slots(id, SLOT).unwrap();
        (project, id)
    });
    {
        let mut tx = store.begin_write().unwrap();
        assert!(fire(tx.as_mut(), project, id, SLOT, SLOT + MINUTE).is_some());
        drop(tx); // without a commit
    }
    assert_eq!(
        last_slot(store.as_ref(), id),
        Some(SLOT),
        "the slot is free again"
    );
    assert_eq!(jobs_of(store.as_ref(), project), 0, "and no job was queued");
    assert!(write(store.as_ref(), |tx| fire(
        tx,
        project,
        id,
        SLOT,
        SLOT + MINUTE
    ))
    .is_some());
}

fn deleting_the_orchestration_or_project_removes_its_slots(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, gone_project, deleted, kept) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "s");
        let gone_project = new_project(tx, "gone");
        let deleted = insert(tx, project, "deleted", Some("* * * * *"), true);
        let kept = insert(tx, project, "kept", Some("* * * * *"), true);
        let gone = insert(tx, gone_project, "gone", Some("* * * * *"), true);
        for id in [deleted, kept, gone] {
            tx.schedules().start_slots(id, SLOT).unwrap();
        }
        (project, gone_project, deleted, kept)
    });
    assert!(write(store.as_ref(), |tx| tx
        .orchestrations()
        .delete_orchestration(project, deleted)
        .unwrap()));
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(gone_project)
        .unwrap()));
    let left = scheduled(store.as_ref());
    assert_eq!(left.iter().map(|o| o.id).collect::<Vec<_>>(), vec![kept]);
    assert!(
        !write(store.as_ref(), |tx| tx
            .schedules()
            .take_slot(deleted, SLOT, SLOT + MINUTE)
            .unwrap()),
        "the deleted orchestration's mark went with it"
    );
}

// The trait is used through `dyn`: keep it object safe.
const _: Option<&dyn ScheduleSlots> = None;
