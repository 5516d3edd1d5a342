//! [`MetadataEntries`]' cases.

use stackport_model::api::{MetadataEntry, MetadataKeyValue};
use stackport_model::{ColumnName, MetadataId, ProjectId};

use super::buckets::bucket_id;
use super::tables::table_id;
use super::{new_project, read, write, NewStore};
use crate::store::{MetaTx, MetadataObject, MetadataScope, MetadataStore};

pub(super) fn run(new_store: NewStore<'_>) {
    entries_read_back_in_the_order_first_written(new_store);
    a_key_is_one_entry_per_provider(new_store);
    objects_keep_their_own_entries(new_store);
    one_entry_is_found_and_deleted_on_its_object_only(new_store);
    scopes_delete_what_they_name_and_no_more(new_store);
    uncommitted_entries_are_rolled_back(new_store);
    entries_go_with_their_project(new_store);
}

fn kv(key: &str, value: &str) -> MetadataKeyValue {
    MetadataKeyValue {
        key: key.into(),
        value: value.into(),
    }
}

fn upsert(
    tx: &mut dyn MetaTx,
    p: ProjectId,
    object: &MetadataObject,
    provider: &str,
    entries: &[MetadataKeyValue],
    now: i64,
) {
    tx.metadata()
        .upsert_metadata(p, object, provider, entries, now)
        .expect("entries are written");
}

fn list(store: &dyn MetadataStore, p: ProjectId, object: &MetadataObject) -> Vec<MetadataEntry> {
    read(store, |tx| tx.metadata().list_metadata(p, object).unwrap())
}

fn keys(entries: &[MetadataEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| format!("{}:{}={}", e.provider, e.key, e.value))
        .collect()
}

fn bucket(id: &str) -> MetadataObject {
    MetadataObject::Bucket(bucket_id(id))
}

fn table(id: &str) -> MetadataObject {
    MetadataObject::Table(table_id(id))
}

fn column(table: &str, column: &str) -> MetadataObject {
    MetadataObject::Column(table_id(table), ColumnName::parse(column).unwrap())
}

fn entries_read_back_in_the_order_first_written(new_store: NewStore<'_>) {
    let store = new_store();
    let object = table("in.c-a.t");
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        upsert(tx, p, &object, "user", &[kv("z", "1"), kv("a", "2")], 10);
        upsert(tx, p, &object, "user", &[kv("m", "3")], 20);
        p
    });
    let got = list(store.as_ref(), p, &object);
    assert_eq!(keys(&got), ["user:z=1", "user:a=2", "user:m=3"]);
    assert_eq!(got[0].timestamp.timestamp_micros(), 10);
    assert_eq!(got[2].timestamp.timestamp_micros(), 20);
    let mut ids: Vec<MetadataId> = got.iter().map(|e| e.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each entry gets an id of its own");
}

fn a_key_is_one_entry_per_provider(new_store: NewStore<'_>) {
    let store = new_store();
    let object = bucket("in.c-a");
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        upsert(
            tx,
            p,
            &object,
            "user",
            &[kv("k", "old"), kv("other", "x")],
            10,
        );
        p
    });
    let before = list(store.as_ref(), p, &object);
    write(store.as_ref(), |tx| {
        upsert(tx, p, &object, "user", &[kv("k", "new")], 20);
        upsert(tx, p, &object, "keboola.ex", &[kv("k", "theirs")], 30);
    });
    let after = list(store.as_ref(), p, &object);
    assert_eq!(
        keys(&after),
        ["user:k=new", "user:other=x", "keboola.ex:k=theirs"],
        "a written key changes in place; another provider's key is another entry"
    );
    assert_eq!(after[0].id, before[0].id, "an updated entry keeps its id");
    assert_eq!(
        after[0].timestamp.timestamp_micros(),
        20,
        "and gets the new time"
    );
    assert_eq!(
        after[1].timestamp.timestamp_micros(),
        10,
        "others keep theirs"
    );
}

fn objects_keep_their_own_entries(new_store: NewStore<'_>) {
    let store = new_store();
    let objects = [
        bucket("in.c-a"),
        table("in.c-a.t"),
        column("in.c-a.t", "id"),
        column("in.c-a.t", "name"),
        MetadataObject::Configuration("keboola.ex".parse().unwrap(), "1".parse().unwrap()),
        MetadataObject::Project,
    ];
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        for (i, o) in objects.iter().enumerate() {
            upsert(tx, p, o, "user", &[kv("k", &i.to_string())], 1);
        }
        p
    });
    for (i, o) in objects.iter().enumerate() {
        assert_eq!(
            keys(&list(store.as_ref(), p, o)),
            [format!("user:k={i}")],
            "{} {} has its own entry",
            o.kind(),
            o.key()
        );
    }
    let other = write(store.as_ref(), |tx| new_project(tx, "q"));
    assert!(
        list(store.as_ref(), other, &objects[0]).is_empty(),
        "projects do not share metadata"
    );
}

