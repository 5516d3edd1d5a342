//! [`EventLog`](crate::store::EventLog)'s cases.

use serde_json::json;
use stackport_model::api::{Event, TokenRef};
use stackport_model::{EventId, ProjectId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{EventScan, MetaTx, NewEventRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    an_event_reads_back_whole(new_store);
    ids_grow_and_scans_go_newest_first(new_store);
    scans_honour_every_filter(new_store);
    a_scan_stops_when_told(new_store);
    events_are_the_projects_own(new_store);
    a_rolled_back_write_records_no_event(new_store);
    deleting_a_project_deletes_its_events(new_store);
}

/// Appends an event about `object_type`/`object_id`, at `micros`.
fn append(tx: &mut dyn MetaTx, project: ProjectId, object: (&str, &str), micros: i64) -> EventId {
    tx.events()
        .insert_event(&NewEventRecord {
            project,
            event: "storage.tableCreated",
            level: "info",
            message: "created",
            object_type: object.0,
            object_id: object.1,
            token: None,
            params: &json!({}),
            created_micros: micros,
        })
        .expect("an event is appended")
}

/// Every event of `project` matching `scan`, as the log hands them out.
fn scan(tx: &mut dyn MetaTx, project: ProjectId, scan: &EventScan<'_>) -> Vec<Event> {
    let mut out = Vec::new();
    tx.events()
        .scan_events(project, scan, &mut |e| {
            out.push(e);
            true
        })
        .expect("events are scanned");
    out
}

fn ids(events: &[Event]) -> Vec<EventId> {
    events.iter().map(|e| e.id).collect()
}

fn an_event_reads_back_whole(new_store: NewStore<'_>) {
    let store = new_store();
    let token = TokenRef {
        id: TokenId(42),
        description: "Loader ünïcode".into(),
    };
    let params = json!({ "columns": ["id", "name"], "nested": { "n": 1.5, "none": null } });
    let (project, id) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        let id = tx
            .events()
            .insert_event(&NewEventRecord {
                project,
                event: "storage.tableImportDone",
                level: "warn",
                message: "Imported 3 rows into in.c-a.b",
                object_type: "table",
                object_id: "in.c-a.b",
                token: Some(&token),
                params: &params,
                created_micros: 1_700_000_000_123_456,
            })
            .unwrap();
        (project, id)
    });
    let got = read(store.as_ref(), |tx| {
        scan(tx, project, &EventScan::default())
    });
    assert_eq!(got.len(), 1);
    let e = &got[0];
    assert_eq!(e.id, id);
    assert_eq!(e.event, "storage.tableImportDone");
    assert_eq!(e.kind, "warn");
    assert_eq!(e.message, "Imported 3 rows into in.c-a.b");
    assert_eq!(
        (e.object_type.as_str(), e.object_id.as_str()),
        ("table", "in.c-a.b")
    );
    assert_eq!(e.created.timestamp_micros(), 1_700_000_000_123_456);
    assert_eq!(e.token.as_ref(), Some(&token));
    assert_eq!(e.params, params);
}

fn ids_grow_and_scans_go_newest_first(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, appended) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        let ids: Vec<EventId> = (0..5)
            .map(|i| append(tx, project, ("bucket", "in.c-a"), i))
            .collect();
        (project, ids)
    });
    assert!(
        appended.windows(2).all(|w| w[0].0 < w[1].0),
        "each id is greater than the one before: {appended:?}"
    );
    // A later transaction's ids are greater still, whatever times the events carry.
    let later = write(store.as_ref(), |tx| {
        append(tx, project, ("bucket", "in.c-a"), -1)
    });
    assert!(later.0 > appended[4].0);
    let got = ids(&read(store.as_ref(), |tx| {
        scan(tx, project, &EventScan::default())
    }));
    let mut expected = appended.clone();
    expected.push(later);
    expected.reverse();
    assert_eq!(got, expected, "newest first, by id");
}

