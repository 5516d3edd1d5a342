//! Typed tables through the stack's own operations, on each backend: the definition reaches the
//! backend (PostgreSQL stores native types), the same CSV comes back and fingerprints alike on
//! both, and PostgreSQL refuses a form it would rewrite, naming the table and leaving it as it was.

use stackport_model::api::{
    BaseType, ColumnDefinition, NewColumn, NewTable, TableDefinition, TableFingerprint,
};
use stackport_model::{ColumnName, TableId};
use stackport_stack::{ExportOptions, ImportOptions, Stack, TokenAuth};
use stackport_testkit::stack::{cols, new_bucket, new_project, open_on, Backend};
use stackport_testkit::TempDir;

fn def(name: &str, basetype: BaseType, nullable: bool, length: Option<&str>) -> ColumnDefinition {
    ColumnDefinition {
        name: ColumnName::parse(name).unwrap(),
        basetype,
        nullable,
        length: length.map(String::from),
    }
}

const GOOD: &str = "id,price,ok,at\n\
    1,1.50,true,2026-11-29T14:00:00+00:00\n\
    2,,false,\n\
    -3,-0.05,,2026-11-29T14:00:00.500+00:00\n";

/// The CSV the stack exports of [`GOOD`] (every value quoted), then with `seen` added.
fn exported(seen: bool) -> String {
    let rows = [
        ["1", "1.50", "true", "2026-11-29T14:00:00+00:00"],
        ["2", "", "false", ""],
        ["-3", "-0.05", "", "2026-11-29T14:00:00.500+00:00"],
    ];
    let mut out = String::from("\"id\",\"price\",\"ok\",\"at\"");
    out.push_str(if seen { ",\"seen\"\n" } else { "\n" });
    for r in rows {
        let quoted: Vec<String> = r.iter().map(|v| format!("\"{v}\"")).collect();
        out.push_str(&quoted.join(","));
        out.push_str(if seen { ",\"\"\n" } else { "\n" });
    }
    out
}

fn export(stack: &Stack, auth: &TokenAuth, id: &TableId) -> String {
    let stream = stack
        .prepare_export(auth, id, &ExportOptions::default())
        .unwrap();
    let mut out = Vec::new();
    stream.write_to(stack, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn import(
    stack: &Stack,
    auth: &TokenAuth,
    id: &TableId,
    csv: &str,
) -> stackport_stack::Result<u64> {
    let options = ImportOptions {
        incremental: true,
        ..Default::default()
    };
    let mut body: &[u8] = csv.as_bytes();
    stack
        .import_table(auth, id, &options, &mut body)
        .map(|r| r.rows_count)
}

/// A typed table on `backend` holding [`GOOD`], with a nullable column added: its export, its
/// fingerprint, and what importing `1.5` into `price` answered.
fn on(backend: Backend) -> (String, TableFingerprint, stackport_stack::Result<u64>) {
    let dir = TempDir::new("typed-tables");
    let stack = open_on(dir.path(), backend, None, |_| {});
    let (_, auth, _) = new_project(&stack, "p");
    let bucket = new_bucket(&stack, &auth, "typed");
    let definition = TableDefinition {
        columns: vec![
            def("id", BaseType::Integer, false, None),
            def("price", BaseType::Numeric, true, Some("10,2")),
            def("ok", BaseType::Boolean, true, None),
            def("at", BaseType::Timestamp, true, None),
        ],
        primary_keys_names: cols(&["id"]),
    };
    let table = stack
        .create_table(
            &auth,
            &bucket,
            &NewTable {
                name: "orders".into(),
                definition: Some(definition),
                ..Default::default()
            },
        )
        .unwrap();
    import(&stack, &auth, &table.id, GOOD).unwrap();
    assert_eq!(
        export(&stack, &auth, &table.id),
        exported(false),
        "{backend:?}"
    );
    let seen = def("seen", BaseType::Date, true, None);
    stack
        .add_column(
            &auth,
            &table.id,
            &NewColumn {
                name: seen.name.clone(),
                definition: Some(seen),
            },
        )
        .unwrap();
    let before = stack.table_fingerprint(&auth, &table.id).unwrap();
    let refused = import(&stack, &auth, &table.id, "id,price\n4,2.00\n5,1.5\n");
    let after = stack.table_fingerprint(&auth, &table.id).unwrap();
    if refused.is_err() {
        assert_eq!(
            after, before,
            "{backend:?}: a refused import changes nothing"
        );
    }
    (export(&stack, &auth, &table.id), before, refused)
}

#[test]
fn typed_tables_give_the_same_values_back_on_both_backends() {
    let (sqlite_csv, sqlite_sum, sqlite_refused) = on(Backend::Sqlite);
    let (pg_csv, pg_sum, pg_refused) = on(Backend::Postgresql);
    assert_eq!(
        sqlite_refused.unwrap(),
        5,
        "SQLite keeps '1.5' as it was given"
    );
    let err = pg_refused.unwrap_err();
    assert_eq!(err.code(), "storage.import.valueWouldChange", "{err}");
    assert_eq!(
        err.message(),
        "cannot import into in.c-typed.orders: column 'price' is NUMERIC(10,2): '1.5' (row 2) \
         would be stored as '1.50'; send '1.50', the one form PostgreSQL keeps; nothing was \
         imported"
    );
    assert_eq!(pg_csv, exported(true), "PostgreSQL's table as it was");
    assert_eq!(
        (pg_sum.rows_count, &pg_sum.columns, &pg_sum.hash),
        (sqlite_sum.rows_count, &sqlite_sum.columns, &sqlite_sum.hash),
        "the same typed rows fingerprint alike"
    );
    assert_ne!(sqlite_csv, exported(true), "SQLite took the two new rows");
}