fn one_entry_is_found_and_deleted_on_its_object_only(new_store: NewStore<'_>) {
    let store = new_store();
    let (t, u) = (table("in.c-a.t"), table("in.c-a.u"));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        upsert(tx, p, &t, "user", &[kv("a", "1"), kv("b", "2")], 1);
        upsert(tx, p, &u, "user", &[kv("a", "1")], 1);
        p
    });
    let id = list(store.as_ref(), p, &t)[0].id;
    let got = read(store.as_ref(), |tx| {
        tx.metadata().get_metadata(p, &t, id).unwrap()
    });
    assert_eq!(got.map(|e| e.key), Some("a".to_string()));
    assert!(
        read(store.as_ref(), |tx| tx
            .metadata()
            .get_metadata(p, &u, id)
            .unwrap())
        .is_none(),
        "an entry is not found on another object"
    );
    assert!(
        !write(store.as_ref(), |tx| tx
            .metadata()
            .delete_metadata(p, &u, id)
            .unwrap()),
        "nor deleted through it"
    );
    assert!(write(store.as_ref(), |tx| tx
        .metadata()
        .delete_metadata(p, &t, id)
        .unwrap()));
    assert_eq!(keys(&list(store.as_ref(), p, &t)), ["user:b=2"]);
    assert_eq!(keys(&list(store.as_ref(), p, &u)), ["user:a=1"]);
}

fn scopes_delete_what_they_name_and_no_more(new_store: NewStore<'_>) {
    let store = new_store();
    // `_` is a wildcard of SQL's LIKE: a bucket named with one must not reach `in.c-aXb`.
    let doomed = [
        bucket("in.c-a_b"),
        table("in.c-a_b.t"),
        column("in.c-a_b.t", "id"),
        table("in.c-a_b.t2"),
    ];
    let kept = [
        bucket("in.c-aXb"),
        table("in.c-aXb.t"),
        column("in.c-aXb.t", "id"),
        bucket("in.c-a_bc"),
        table("in.c-a_bc.t"),
        bucket("out.c-a_b"),
    ];
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        for o in doomed.iter().chain(&kept) {
            upsert(tx, p, o, "user", &[kv("k", "v")], 1);
        }
        p
    });
    let remaining = |objects: &[MetadataObject]| {
        objects
            .iter()
            .filter(|o| !list(store.as_ref(), p, o).is_empty())
            .map(|o| o.key())
            .collect::<Vec<_>>()
    };

    // A table's scope: the table and its columns, not a table whose id starts the same.
    let n = write(store.as_ref(), |tx| {
        tx.metadata()
            .delete_metadata_of(p, MetadataScope::Table(&table_id("in.c-a_b.t")))
            .unwrap()
    });
    assert_eq!(n, 2);
    assert_eq!(remaining(&doomed), ["in.c-a_b", "in.c-a_b.t2"]);

    // One object's scope: just it.
    let n = write(store.as_ref(), |tx| {
        tx.metadata()
            .delete_metadata_of(p, MetadataScope::Object(&kept[2]))
            .unwrap()
    });
    assert_eq!(n, 1);
    assert!(list(store.as_ref(), p, &kept[2]).is_empty());
    write(store.as_ref(), |tx| {
        upsert(tx, p, &kept[2], "user", &[kv("k", "v")], 1)
    });

    // A bucket's scope: the bucket, its tables and their columns.
    write(store.as_ref(), |tx| {
        upsert(
            tx,
            p,
            &column("in.c-a_b.t2", "x"),
            "user",
            &[kv("k", "v")],
            1,
        );
        tx.metadata()
            .delete_metadata_of(p, MetadataScope::Bucket(&bucket_id("in.c-a_b")))
            .unwrap()
    });
    assert!(remaining(&doomed).is_empty());
    assert!(list(store.as_ref(), p, &column("in.c-a_b.t2", "x")).is_empty());
    assert_eq!(
        remaining(&kept).len(),
        kept.len(),
        "other buckets keep theirs: {:?}",
        remaining(&kept)
    );
}

fn uncommitted_entries_are_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let object = bucket("in.c-a");
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        upsert(tx, p, &object, "user", &[kv("k", "kept")], 1);
        p
    });
    {
        let mut tx = store.begin_write().unwrap();
        upsert(
            tx.as_mut(),
            p,
            &object,
            "user",
            &[kv("k", "changed"), kv("new", "x")],
            2,
        );
        drop(tx); // without a commit
    }
    assert_eq!(keys(&list(store.as_ref(), p, &object)), ["user:k=kept"]);
}

fn entries_go_with_their_project(new_store: NewStore<'_>) {
    let store = new_store();
    let object = table("in.c-a.t");
    let (p, q) = write(store.as_ref(), |tx| {
        let (p, q) = (new_project(tx, "p"), new_project(tx, "q"));
        upsert(tx, p, &object, "user", &[kv("k", "p")], 1);
        upsert(tx, p, &MetadataObject::Project, "user", &[kv("k", "p")], 1);
        upsert(tx, q, &object, "user", &[kv("k", "q")], 1);
        (p, q)
    });
    write(store.as_ref(), |tx| {
        tx.projects().delete_project(p).unwrap()
    });
    assert!(list(store.as_ref(), p, &object).is_empty());
    assert!(list(store.as_ref(), p, &MetadataObject::Project).is_empty());
    assert_eq!(keys(&list(store.as_ref(), q, &object)), ["user:k=q"]);
}