fn scans_honour_every_filter(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, [b1, t1, b2, t2]) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        let b1 = append(tx, project, ("bucket", "in.c-a"), 1);
        let t1 = append(tx, project, ("table", "in.c-a.x"), 2);
        let b2 = append(tx, project, ("bucket", "in.c-b"), 3);
        let t2 = append(tx, project, ("table", "in.c-a.x"), 4);
        (project, [b1, t1, b2, t2])
    });
    let got = |s: EventScan<'_>| ids(&read(store.as_ref(), |tx| scan(tx, project, &s)));
    assert_eq!(
        got(EventScan {
            object_type: Some("bucket"),
            ..Default::default()
        }),
        vec![b2, b1]
    );
    assert_eq!(
        got(EventScan {
            object_id: Some("in.c-a.x"),
            ..Default::default()
        }),
        vec![t2, t1]
    );
    assert_eq!(
        got(EventScan {
            object_type: Some("bucket"),
            object_id: Some("in.c-a"),
            ..Default::default()
        }),
        vec![b1]
    );
    assert_eq!(
        got(EventScan {
            after: Some(t1),
            ..Default::default()
        }),
        vec![t2, b2],
        "only events after the given one"
    );
    assert_eq!(
        got(EventScan {
            object_type: Some("table"),
            after: Some(t1),
            ..Default::default()
        }),
        vec![t2]
    );
    assert!(got(EventScan {
        object_type: Some("Bucket"),
        ..Default::default()
    })
    .is_empty());
    assert!(
        got(EventScan {
            object_id: Some("in.c-%"),
            ..Default::default()
        })
        .is_empty(),
        "an object id is matched exactly, not as a pattern"
    );
}

fn a_scan_stops_when_told(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, appended) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        let ids: Vec<EventId> = (0..10)
            .map(|i| append(tx, project, ("project", "p"), i))
            .collect();
        (project, ids)
    });
    let mut seen = Vec::new();
    read(store.as_ref(), |tx| {
        tx.events()
            .scan_events(project, &EventScan::default(), &mut |e| {
                seen.push(e.id);
                seen.len() < 3
            })
            .unwrap()
    });
    assert_eq!(seen, vec![appended[9], appended[8], appended[7]]);
}

fn events_are_the_projects_own(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b, in_a) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        let in_a = append(tx, a, ("bucket", "in.c-x"), 1);
        append(tx, b, ("bucket", "in.c-x"), 2);
        (a, b, in_a)
    });
    let of_a = ids(&read(store.as_ref(), |tx| {
        scan(tx, a, &EventScan::default())
    }));
    assert_eq!(of_a, vec![in_a]);
    let of_b = read(store.as_ref(), |tx| scan(tx, b, &EventScan::default()));
    assert_eq!(of_b.len(), 1);
    assert_ne!(of_b[0].id, in_a);
}

fn a_rolled_back_write_records_no_event(new_store: NewStore<'_>) {
    let store = new_store();
    let project = write(store.as_ref(), |tx| new_project(tx, "p"));
    {
        let mut tx = store.begin_write().unwrap();
        append(tx.as_mut(), project, ("bucket", "in.c-a"), 1);
        drop(tx); // the write it belonged to failed
    }
    assert!(read(store.as_ref(), |tx| scan(
        tx,
        project,
        &EventScan::default()
    ))
    .is_empty());
}

fn deleting_a_project_deletes_its_events(new_store: NewStore<'_>) {
    let store = new_store();
    let (gone, kept) = write(store.as_ref(), |tx| {
        let gone = new_project(tx, "gone");
        let kept = new_project(tx, "kept");
        append(tx, gone, ("bucket", "in.c-a"), 1);
        append(tx, kept, ("bucket", "in.c-a"), 1);
        (gone, kept)
    });
    write(store.as_ref(), |tx| {
        tx.projects().delete_project(gone).unwrap()
    });
    assert!(read(store.as_ref(), |tx| scan(tx, gone, &EventScan::default())).is_empty());
    assert_eq!(
        read(store.as_ref(), |tx| scan(tx, kept, &EventScan::default())).len(),
        1
    );
}
