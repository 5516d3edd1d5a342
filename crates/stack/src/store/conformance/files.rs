//! [`super::super::FileRecords`]'s cases.

use stackport_model::api::{FileSlice, TokenRef};
use stackport_model::{FileId, ProjectId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{FileScan, MetaTx, NewFileRecord};

const T0: i64 = 1_700_000_000_000_000;
const DAY: i64 = 86_400 * 1_000_000;

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_files_read_back(new_store);
    ids_are_minted_and_never_reused(new_store);
    scans_newest_first_by_expiry_and_creator(new_store);
    a_scan_stops_when_told(new_store);
    stored_bytes_are_summed_per_project(new_store);
    deletes_one_file_of_its_project(new_store);
    deletes_the_expired_ones(new_store);
    an_uncommitted_file_is_rolled_back(new_store);
    deleting_the_project_removes_its_files(new_store);
    a_prepared_file_is_hidden_until_completed(new_store);
}

fn token(id: u64) -> TokenRef {
    TokenRef {
        id: TokenId(id),
        description: format!("token {id}"),
    }
}

/// Inserts a file named `name` of `project` by `by`, expiring at `expires` (never when none).
fn insert(
    tx: &mut dyn MetaTx,
    project: ProjectId,
    name: &str,
    by: &TokenRef,
    expires: Option<i64>,
) -> FileId {
    tx.files()
        .insert_file(&NewFileRecord {
            project,
            name,
            size_bytes: name.len() as u64 * 100,
            sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            tags: &[name.to_string(), "all".to_string()],
            is_permanent: expires.is_none(),
            max_age_days: expires.map(|_| 2),
            created_micros: T0,
            expires_micros: expires,
            creator: by,
            prepared: false,
            sliced: false,
        })
        .expect("a file's record is inserted")
}

fn scan(tx: &mut dyn MetaTx, project: ProjectId, scan: FileScan) -> Vec<String> {
    let mut names = Vec::new();
    tx.files()
        .scan_files(project, &scan, &mut |f| {
            names.push(f.name);
            true
        })
        .unwrap();
    names
}

fn everything(at: i64) -> FileScan {
    FileScan {
        unexpired_at_micros: at,
        created_by: None,
    }
}

fn inserted_files_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(7);
    let (p, permanent, expiring) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        let permanent = insert(tx, p, "kept.csv", &by, None);
        let expiring = insert(tx, p, "tmp.csv", &by, Some(T0 + 2 * DAY));
        (p, permanent, expiring)
    });
    let got = read(store.as_ref(), |tx| {
        tx.files().get_file(p, permanent).unwrap()
    })
    .expect("the inserted file is found");
    assert_eq!(got.id, permanent);
    assert_eq!(got.name, "kept.csv");
    assert_eq!(got.size_bytes, 800);
    assert_eq!(
        got.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(got.tags, vec!["kept.csv".to_string(), "all".to_string()]);
    assert!(got.is_permanent);
    assert_eq!(got.max_age_days, None);
    assert_eq!(got.created.timestamp_micros(), T0);
    assert_eq!(got.expires, None);
    assert_eq!(got.creator_token, Some(by.clone()));
    let got = read(store.as_ref(), |tx| {
        tx.files().get_file(p, expiring).unwrap()
    })
    .unwrap();
    assert!(!got.is_permanent);
    assert_eq!(got.max_age_days, Some(2));
    assert_eq!(
        got.expires.map(|e| e.timestamp_micros()),
        Some(T0 + 2 * DAY)
    );
    // Expired or not, the record is there until it is deleted: the rules decide what expiry
    // hides.
    assert!(read(store.as_ref(), |tx| tx
        .files()
        .get_file(p, expiring)
        .unwrap())
    .is_some());
    let other = write(store.as_ref(), |tx| new_project(tx, "other"));
    assert!(
        read(store.as_ref(), |tx| tx
            .files()
            .get_file(other, permanent)
            .unwrap())
        .is_none(),
        "another project's file is not found"
    );
}

fn ids_are_minted_and_never_reused(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(1);
    let (p, first) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        (p, insert(tx, p, "a", &by, None))
    });
    assert!(write(store.as_ref(), |tx| tx
        .files()
        .delete_file(p, first)
        .unwrap()));
    let second = write(store.as_ref(), |tx| insert(tx, p, "b", &by, None));
    assert!(
        second > first,
        "ids grow and a deleted file's id is not minted again"
    );
    assert_eq!(
        read(store.as_ref(), |tx| tx.files().file_ids(p).unwrap()),
        vec![second]
    );
}

