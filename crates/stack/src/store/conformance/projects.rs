//! [`ProjectStore`]'s cases.

use super::{new_project, read, write, NewStore};
use crate::store::NewProjectRecord;

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_projects_read_back(new_store);
    ids_are_never_reused(new_store);
    an_uncommitted_project_is_rolled_back(new_store);
    deleting_a_project_removes_it(new_store);
}

fn inserted_projects_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let id = write(store.as_ref(), |tx| {
        tx.projects()
            .insert_project(&NewProjectRecord {
                name: "Sales",
                backend: "postgresql",
                placement: Some("pg2"),
                created_micros: 1_700_000_000_000_001,
            })
            .unwrap()
    });
    let got = read(store.as_ref(), |tx| tx.projects().get_project(id).unwrap())
        .expect("the inserted project is found");
    assert_eq!(got.id, id);
    assert_eq!(got.name, "Sales");
    assert_eq!(got.backend, "postgresql");
    assert_eq!(
        got.placement.as_deref(),
        Some("pg2"),
        "the placement is recorded"
    );
    assert!(got.features.is_empty());
    assert_eq!(got.created.timestamp_micros(), 1_700_000_000_000_001);
    let other = write(store.as_ref(), |tx| new_project(tx, "Ops"));
    assert_ne!(other, id);
    let other_got = read(store.as_ref(), |tx| {
        tx.projects().get_project(other).unwrap()
    });
    assert_eq!(
        other_got.unwrap().placement,
        None,
        "a project without a server has none"
    );
    let all = read(store.as_ref(), |tx| tx.projects().list_projects().unwrap());
    assert_eq!(
        all.iter().map(|p| p.id).collect::<Vec<_>>(),
        if id.0 < other.0 {
            vec![id, other]
        } else {
            vec![other, id]
        },
        "projects are listed by id"
    );
}

fn ids_are_never_reused(new_store: NewStore<'_>) {
    let store = new_store();
    let first = write(store.as_ref(), |tx| new_project(tx, "a"));
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(first)
        .unwrap()));
    let second = write(store.as_ref(), |tx| new_project(tx, "b"));
    assert_ne!(first, second, "a deleted project's id is not minted again");
}

fn an_uncommitted_project_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let id = {
        let mut tx = store.begin_write().unwrap();
        let id = new_project(tx.as_mut(), "dropped");
        drop(tx); // without a commit
        id
    };
    assert!(read(store.as_ref(), |tx| tx.projects().get_project(id).unwrap()).is_none());
    assert!(read(store.as_ref(), |tx| tx.projects().list_projects().unwrap()).is_empty());
}

fn deleting_a_project_removes_it(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b) = write(store.as_ref(), |tx| {
        (new_project(tx, "a"), new_project(tx, "b"))
    });
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(a)
        .unwrap()));
    assert!(
        !write(store.as_ref(), |tx| tx
            .projects()
            .delete_project(a)
            .unwrap()),
        "deleting twice finds nothing"
    );
    let left = read(store.as_ref(), |tx| tx.projects().list_projects().unwrap());
    assert_eq!(left.iter().map(|p| p.id).collect::<Vec<_>>(), vec![b]);
}
