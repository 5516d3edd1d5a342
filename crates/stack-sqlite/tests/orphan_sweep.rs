//! The orphan sweep at `Stack::open` against the embedded storage: a physical table a crash
//! left behind (its DDL committed, the catalog's transaction not) is dropped, and the tables
//! the catalog names keep their rows.

use std::path::Path;

use stackport_model::api::NewTable;
use stackport_model::ColumnName;
use stackport_stack::ImportOptions;
use stackport_testkit::stack::{new_bucket, new_project, open};
use stackport_testkit::TempDir;

/// The physical tables in a project's SQLite file, the stack's own bookkeeping left out.
fn physical_tables(dir: &Path, project: u64) -> Vec<String> {
    let conn =
        rusqlite::Connection::open(dir.join("tables").join(format!("{project}.sqlite"))).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE '\\_stackport\\_%' ESCAPE '\\' ORDER BY name",
        )
        .unwrap();
    let names = stmt.query_map([], |r| r.get(0)).unwrap();
    names.collect::<rusqlite::Result<Vec<String>>>().unwrap()
}

#[test]
fn opening_a_stack_drops_physical_tables_the_catalog_does_not_name() {
    let dir = TempDir::new("orphan-sweep");
    let (project, token, table) = {
        let stack = open(&dir);
        let (project, auth, token) = new_project(&stack, "p");
        let bucket = new_bucket(&stack, &auth, "sales");
        let table = stack
            .create_table(
                &auth,
                &bucket,
                &NewTable {
                    name: "orders".into(),
                    columns: vec![ColumnName::parse("id").unwrap()],
                    ..Default::default()
                },
            )
            .unwrap();
        stack
            .import_table(
                &auth,
                &table.id,
                &ImportOptions::default(),
                &mut std::io::Cursor::new(b"id\n1\n2\n".to_vec()),
            )
            .unwrap();
        (project, token, table.id)
    };
    let real = physical_tables(dir.path(), project.0);
    assert_eq!(real.len(), 1, "one table, one physical table: {real:?}");

    // What a crash between the backend's DDL and the catalog's commit leaves.
    let conn =
        rusqlite::Connection::open(dir.path().join("tables").join(format!("{project}.sqlite")))
            .unwrap();
    conn.execute_batch("CREATE TABLE t_orphan0123456789 (\"id\" TEXT); INSERT INTO t_orphan0123456789 VALUES ('x');")
        .unwrap();
    drop(conn);
    assert_eq!(physical_tables(dir.path(), project.0).len(), 2);

    let stack = open(dir.path());
    assert_eq!(
        physical_tables(dir.path(), project.0),
        real,
        "the orphan is dropped, the catalog's table kept"
    );
    let auth = stack.authenticate(Some(&token)).unwrap();
    let got = stack.get_table(&auth, &table).unwrap();
    assert_eq!(got.rows_count, 2, "the real table keeps its rows");
    drop(stack);
    let again = open(dir.path());
    let auth = again.authenticate(Some(&token)).unwrap();
    assert_eq!(
        again.get_table(&auth, &table).unwrap().rows_count,
        2,
        "and a second sweep changes nothing"
    );
}