fn scans_newest_first_by_expiry_and_creator(new_store: NewStore<'_>) {
    let store = new_store();
    let (mine, theirs) = (token(1), token(2));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx, p, "old", &mine, None);
        insert(tx, p, "expires-soon", &theirs, Some(T0 + DAY));
        insert(tx, p, "expires-later", &mine, Some(T0 + 3 * DAY));
        insert(tx, p, "new", &theirs, None);
        p
    });
    read(store.as_ref(), |tx| {
        assert_eq!(
            scan(tx, p, everything(T0)),
            vec!["new", "expires-later", "expires-soon", "old"]
        );
        assert_eq!(
            scan(tx, p, everything(T0 + DAY)),
            vec!["new", "expires-later", "old"],
            "a file is expired at its expiry time"
        );
        assert_eq!(
            scan(tx, p, everything(T0 + DAY - 1)).len(),
            4,
            "and not a microsecond before"
        );
        assert_eq!(
            scan(
                tx,
                p,
                FileScan {
                    unexpired_at_micros: T0,
                    created_by: Some(mine.id),
                }
            ),
            vec!["expires-later", "old"]
        );
        let other = ProjectId(p.0 + 1000);
        assert!(scan(tx, other, everything(T0)).is_empty());
    });
}

fn a_scan_stops_when_told(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(1);
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        for name in ["a", "b", "c", "d"] {
            insert(tx, p, name, &by, None);
        }
        p
    });
    let mut seen = Vec::new();
    read(store.as_ref(), |tx| {
        tx.files()
            .scan_files(p, &everything(T0), &mut |f| {
                seen.push(f.name);
                seen.len() < 2
            })
            .unwrap()
    });
    assert_eq!(seen, vec!["d", "c"]);
}

fn stored_bytes_are_summed_per_project(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(1);
    let (p, q, empty) = write(store.as_ref(), |tx| {
        let (p, q, empty) = (
            new_project(tx, "p"),
            new_project(tx, "q"),
            new_project(tx, "e"),
        );
        insert(tx, p, "ab", &by, None); // 200 bytes
        insert(tx, p, "abc", &by, Some(T0)); // 300, expired but not purged: still stored
        insert(tx, q, "abcd", &by, None); // 400
        (p, q, empty)
    });
    read(store.as_ref(), |tx| {
        assert_eq!(tx.files().stored_file_bytes(p).unwrap(), 500);
        assert_eq!(tx.files().stored_file_bytes(q).unwrap(), 400);
        assert_eq!(tx.files().stored_file_bytes(empty).unwrap(), 0);
    });
}

fn deletes_one_file_of_its_project(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(1);
    let (p, q, a, b) = write(store.as_ref(), |tx| {
        let (p, q) = (new_project(tx, "p"), new_project(tx, "q"));
        (
            p,
            q,
            insert(tx, p, "a", &by, None),
            insert(tx, p, "b", &by, None),
        )
    });
    assert!(
        !write(store.as_ref(), |tx| tx.files().delete_file(q, a).unwrap()),
        "a file is deleted only through its own project"
    );
    assert!(write(store.as_ref(), |tx| tx
        .files()
        .delete_file(p, a)
        .unwrap()));
    assert!(!write(store.as_ref(), |tx| tx
        .files()
        .delete_file(p, a)
        .unwrap()));
    read(store.as_ref(), |tx| {
        assert!(tx.files().get_file(p, a).unwrap().is_none());
        assert_eq!(tx.files().file_ids(p).unwrap(), vec![b]);
    });
}

fn deletes_the_expired_ones(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(1);
    let (p, q, gone_p, gone_q, kept, permanent) = write(store.as_ref(), |tx| {
        let (p, q) = (new_project(tx, "p"), new_project(tx, "q"));
        (
            p,
            q,
            insert(tx, p, "due", &by, Some(T0 + DAY)),
            insert(tx, q, "overdue", &by, Some(T0)),
            insert(tx, p, "later", &by, Some(T0 + DAY + 1)),
            insert(tx, p, "forever", &by, None),
        )
    });
    let mut purged = write(store.as_ref(), |tx| {
        tx.files().delete_expired_files(T0 + DAY).unwrap()
    });
    purged.sort();
    let mut expected = vec![(p, gone_p), (q, gone_q)];
    expected.sort();
    assert_eq!(purged, expected);
    read(store.as_ref(), |tx| {
        assert_eq!(tx.files().file_ids(p).unwrap(), vec![kept, permanent]);
        assert!(tx.files().file_ids(q).unwrap().is_empty());
    });
    assert!(write(store.as_ref(), |tx| tx
        .files()
        .delete_expired_files(T0 + DAY)
        .unwrap())
    .is_empty());
}

