//! Typed tables in PostgreSQL's own types: what the catalog shows, values refused because
//! PostgreSQL would give them back in another form (with the form to send), a refused import
//! leaving everything as it was, and the same typed rows fingerprinting alike on SQLite.

mod support;

use stackport_model::api::{BaseType, ColumnDefinition};
use stackport_model::{ColumnName, ProjectId};
use stackport_stack::backend::{
    ExportQuery, ImportPlan, PhysicalName, RowSink, TableBackend, TableStats, VALUE_WOULD_CHANGE,
};
use stackport_stack::{Result, RowSum};
use stackport_stack_sqlite::SqliteBackend;
use stackport_testkit::TempDir;

fn def(name: &str, basetype: BaseType, nullable: bool, length: Option<&str>) -> ColumnDefinition {
    ColumnDefinition {
        name: ColumnName::parse(name).unwrap(),
        basetype,
        nullable,
        length: length.map(String::from),
    }
}

fn definitions() -> Vec<ColumnDefinition> {
    vec![
        def("id", BaseType::Integer, false, None),
        def("price", BaseType::Numeric, true, Some("10,2")),
        def("ratio", BaseType::Float, true, None),
        def("ok", BaseType::Boolean, true, None),
        def("day", BaseType::Date, true, None),
        def("at", BaseType::Timestamp, true, None),
        def("code", BaseType::String, true, Some("5")),
        def("note", BaseType::String, true, None),
        def("big", BaseType::Numeric, false, None),
    ]
}

fn names(defs: &[ColumnDefinition]) -> Vec<ColumnName> {
    defs.iter().map(|d| d.name.clone()).collect()
}

