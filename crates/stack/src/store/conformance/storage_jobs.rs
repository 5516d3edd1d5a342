//! [`StorageJobStore`]'s cases.

use serde_json::json;
use stackport_model::api::{StorageJobError, StorageJobStatus, StorageOperation, TokenRef};
use stackport_model::{ProjectId, StorageJobId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{MetaTx, MetadataStore, NewStorageJobRecord, StorageJobEnd, StorageJobRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    accepted_jobs_read_back_in_their_project_only(new_store);
    lists_are_newest_first_and_paged(new_store);
    claims_take_one_job_per_project_in_order(new_store);
    concurrent_claimers_never_share_a_job(new_store);
    only_processing_jobs_finish(new_store);
    deleting_the_project_removes_its_storage_jobs(new_store);
}

const T0: i64 = 1_700_000_000_000_000;

fn token() -> TokenRef {
    TokenRef {
        id: TokenId(7),
        description: "token 7".into(),
    }
}

fn accept(tx: &mut dyn MetaTx, project: ProjectId, object: &str) -> StorageJobId {
    tx.storage_jobs()
        .insert_storage_job(&NewStorageJobRecord {
            project,
            operation: StorageOperation::TableImport,
            object_id: object,
            params: &json!({"incremental": "1", "columns": ["a", "b"]}),
            token: &token(),
            created_micros: T0,
        })
        .expect("a storage job is accepted")
}

fn claim(store: &dyn MetadataStore) -> Option<StorageJobRecord> {
    write(store, |tx| {
        tx.storage_jobs().claim_storage_job(T0 + 1).unwrap()
    })
}

fn end(store: &dyn MetadataStore, id: StorageJobId, status: StorageJobStatus) -> bool {
    let error = StorageJobError {
        code: "storage.tables.notFound".into(),
        message: "table in.c-a.t not found".into(),
    };
    write(store, |tx| {
        tx.storage_jobs()
            .finish_storage_job(
                id,
                &StorageJobEnd {
                    status,
                    results: &json!({"id": "in.c-a.t"}),
                    error: (status == StorageJobStatus::Error).then_some(&error),
                    ended_micros: T0 + 2,
                },
            )
            .unwrap()
    })
}

fn get(store: &dyn MetadataStore, p: ProjectId, id: StorageJobId) -> Option<StorageJobRecord> {
    read(store, |tx| {
        tx.storage_jobs().get_storage_job(p, id).unwrap()
    })
}

fn accepted_jobs_read_back_in_their_project_only(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b, id) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        (a, b, accept(tx, a, "in.c-a.t"))
    });
    let job = get(store.as_ref(), a, id).expect("the job reads back");
    assert_eq!(job.operation, StorageOperation::TableImport);
    assert_eq!(job.object_id, "in.c-a.t");
    assert_eq!(
        job.params,
        json!({"incremental": "1", "columns": ["a", "b"]})
    );
    assert_eq!(job.status, StorageJobStatus::Waiting);
    assert_eq!(job.results, serde_json::Value::Null);
    assert_eq!(job.error, None);
    assert_eq!((job.created, job.started, job.ended), (T0, None, None));
    assert_eq!(job.token, token());
    assert_eq!(get(store.as_ref(), b, id), None, "another project's job");
    let second = write(store.as_ref(), |tx| accept(tx, b, "in.c-b.t"));
    assert!(second > id, "ids grow");
}

fn lists_are_newest_first_and_paged(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, ids) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        let other = new_project(tx, "other");
        accept(tx, other, "x");
        (p, (0..3).map(|_| accept(tx, p, "t")).collect::<Vec<_>>())
    });
    let list = |limit, offset| {
        read(store.as_ref(), |tx| {
            tx.storage_jobs()
                .list_storage_jobs(p, limit, offset)
                .unwrap()
                .into_iter()
                .map(|j| j.id)
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(list(10, 0), vec![ids[2], ids[1], ids[0]]);
    assert_eq!(list(1, 1), vec![ids[1]]);
    assert_eq!(list(10, 3), vec![]);
    assert_eq!(
        read(store.as_ref(), |tx| tx
            .storage_jobs()
            .count_storage_jobs(p)
            .unwrap()),
        3
    );
}

fn claims_take_one_job_per_project_in_order(new_store: NewStore<'_>) {
    let store = new_store();
    let (a1, a2, b1) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        (accept(tx, a, "1"), accept(tx, a, "2"), accept(tx, b, "1"))
    });
    let first = claim(store.as_ref()).expect("a job is claimed");
    assert_eq!(first.id, a1, "the oldest first");
    assert_eq!(first.status, StorageJobStatus::Processing);
    assert_eq!(first.started, Some(T0 + 1));
    assert_eq!(
        claim(store.as_ref()).map(|j| j.id),
        Some(b1),
        "project a has a job processing: b's runs beside it"
    );
    assert_eq!(claim(store.as_ref()).map(|j| j.id), None, "a2 waits for a1");
    assert!(end(store.as_ref(), a1, StorageJobStatus::Success));
    assert_eq!(claim(store.as_ref()).map(|j| j.id), Some(a2));
    let processing = read(store.as_ref(), |tx| {
        tx.storage_jobs().processing_storage_jobs().unwrap()
    });
    assert_eq!(
        processing.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![a2, b1]
    );
}

fn concurrent_claimers_never_share_a_job(new_store: NewStore<'_>) {
    let store = new_store();
    let mut ids = write(store.as_ref(), |tx| {
        (0..8)
            .map(|i| {
                let p = new_project(tx, &format!("p{i}"));
                accept(tx, p, "t")
            })
            .collect::<Vec<_>>()
    });
    let store = store.as_ref();
    let mut claimed: Vec<StorageJobId> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(move || {
                    let mut mine = Vec::new();
                    while let Some(job) = claim(store) {
                        mine.push(job.id);
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a claimer ends"))
            .collect()
    });
    claimed.sort();
    ids.sort();
    assert_eq!(claimed, ids, "each job claimed exactly once");
}

fn only_processing_jobs_finish(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, id) = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        (p, accept(tx, p, "t"))
    });
    assert!(
        !end(store.as_ref(), id, StorageJobStatus::Success),
        "a waiting job does not end"
    );
    claim(store.as_ref()).expect("claimed");
    assert!(end(store.as_ref(), id, StorageJobStatus::Error));
    let job = get(store.as_ref(), p, id).unwrap();
    assert_eq!(job.status, StorageJobStatus::Error);
    assert_eq!(job.ended, Some(T0 + 2));
    assert_eq!(
        job.error.as_ref().map(|e| e.code.as_str()),
        Some("storage.tables.notFound")
    );
    assert!(
        !end(store.as_ref(), id, StorageJobStatus::Success),
        "an ended job stays as it ended"
    );
    assert_eq!(get(store.as_ref(), p, id).unwrap(), job);
}

fn deleting_the_project_removes_its_storage_jobs(new_store: NewStore<'_>) {
    let store = new_store();
    let (gone, kept, gone_job, kept_job) = write(store.as_ref(), |tx| {
        let gone = new_project(tx, "gone");
        let kept = new_project(tx, "kept");
        (gone, kept, accept(tx, gone, "t"), accept(tx, kept, "t"))
    });
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(gone)
        .unwrap()));
    assert_eq!(get(store.as_ref(), gone, gone_job), None);
    assert!(get(store.as_ref(), kept, kept_job).is_some());
    assert_eq!(claim(store.as_ref()).map(|j| j.id), Some(kept_job));
}