fn an_uncommitted_file_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(1);
    let p = write(store.as_ref(), |tx| new_project(tx, "p"));
    let id = {
        let mut tx = store.begin_write().unwrap();
        let id = insert(tx.as_mut(), p, "dropped", &by, None);
        drop(tx);
        id
    };
    read(store.as_ref(), |tx| {
        assert!(tx.files().get_file(p, id).unwrap().is_none());
        assert!(tx.files().file_ids(p).unwrap().is_empty());
        assert_eq!(tx.files().stored_file_bytes(p).unwrap(), 0);
    });
}

fn deleting_the_project_removes_its_files(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(1);
    let (doomed, kept, kept_file) = write(store.as_ref(), |tx| {
        let (doomed, kept) = (new_project(tx, "doomed"), new_project(tx, "kept"));
        insert(tx, doomed, "a", &by, None);
        insert(tx, doomed, "b", &by, Some(T0));
        (doomed, kept, insert(tx, kept, "c", &by, None))
    });
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(doomed)
        .unwrap()));
    read(store.as_ref(), |tx| {
        assert!(tx.files().file_ids(doomed).unwrap().is_empty());
        assert_eq!(tx.files().stored_file_bytes(doomed).unwrap(), 0);
        assert_eq!(tx.files().file_ids(kept).unwrap(), vec![kept_file]);
    });
    assert!(write(store.as_ref(), |tx| tx
        .files()
        .delete_expired_files(T0 + DAY)
        .unwrap())
    .is_empty());
}

fn a_prepared_file_is_hidden_until_completed(new_store: NewStore<'_>) {
    let store = new_store();
    let by = token(3);
    let (p, id) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        let id = tx
            .files()
            .insert_file(&NewFileRecord {
                project: p,
                name: "up.csv",
                size_bytes: 0,
                sha256: "",
                tags: &[],
                is_permanent: true,
                max_age_days: None,
                created_micros: T0,
                expires_micros: Some(T0 + DAY),
                creator: &by,
                prepared: true,
                sliced: false,
            })
            .unwrap();
        (p, id)
    });
    read(store.as_ref(), |tx| {
        assert!(tx.files().get_file(p, id).unwrap().is_none());
        assert_eq!(scan(tx, p, everything(T0)), Vec::<String>::new());
        let prepared = tx.files().get_prepared_file(p, id).unwrap().unwrap();
        assert_eq!(prepared.name, "up.csv");
        // Its deadline is what purges it if the upload never comes.
        assert_eq!(
            prepared.expires.map(|e| e.timestamp_micros()),
            Some(T0 + DAY)
        );
    });
    let other = write(store.as_ref(), |tx| new_project(tx, "other"));
    assert!(!write(store.as_ref(), |tx| tx
        .files()
        .complete_prepared_file(other, id, 5, "ab", None, &[])
        .unwrap()));
    assert!(write(store.as_ref(), |tx| tx
        .files()
        .complete_prepared_file(p, id, 5, "ab", None, &[])
        .unwrap()));
    assert!(
        !write(store.as_ref(), |tx| tx
            .files()
            .complete_prepared_file(p, id, 9, "cd", None, &[])
            .unwrap()),
        "a finished file is not completed twice"
    );
    read(store.as_ref(), |tx| {
        assert!(tx.files().get_prepared_file(p, id).unwrap().is_none());
        let done = tx.files().get_file(p, id).unwrap().unwrap();
        assert_eq!((done.size_bytes, done.sha256.as_str()), (5, "ab"));
        assert_eq!(done.expires, None);
        assert_eq!(scan(tx, p, everything(T0)), vec!["up.csv".to_string()]);
        assert!(!done.is_sliced);
        assert_eq!(tx.files().file_slices(p, id).unwrap(), None);
    });
    let sliced = write(store.as_ref(), |tx| {
        tx.files()
            .insert_file(&NewFileRecord {
                project: p,
                name: "s.csv",
                size_bytes: 0,
                sha256: "",
                tags: &[],
                is_permanent: true,
                max_age_days: None,
                created_micros: T0,
                expires_micros: Some(T0 + DAY),
                creator: &by,
                prepared: true,
                sliced: true,
            })
            .unwrap()
    });
    let parts = vec![
        FileSlice {
            name: "part2".into(),
            size_bytes: 3,
        },
        FileSlice {
            name: "part1".into(),
            size_bytes: 4,
        },
    ];
    assert!(write(store.as_ref(), |tx| tx
        .files()
        .complete_prepared_file(p, sliced, 7, "ef", None, &parts)
        .unwrap()));
    read(store.as_ref(), |tx| {
        assert!(tx.files().get_file(p, sliced).unwrap().unwrap().is_sliced);
        assert_eq!(
            tx.files().file_slices(p, sliced).unwrap(),
            Some(parts),
            "in order"
        );
    });
}
