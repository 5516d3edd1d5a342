//! [`BucketStore`]'s cases.

use stackport_model::{BucketId, ProjectId};

use super::{new_project, read, write, NewStore};
use crate::backend::PhysicalName;
use crate::store::{BucketRecord, BucketStore, MetaTx, NewBucketRecord, NewTableRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_buckets_read_back_by_id(new_store);
    an_id_is_taken_once_whatever_its_case(new_store);
    a_display_name_is_taken_once_per_stage(new_store);
    touching_changes_only_that_bucket(new_store);
    deleting_a_bucket(new_store);
    an_uncommitted_bucket_is_rolled_back(new_store);
    buckets_go_with_their_project(new_store);
}

pub(super) fn bucket_id(id: &str) -> BucketId {
    id.parse().expect("a valid bucket id")
}

/// Inserts bucket `id` (display name its name) at `created_micros`.
pub(super) fn insert(tx: &mut dyn MetaTx, project: ProjectId, id: &str, created_micros: i64) {
    insert_named(
        tx.buckets(),
        project,
        id,
        bucket_id(id).name(),
        created_micros,
    )
    .expect("the bucket is inserted");
}

fn insert_named(
    buckets: &mut dyn BucketStore,
    project: ProjectId,
    id: &str,
    display_name: &str,
    created_micros: i64,
) -> crate::Result<()> {
    buckets.insert_bucket(
        project,
        &NewBucketRecord {
            id: &bucket_id(id),
            display_name,
            description: "what it holds",
            backend: "sqlite",
            created_micros,
        },
    )
}

fn ids(buckets: &[BucketRecord]) -> Vec<String> {
    buckets.iter().map(|b| b.id.to_string()).collect()
}

fn inserted_buckets_read_back_by_id(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx, p, "out.c-reports", 10);
        insert_named(tx.buckets(), p, "in.c-sales", "Sales data", 20).unwrap();
        insert(tx, p, "in.c-ads", 30);
        p
    });
    let got = read(store.as_ref(), |tx| {
        tx.buckets()
            .get_bucket(p, &bucket_id("in.c-sales"))
            .unwrap()
    })
    .expect("the inserted bucket is found");
    assert_eq!(
        got,
        BucketRecord {
            id: bucket_id("in.c-sales"),
            display_name: "Sales data".into(),
            description: "what it holds".into(),
            backend: "sqlite".into(),
            created_micros: 20,
            last_change_micros: 20,
        },
        "a bucket reads back as inserted, last changed when created"
    );
    let all = read(store.as_ref(), |tx| tx.buckets().list_buckets(p).unwrap());
    assert_eq!(
        ids(&all),
        ["in.c-ads", "in.c-sales", "out.c-reports"],
        "buckets are listed by id"
    );
    let missing = read(store.as_ref(), |tx| {
        tx.buckets()
            .get_bucket(p, &bucket_id("in.c-Sales"))
            .unwrap()
    });
    assert!(missing.is_none(), "get compares ids exactly");
}

fn an_id_is_taken_once_whatever_its_case(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx, p, "in.c-sales", 1);
        p
    });
    let again = {
        let mut tx = store.begin_write().unwrap();
        insert_named(tx.buckets(), p, "in.c-sales", "other", 2)
    };
    assert!(
        again.is_err(),
        "the store refuses a second bucket with the same id"
    );
    let taken = read(store.as_ref(), |tx| {
        tx.buckets()
            .bucket_name_taken(p, &bucket_id("in.c-SALES"), "different")
            .unwrap()
    });
    assert_eq!(
        taken,
        Some(bucket_id("in.c-sales")),
        "ids clash case-insensitively, and the existing one is named"
    );
    let free = read(store.as_ref(), |tx| {
        tx.buckets()
            .bucket_name_taken(p, &bucket_id("in.c-sales2"), "sales2")
            .unwrap()
    });
    assert_eq!(free, None);
    let other = write(store.as_ref(), |tx| new_project(tx, "q"));
    let elsewhere = read(store.as_ref(), |tx| {
        tx.buckets()
            .bucket_name_taken(other, &bucket_id("in.c-sales"), "sales")
            .unwrap()
    });
    assert_eq!(elsewhere, None, "another project's buckets do not clash");
}

