//! The catalog's rules over a real stack (embedded storage in a temporary dir): what they
//! refuse, that a refusal loses nothing, and that every time they record is the stack's clock.

use std::sync::Arc;

use stackport_model::api::{
    MetadataKeyValue, MetadataWrite, NewAlias, NewBucket, NewColumn, NewTable,
};
use stackport_model::{BucketId, ColumnName, Stage, TableId};
use stackport_stack::{ManualClock, MetadataObject, Stack, TableInclude, TokenAuth};
use stackport_testkit::stack::{cols, new_bucket, new_project, open_with};
use stackport_testkit::TempDir;

/// 2026-01-02T03:04:05Z, far from the wall clock.
const T0: i64 = 1_767_323_045_000_000;

struct Fixture {
    _dir: TempDir,
    stack: Stack,
    auth: TokenAuth,
}

fn fixture(name: &str) -> Fixture {
    let dir = TempDir::new(name);
    let stack = open_with(&dir, Some(Arc::new(ManualClock::at(T0))), |_| {});
    let (_, auth, _) = new_project(&stack, "p");
    Fixture {
        _dir: dir,
        stack,
        auth,
    }
}

fn one_entry() -> MetadataWrite {
    MetadataWrite {
        provider: "user".into(),
        metadata: vec![MetadataKeyValue {
            key: "k".into(),
            value: "v".into(),
        }],
        ..Default::default()
    }
}

impl Fixture {
    fn bucket(&self, name: &str) -> BucketId {
        new_bucket(&self.stack, &self.auth, name)
    }

    fn table(&self, bucket: &BucketId, name: &str, columns: &[&str]) -> TableId {
        self.stack
            .create_table(
                &self.auth,
                bucket,
                &NewTable {
                    name: name.into(),
                    columns: cols(columns),
                    ..Default::default()
                },
            )
            .unwrap()
            .id
    }

    fn alias(&self, bucket: &BucketId, name: &str, source: &TableId, columns: &[&str]) -> TableId {
        self.stack
            .create_alias(
                &self.auth,
                bucket,
                &NewAlias {
                    source_table: source.clone(),
                    name: name.into(),
                    alias_filter: None,
                    alias_columns: cols(columns),
                },
            )
            .unwrap()
            .id
    }

    fn table_ids(&self) -> Vec<String> {
        let tables = self
            .stack
            .list_tables(&self.auth, None, TableInclude::default())
            .unwrap();
        tables.iter().map(|t| t.id.to_string()).collect()
    }
}

#[test]
fn a_bucket_with_tables_read_from_elsewhere_is_kept_until_the_alias_goes() {
    let f = fixture("catalog-bucket-delete");
    let a = f.bucket("a");
    let b = f.bucket("b");
    let t = f.table(&a, "t", &["id", "v"]);
    f.stack
        .write_metadata(&f.auth, &MetadataObject::Table(t.clone()), &one_entry())
        .unwrap();
    let outside = f.alias(&b, "view", &t, &[]);

    let err = f.stack.delete_bucket(&f.auth, &a, false).unwrap_err();
    assert_eq!(err.code(), "storage.buckets.notEmpty");
    let err = f.stack.delete_bucket(&f.auth, &a, true).unwrap_err();
    assert_eq!(err.code(), "storage.buckets.hasAliases");
    assert!(err.to_string().contains(&outside.to_string()), "{err}");
    assert_eq!(
        f.table_ids(),
        ["in.c-a.t", "in.c-b.view"],
        "a refusal loses nothing"
    );

    f.stack.delete_table(&f.auth, &outside).unwrap();
    f.stack.delete_bucket(&f.auth, &a, true).unwrap();
    assert!(f.table_ids().is_empty());
    // The same names again start empty: the old table's metadata went with it.
    let a = f.bucket("a");
    let t = f.table(&a, "t", &["id"]);
    let metadata = f
        .stack
        .list_metadata(&f.auth, &MetadataObject::Table(t))
        .unwrap();
    assert!(metadata.is_empty(), "{metadata:?}");
}

#[test]
fn names_clash_case_insensitively_and_the_message_names_the_existing_one() {
    let f = fixture("catalog-names");
    let a = f.bucket("Sales");
    let err = f
        .stack
        .create_bucket(
            &f.auth,
            &NewBucket {
                name: "sales".into(),
                stage: Stage::In,
                display_name: Some("other".into()),
                description: None,
                backend: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "storage.buckets.alreadyExists");
    assert!(err.to_string().contains("in.c-Sales"), "{err}");
    let t = f.table(&a, "Orders", &["id"]);
    let err = f
        .stack
        .create_alias(
            &f.auth,
            &a,
            &NewAlias {
                source_table: t,
                name: "ORDERS".into(),
                alias_filter: None,
                alias_columns: Vec::new(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "storage.tables.alreadyExists");
    assert!(err.to_string().contains("in.c-Sales.Orders"), "{err}");
}

#[test]
fn aliases_hold_their_source_s_columns_and_guard_the_ones_they_use() {
    let f = fixture("catalog-aliases");
    let a = f.bucket("a");
    let t = f.table(&a, "t", &["id", "v", "w"]);
    let follows = f.alias(&a, "follows", &t, &[]);
    let own = f.alias(&a, "own", &t, &["id", "w"]);

    f.stack
        .add_column(
            &f.auth,
            &t,
            &NewColumn {
                name: ColumnName::parse("x").unwrap(),
                definition: None,
            },
        )
        .unwrap();
    let columns = |id: &TableId| f.stack.get_table(&f.auth, id).unwrap().columns;
    assert_eq!(columns(&follows), cols(&["id", "v", "w", "x"]));
    assert_eq!(columns(&own), cols(&["id", "w"]));

    let err = f
        .stack
        .delete_column(&f.auth, &t, &ColumnName::parse("w").unwrap())
        .unwrap_err();
    assert_eq!(err.code(), "storage.tables.columnUsedByAlias");
    f.stack
        .delete_column(&f.auth, &t, &ColumnName::parse("v").unwrap())
        .unwrap();
    assert_eq!(columns(&follows), cols(&["id", "w", "x"]));
    assert_eq!(columns(&t), cols(&["id", "w", "x"]));

    let err = f.stack.delete_table(&f.auth, &t).unwrap_err();
    assert_eq!(err.code(), "storage.tables.hasAliases");
    assert!(
        err.to_string().contains("in.c-a.follows, in.c-a.own"),
        "{err}"
    );
    let err = f
        .stack
        .set_primary_key(&f.auth, &follows, &cols(&["id"]))
        .unwrap_err();
    assert_eq!(err.code(), "storage.tables.aliasReadOnly");
}

#[test]
fn the_catalog_records_the_stack_s_time() {
    let f = fixture("catalog-clock");
    let a = f.bucket("a");
    let t = f.table(&a, "t", &["id"]);
    let bucket = f.stack.get_bucket(&f.auth, &a).unwrap();
    assert_eq!(bucket.created.timestamp_micros(), T0);
    let table = f.stack.get_table(&f.auth, &t).unwrap();
    assert_eq!(table.created.timestamp_micros(), T0);
    let written = f
        .stack
        .write_metadata(&f.auth, &MetadataObject::Bucket(a), &one_entry())
        .unwrap();
    assert_eq!(written[0].timestamp.timestamp_micros(), T0);
}
