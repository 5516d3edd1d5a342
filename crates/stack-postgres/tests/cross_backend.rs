//! The same rows give the same fingerprint on SQLite and on PostgreSQL, so `migrate verify` can
//! compare a project across backends: awkward values (empty strings, unicode, quotes, newlines,
//! a 1 MB value) and numeric column names, read back byte for byte from both.

mod support;

use stackport_model::{ColumnName, ProjectId};
use stackport_stack::backend::{ExportQuery, ImportPlan, PhysicalName, RowSink, TableBackend};
use stackport_stack::RowSum;
use stackport_stack_sqlite::SqliteBackend;
use stackport_testkit::TempDir;

fn rows() -> Vec<Vec<String>> {
    let big = "ž\"x\n".repeat(256 * 1024);
    vec![
        vec!["1".into(), "".into(), "plain".into()],
        vec![
            "2".into(),
            "Příliš žluťoučký kůň 🐎".into(),
            "\"quoted\", with comma".into(),
        ],
        vec![
            "3".into(),
            "line\nbreak\r\nand\ttab".into(),
            "\\backslash\\N".into(),
        ],
        vec!["4".into(), big, "".into()],
        vec!["".into(), "no key".into(), "'single'".into()],
    ]
}

/// Imports the rows into a new table of `backend`; returns the fingerprint sum, the rows read
/// back and how many the export counted.
fn round_trip(
    backend: &dyn TableBackend,
    columns: &[ColumnName],
) -> (String, Vec<Vec<Vec<u8>>>, u64) {
    let project = ProjectId(9301);
    let table = PhysicalName::from_stored("t_cross".into());
    backend
        .create_table(project, &table, columns, None, &[], 1)
        .unwrap();
    let rows = rows();
    let plan = ImportPlan {
        table: &table,
        columns,
        primary_key: &[],
        incremental: false,
        now_micros: 2,
        idempotency_key: None,
    };
    backend
        .import(project, &plan, &mut |sink: &mut dyn RowSink| {
            for r in &rows {
                sink.insert(&r.iter().map(String::as_str).collect::<Vec<_>>(), 3)?;
            }
            Ok(())
        })
        .unwrap();
    let mut sum = RowSum::default();
    let mut back = Vec::new();
    let query = ExportQuery {
        columns,
        ..Default::default()
    };
    let count = backend
        .export(project, &table, &query, &mut |values, _| {
            sum.add_row(values);
            back.push(values.iter().map(|v| v.to_vec()).collect());
            Ok(())
        })
        .unwrap();
    backend.drop_project(project).unwrap();
    (sum.hex(), back, count)
}

#[test]
fn the_same_rows_have_the_same_fingerprint_on_both_backends() {
    let columns: Vec<ColumnName> = ["1", "2nd-col", "value"]
        .iter()
        .map(|n| ColumnName::parse(n).unwrap())
        .collect();
    let dir = TempDir::new("cross-backend");
    let sqlite = SqliteBackend::new(dir.to_path_buf()).unwrap();
    let postgres = support::backend();
    let (sqlite_sum, sqlite_rows, sqlite_count) = round_trip(&sqlite, &columns);
    let (pg_sum, pg_rows, pg_count) = round_trip(&postgres, &columns);
    let expected: Vec<Vec<Vec<u8>>> = rows()
        .into_iter()
        .map(|r| r.into_iter().map(String::into_bytes).collect())
        .collect();
    assert_eq!(
        sqlite_rows, expected,
        "SQLite gives the rows back byte for byte"
    );
    assert_eq!(
        pg_rows, expected,
        "PostgreSQL gives the rows back byte for byte"
    );
    assert_eq!((sqlite_count, pg_count), (5, 5));
    assert_eq!(sqlite_sum, pg_sum, "the fingerprints agree");
}