fn a_display_name_is_taken_once_per_stage(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert_named(tx.buckets(), p, "in.c-a", "Shared", 1).unwrap();
        p
    });
    let taken = |id: &str, name: &str| {
        read(store.as_ref(), |tx| {
            tx.buckets()
                .bucket_name_taken(p, &bucket_id(id), name)
                .unwrap()
        })
    };
    assert_eq!(taken("in.c-b", "Shared"), Some(bucket_id("in.c-a")));
    assert_eq!(taken("out.c-b", "Shared"), None, "other stage");
    assert_eq!(
        taken("in.c-b", "shared"),
        None,
        "display names compare exactly"
    );
}

fn touching_changes_only_that_bucket(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx, p, "in.c-a", 1);
        insert(tx, p, "in.c-b", 1);
        tx.buckets()
            .touch_bucket(p, &bucket_id("in.c-a"), 99)
            .unwrap();
        p
    });
    let all = read(store.as_ref(), |tx| tx.buckets().list_buckets(p).unwrap());
    let changes: Vec<(i64, i64)> = all
        .iter()
        .map(|b| (b.created_micros, b.last_change_micros))
        .collect();
    assert_eq!(changes, [(1, 99), (1, 1)]);
}

fn deleting_a_bucket(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx, p, "in.c-a", 1);
        insert(tx, p, "in.c-b", 1);
        tx.tables()
            .insert_table(
                p,
                &NewTableRecord {
                    id: &"in.c-b.t".parse().unwrap(),
                    display_name: "t",
                    physical: &PhysicalName::from_stored("t_b".into()),
                    columns: &["id".parse().unwrap()],
                    primary_key: &[],
                    definition: None,
                    created_micros: 1,
                },
            )
            .unwrap();
        p
    });
    assert!(write(store.as_ref(), |tx| tx
        .buckets()
        .delete_bucket(p, &bucket_id("in.c-a"))
        .unwrap()));
    assert!(
        !write(store.as_ref(), |tx| tx
            .buckets()
            .delete_bucket(p, &bucket_id("in.c-a"))
            .unwrap()),
        "deleting twice finds nothing"
    );
    let refused = {
        let mut tx = store.begin_write().unwrap();
        tx.buckets().delete_bucket(p, &bucket_id("in.c-b"))
    };
    assert!(refused.is_err(), "a bucket holding a table is not deleted");
    let left = read(store.as_ref(), |tx| tx.buckets().list_buckets(p).unwrap());
    assert_eq!(ids(&left), ["in.c-b"]);
}

fn an_uncommitted_bucket_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| new_project(tx, "p"));
    {
        let mut tx = store.begin_write().unwrap();
        insert(tx.as_mut(), p, "in.c-dropped", 1);
        drop(tx); // without a commit
    }
    assert!(read(store.as_ref(), |tx| tx.buckets().list_buckets(p).unwrap()).is_empty());
}

fn buckets_go_with_their_project(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, q) = write(store.as_ref(), |tx| {
        let (p, q) = (new_project(tx, "p"), new_project(tx, "q"));
        insert(tx, p, "in.c-same", 1);
        insert(tx, q, "in.c-same", 2);
        (p, q)
    });
    write(store.as_ref(), |tx| {
        tx.projects().delete_project(p).unwrap()
    });
    assert!(read(store.as_ref(), |tx| tx.buckets().list_buckets(p).unwrap()).is_empty());
    let kept = read(store.as_ref(), |tx| tx.buckets().list_buckets(q).unwrap());
    assert_eq!(
        kept.iter().map(|b| b.created_micros).collect::<Vec<_>>(),
        [2],
        "the other project's bucket of the same id stays"
    );
}