fn row(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn good_rows() -> Vec<Vec<String>> {
    vec![
        row(&[
            "1",
            "1.50",
            "1.5",
            "true",
            "2026-02-28",
            "2026-11-29T14:00:00+00:00",
            "název",
            "a note",
            "1.5",
        ]),
        row(&["2", "", "", "", "", "", "", "", "0"]),
        row(&[
            "-3",
            "-0.05",
            "Infinity",
            "false",
            "0099-01-01",
            "2026-11-29T14:00:00.123456+00:00",
            "\"q\"",
            "line\nbreak",
            "-12345678901234567890.5",
        ]),
    ]
}

fn create(b: &dyn TableBackend, p: ProjectId, table: &str) -> PhysicalName {
    let t = PhysicalName::from_stored(table.into());
    let defs = definitions();
    b.create_table(p, &t, &names(&defs), Some(&defs), &names(&defs)[..1], 1)
        .unwrap();
    t
}

fn import(
    b: &dyn TableBackend,
    p: ProjectId,
    t: &PhysicalName,
    c: &[ColumnName],
    incremental: bool,
    key: Option<&str>,
    rows: &[Vec<String>],
) -> Result<TableStats> {
    let id = [ColumnName::parse("id").unwrap()];
    let plan = ImportPlan {
        table: t,
        columns: c,
        primary_key: &id,
        incremental,
        now_micros: 2,
        idempotency_key: key,
    };
    b.import(p, &plan, &mut |s: &mut dyn RowSink| {
        for r in rows {
            s.insert(&r.iter().map(String::as_str).collect::<Vec<_>>(), 3)?;
        }
        Ok(())
    })
}

/// The rows, in order, and their fingerprint.
fn read(
    b: &dyn TableBackend,
    p: ProjectId,
    t: &PhysicalName,
    c: &[ColumnName],
) -> (Vec<Vec<String>>, String) {
    let mut out = Vec::new();
    let mut sum = RowSum::default();
    let q = ExportQuery {
        columns: c,
        ..Default::default()
    };
    b.export(p, t, &q, &mut |values, _| {
        sum.add_row(values);
        out.push(
            values
                .iter()
                .map(|v| String::from_utf8(v.to_vec()).unwrap())
                .collect(),
        );
        Ok(())
    })
    .unwrap();
    (out, sum.hex())
}

#[test]
fn typed_columns_have_postgres_types() {
    let url = support::url();
    let b = support::on(&url);
    let p = ProjectId(9401);
    create(&b, p, "native");
    let plain = PhysicalName::from_stored("plain".into());
    b.create_table(p, &plain, &[ColumnName::parse("v").unwrap()], None, &[], 1)
        .unwrap();
    let added = def("seen", BaseType::Boolean, true, None);
    b.add_column(
        p,
        &PhysicalName::from_stored("native".into()),
        &added.name,
        Some(&added),
        2,
    )
    .unwrap();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let shown: Vec<(String, String, String)> = client
        .query(
            "SELECT table_name::text || '.' || column_name::text, \
             format_type(a.atttypid, a.atttypmod), is_nullable::text \
             FROM information_schema.columns c \
             JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass \
              AND a.attname = c.column_name \
             WHERE table_schema = 'p9401' AND table_name IN ('native', 'plain') \
              AND column_name NOT LIKE '\\_%' \
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let expected = [
        ("native.id", "bigint", "NO"),
        ("native.price", "numeric(10,2)", "YES"),
        ("native.ratio", "double precision", "YES"),
        ("native.ok", "boolean", "YES"),
        ("native.day", "date", "YES"),
        ("native.at", "timestamp with time zone", "YES"),
        ("native.code", "character varying(5)", "YES"),
        ("native.note", "text", "YES"),
        ("native.big", "numeric", "NO"),
        ("native.seen", "boolean", "YES"),
        ("plain.v", "text", "NO"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(shown, expected, "information_schema shows native types");

    // Nullable empties are NULL, not an empty string.
    let t = PhysicalName::from_stored("native".into());
    let c = names(&definitions());
    import(&b, p, &t, &c, false, None, &good_rows()).unwrap();
    let nulls: i64 = client
        .query_one(
            "SELECT count(*) FROM p9401.native WHERE price IS NULL AND ok IS NULL AND at IS NULL \
             AND code IS NULL AND seen IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(nulls, 1, "the row of empties holds NULLs");
    b.drop_project(p).unwrap();
}

#[test]
fn values_postgres_would_write_otherwise_are_refused_with_the_form_to_send() {
    let b = support::backend();
    let p = ProjectId(9402);
    let t = create(&b, p, "forms");
    let c = names(&definitions());
    let at = |column: &str, value: &str| {
        let mut r = good_rows()[0].clone();
        r[0] = "10".into();
        let i = c.iter().position(|n| n.as_str() == column).unwrap();
        r[i] = value.into();
        vec![good_rows()[1].clone(), r]
    };
    for (column, value, message) in [
        (
            "price",
            "1.5",
            "column 'price' is NUMERIC(10,2): '1.5' (row 2) would be stored as '1.50'; send '1.50'",
        ),
        ("price", "+1.00", "would be stored as '1.00'; send '1.00'"),
        (
            "id",
            "+1",
            "column 'id' is INTEGER: '+1' (row 2) would be stored as '1'; send '1'",
        ),
        ("id", "007", "'007' (row 2) would be stored as '7'"),
        (
            "ok",
            "TRUE",
            "column 'ok' is BOOLEAN: 'TRUE' (row 2) would be stored as 'true'",
        ),
        ("ok", "1", "'1' (row 2) would be stored as 'true'"),
        ("ok", "0", "'0' (row 2) would be stored as 'false'"),
        (
            "ratio",
            "1.0",
            "column 'ratio' is FLOAT: '1.0' (row 2) would be stored as '1'",
        ),
        ("ratio", "1e5", "would be stored as '100000'"),
        ("ratio", "inf", "would be stored as 'Infinity'"),
        (
            "day",
            "2026-1-5",
            "column 'day' is DATE: '2026-1-5' (row 2) would be stored as '2026-01-05'",
        ),
        (
            "at",
            "2026-11-29 14:00:00",
            "column 'at' is TIMESTAMP: '2026-11-29 14:00:00' (row 2) would be stored as \
             '2026-11-29T14:00:00+00:00'",
        ),
        (
            "at",
            "2026-11-29T14:00:00Z",
            "stored as '2026-11-29T14:00:00+00:00'",
        ),
        (
            "at",
            "2026-11-29T16:00:00.1+02:00",
            "stored as '2026-11-29T14:00:00.100+00:00'",
        ),
        ("at", "2026-11-29", "stored as '2026-11-29T00:00:00+00:00'"),
        ("at", "1700000000", "stored as '2023-11-14T22:13:20+00:00'"),
        (
            "big",
            "+1.5",
            "column 'big' is NUMERIC: '+1.5' (row 2) would be stored as '1.5'",
        ),
        (
            "big",
            "",
            "column 'big' is NUMERIC and not nullable, but row 2 has no value",
        ),
    ] {
        let err = import(&b, p, &t, &c, true, None, &at(column, value)).unwrap_err();
        assert_eq!(err.code(), VALUE_WOULD_CHANGE, "{column} '{value}': {err}");
        assert!(
            err.message().contains(message) && err.message().ends_with("nothing was imported"),
            "{column} '{value}': {}",
            err.message()
        );
    }
    // What PostgreSQL cannot read at all is named by its column too.
    let err = import(&b, p, &t, &c, true, None, &at("ratio", "1e400")).unwrap_err();
    assert_eq!(err.code(), "storage.import.invalidValue", "{err}");
    assert!(
        err.message()
            .starts_with("column 'ratio' is FLOAT: PostgreSQL cannot read a value")
            && err.message().contains("1e400"),
        "{}",
        err.message()
    );
    assert_eq!(b.stats(p, &t).unwrap().rows_count, 0, "nothing was stored");
    // The forms it names are taken.
    import(&b, p, &t, &c, true, None, &good_rows()).unwrap();
    assert_eq!(read(&b, p, &t, &c).0, good_rows());
    b.drop_project(p).unwrap();
}

#[test]
fn a_refused_import_leaves_the_table_exactly_as_it_was() {
    let b = support::backend();
    let p = ProjectId(9403);
    let t = create(&b, p, "kept");
    let c = names(&definitions());
    import(&b, p, &t, &c, false, None, &good_rows()).unwrap();
    let (rows, sum) = read(&b, p, &t, &c);
    let stats = b.stats(p, &t).unwrap();
    let mut bad = good_rows();
    bad[0][3] = "false".into();
    let mut last = good_rows()[2].clone();
    last[0] = "4".into();
    last[1] = "9.999".into();
    bad.push(last);
    for (incremental, key) in [(false, Some("k1")), (true, Some("k2")), (true, None)] {
        let err = import(&b, p, &t, &c, incremental, key, &bad).unwrap_err();
        assert_eq!(err.code(), VALUE_WOULD_CHANGE, "{err}");
        assert!(err.message().contains("(row 4)"), "{}", err.message());
        assert_eq!(
            read(&b, p, &t, &c),
            (rows.clone(), sum.clone()),
            "rows and fingerprint"
        );
        assert_eq!(b.stats(p, &t).unwrap(), stats, "figures");
        if let Some(key) = key {
            assert_eq!(b.applied_import(p, key).unwrap(), None, "no key recorded");
        }
    }
    b.drop_project(p).unwrap();
}

#[test]
fn typed_rows_have_the_same_fingerprint_on_both_backends() {
    let dir = TempDir::new("typed-cross");
    let sqlite = SqliteBackend::new(dir.to_path_buf()).unwrap();
    let postgres = support::backend();
    let p = ProjectId(9404);
    let c = names(&definitions());
    let mut results = Vec::new();
    for b in [&sqlite as &dyn TableBackend, &postgres] {
        let t = create(b, p, "cross");
        import(b, p, &t, &c, false, None, &good_rows()).unwrap();
        // A typed import carries every column that is not nullable.
        let sub = [c[0].clone(), c[1].clone(), c[8].clone()];
        let id = [ColumnName::parse("id").unwrap()];
        let plan = ImportPlan {
            table: &t,
            columns: &sub,
            primary_key: &id,
            incremental: true,
            now_micros: 4,
            idempotency_key: None,
        };
        b.import(p, &plan, &mut |s: &mut dyn RowSink| {
            s.insert(&["2", "3.00", "7"], 5)
        })
        .unwrap();
        let stats = b.stats(p, &t).unwrap();
        results.push((read(b, p, &t, &c), stats.rows_count, stats.data_size_bytes));
        b.drop_project(p).unwrap();
    }
    let mut expected = good_rows();
    expected[1][1] = "3.00".into();
    expected[1][8] = "7".into();
    assert_eq!(
        results[0].0 .0, expected,
        "SQLite gives the typed rows back"
    );
    assert_eq!(
        results[1], results[0],
        "PostgreSQL gives the same rows, fingerprint and figures"
    );
}
