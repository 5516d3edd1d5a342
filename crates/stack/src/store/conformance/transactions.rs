//! What every store promises about transactions and locks, whatever the aggregate.

use std::sync::atomic::{AtomicBool, Ordering};

use stackport_model::ProjectId;

use super::{new_project, read, write, NewStore};

pub(super) fn run(new_store: NewStore<'_>) {
    concurrent_writers_are_serialised(new_store);
    a_failed_write_leaves_nothing(new_store);
    a_project_has_one_writer_at_a_time(new_store);
    writer_locks_of_different_projects_do_not_wait(new_store);
}

fn concurrent_writers_are_serialised(new_store: NewStore<'_>) {
    let store = new_store();
    let store = store.as_ref();
    let ids: Vec<ProjectId> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                s.spawn(move || {
                    (0..25)
                        .map(|i| write(store, |tx| new_project(tx, &format!("w{w}-{i}"))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| h.join().expect("a writer thread ends"))
            .collect()
    });
    let mut unique = ids.clone();
    unique.sort_by_key(|p| p.0);
    unique.dedup();
    assert_eq!(unique.len(), 50, "every writer got its own id: {ids:?}");
    let listed = read(store, |tx| tx.projects().list_projects().unwrap());
    assert_eq!(listed.len(), 50, "every committed write is kept");
}

fn a_failed_write_leaves_nothing(new_store: NewStore<'_>) {
    let store = new_store();
    let kept = write(store.as_ref(), |tx| new_project(tx, "kept"));
    {
        let mut tx = store.begin_write().unwrap();
        new_project(tx.as_mut(), "lost-1");
        new_project(tx.as_mut(), "lost-2");
        tx.projects().delete_project(kept).unwrap();
        drop(tx); // an operation that failed half-way: never committed
    }
    let left = read(store.as_ref(), |tx| tx.projects().list_projects().unwrap());
    assert_eq!(left.iter().map(|p| p.id).collect::<Vec<_>>(), vec![kept]);
    // The store goes on working after a rollback.
    let next = write(store.as_ref(), |tx| new_project(tx, "next"));
    assert_ne!(next, kept);
}

fn a_project_has_one_writer_at_a_time(new_store: NewStore<'_>) {
    let store = new_store();
    let store = store.as_ref();
    let project = write(store, |tx| new_project(tx, "p"));
    let released = AtomicBool::new(false);
    let first = store.lock_project_writer(project).unwrap();
    std::thread::scope(|s| {
        let second = s.spawn(|| {
            let _lock = store.lock_project_writer(project).unwrap();
            assert!(
                released.load(Ordering::SeqCst),
                "the second writer got the lock while the first held it"
            );
        });
        // Give the second writer every chance to take the lock wrongly.
        std::thread::sleep(std::time::Duration::from_millis(100));
        released.store(true, Ordering::SeqCst);
        drop(first);
        second.join().expect("the second writer ends");
    });
}

fn writer_locks_of_different_projects_do_not_wait(new_store: NewStore<'_>) {
    let store = new_store();
    let store = store.as_ref();
    let (a, b) = write(store, |tx| (new_project(tx, "a"), new_project(tx, "b")));
    let _a = store.lock_project_writer(a).unwrap();
    // Would hang (and the suite with it) if the lock were one for the whole stack.
    std::thread::scope(|s| {
        s.spawn(|| drop(store.lock_project_writer(b).unwrap()))
            .join()
            .expect("b's writer ends")
    });
    // And metadata transactions go on while a writer holds its project.
    write(store, |tx| new_project(tx, "c"));
}
