//! Typed tables: whatever a backend stores typed columns as, values in the forms every backend
//! keeps (see `docs/api.md`, typed tables) come back byte for byte, filter and count as their
//! text, and the empty value of a nullable column is the empty string.

use stackport_model::{
    api::{BaseType, ColumnDefinition, ColumnFilter, FilterOperator},
    ColumnName, ProjectId,
};

use super::{cols, export, import, pn, values, NOW};
use crate::backend::{
    write_csv_from_rows, CsvLayout, ExportQuery, ImportPlan, RowSink, TableBackend,
};
use crate::error::Error;

fn def(name: &str, basetype: BaseType, nullable: bool, length: Option<&str>) -> ColumnDefinition {
    ColumnDefinition {
        name: ColumnName::parse(name).unwrap(),
        basetype,
        nullable,
        length: length.map(String::from),
    }
}

/// One column of every type, the key not nullable, the rest nullable.
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
        def("big", BaseType::Numeric, true, None),
    ]
}

const ROWS: [[&str; 9]; 5] = [
    [
        "1",
        "1.50",
        "1.5",
        "true",
        "2026-02-28",
        "2026-11-29T14:00:00+00:00",
        "název",
        "say \"hi\"",
        "12345678901234567890.123",
    ],
    [
        "2",
        "-0.05",
        "1e+20",
        "false",
        "1999-12-31",
        "2026-11-29T14:00:00.500+00:00",
        "",
        "multi\nline\r\n",
        "0",
    ],
    ["-42", "", "", "", "", "", "a,b", "", ""],
    [
        "9223372036854775807",
        "12345678.90",
        "-0.25",
        "true",
        "0099-01-01",
        "2026-11-29T14:00:00.001500+00:00",
        "x",
        "日本語 😀",
        "-7.5",
    ],
    [
        "0",
        "0.00",
        "0",
        "false",
        "2026-01-05",
        "1970-01-01T00:00:00+00:00",
        "\"q\"",
        "",
        "1.50",
    ],
];

/// A typed table `name` of [`definitions`] keyed on `id`, holding [`ROWS`] at times 100, 200, ...
fn typed_table(b: &dyn TableBackend, p: ProjectId, name: &str) -> Vec<ColumnName> {
    let defs = definitions();
    let c: Vec<ColumnName> = defs.iter().map(|d| d.name.clone()).collect();
    let key = cols(&["id"]);
    b.create_table(p, &pn(name), &c, Some(&defs), &key, NOW)
        .unwrap();
    let rows: Vec<(&[&str], i64)> = ROWS
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_slice(), 100 * (i as i64 + 1)))
        .collect();
    import(b, p, name, &c, &key, false, &rows).unwrap();
    c
}

fn all(c: &[ColumnName]) -> ExportQuery<'_> {
    ExportQuery {
        columns: c,
        ..Default::default()
    }
}

pub(super) fn typed_values_come_back_as_given(b: &dyn TableBackend) {
    let p = ProjectId(9121);
    let c = typed_table(b, p, "typed");
    let out = export(b, p, "typed", &all(&c));
    let expected: Vec<Vec<&str>> = ROWS.iter().map(|r| r.to_vec()).collect();
    assert_eq!(
        values(&out),
        expected,
        "typed values come back byte for byte, empties as empty strings"
    );
    assert_eq!(
        out.iter().map(|(_, ts)| *ts).collect::<Vec<_>>(),
        vec![100, 200, 300, 400, 500],
        "row times kept"
    );
    let stats = b.stats(p, &pn("typed")).unwrap();
    assert_eq!(stats.rows_count, 5, "typed rows counted");
    let bytes: u64 = ROWS.iter().flatten().map(|v| v.len() as u64).sum();
    assert_eq!(
        stats.data_size_bytes, bytes,
        "a typed table's size is the bytes of the values as given"
    );
    assert_eq!(b.count(p, &pn("typed"), &all(&c)).unwrap(), 5, "count");

    let mut csv = Vec::new();
    b.export_csv(p, &pn("typed"), &all(&c), CsvLayout::default(), &mut csv)
        .unwrap();
    let mut expected_csv = Vec::new();
    write_csv_from_rows(&c, CsvLayout::default(), &mut expected_csv, &mut |visit| {
        for r in &ROWS {
            let v: Vec<&[u8]> = r.iter().map(|v| v.as_bytes()).collect();
            visit(&v, 0)?;
        }
        Ok(5)
    })
    .unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        String::from_utf8(expected_csv).unwrap(),
        "the CSV of a typed table is the stack's, of the values as given"
    );
    b.drop_project(p).unwrap();
}

pub(super) fn typed_columns_filter_as_text(b: &dyn TableBackend) {
    let p = ProjectId(9122);
    let c = typed_table(b, p, "tf");
    let id = &c[..1];
    let filtered = |column: &str, operator: FilterOperator, vals: &[&str]| {
        vec![ColumnFilter {
            column: ColumnName::parse(column).unwrap(),
            operator,
            values: vals.iter().map(|v| v.to_string()).collect(),
        }]
    };
    let ids = |filters: &[ColumnFilter]| {
        let q = ExportQuery {
            columns: id,
            filters,
            ..Default::default()
        };
        let rows = export(b, p, "tf", &q);
        let count = b.count(p, &pn("tf"), &q).unwrap();
        assert_eq!(count, rows.len() as u64, "count agrees with the export");
        rows.into_iter()
            .map(|(v, _)| v[0].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&filtered("price", FilterOperator::Eq, &["1.50", "0.00"])),
        vec!["1", "0"],
        "eq on NUMERIC compares the text"
    );
    assert_eq!(
        ids(&filtered(
            "id",
            FilterOperator::Eq,
            &["-42", "9223372036854775807"]
        )),
        vec!["-42", "9223372036854775807"],
        "eq on INTEGER"
    );
    assert_eq!(
        ids(&filtered("ok", FilterOperator::Ne, &["true"])),
        vec!["2", "-42", "0"],
        "ne on BOOLEAN keeps the empty value"
    );
    assert_eq!(
        ids(&filtered("day", FilterOperator::Eq, &[""])),
        vec!["-42"],
        "the empty value of a nullable DATE matches ''"
    );
    assert_eq!(
        ids(&filtered(
            "at",
            FilterOperator::Eq,
            &["2026-11-29T14:00:00.500+00:00"]
        )),
        vec!["2"],
        "eq on TIMESTAMP"
    );
    assert_eq!(
        ids(&filtered("ratio", FilterOperator::Eq, &["1e+20", "1.5"])),
        vec!["1", "2"],
        "eq on FLOAT"
    );
    assert_eq!(
        ids(&filtered("price", FilterOperator::Eq, &["1.5"])),
        Vec::<String>::new(),
        "another spelling of a value is another text"
    );
    let q = ExportQuery {
        columns: id,
        changed_since: Some(200),
        changed_until: Some(400),
        ..Default::default()
    };
    assert_eq!(
        values(&export(b, p, "tf", &q)),
        vec![vec!["2"], vec!["-42"]],
        "changedSince and changedUntil on a typed table"
    );
    let q = ExportQuery {
        columns: &c[1..2],
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(
        values(&export(b, p, "tf", &q)),
        vec![vec!["1.50"], vec!["-0.05"]],
        "limit"
    );
    b.drop_project(p).unwrap();
}

pub(super) fn typed_upserts_and_structure(b: &dyn TableBackend) {
    let p = ProjectId(9123);
    let c = typed_table(b, p, "tu");
    let key = cols(&["id"]);
    let sub = cols(&["id", "price", "ok"]);
    let stats = import(
        b,
        p,
        "tu",
        &sub,
        &key,
        true,
        &[
            (&["2", "7.00", "true"], 600),
            (&["3", "", "false"], 600),
            (&["3", "3.30", ""], 700),
        ],
    )
    .unwrap();
    assert_eq!(
        stats.rows_count, 6,
        "an upsert on a typed key counts new keys"
    );
    let q = ExportQuery {
        columns: &c[..4],
        ..Default::default()
    };
    let out = export(b, p, "tu", &q);
    assert_eq!(
        values(&out),
        vec![
            vec!["1", "1.50", "1.5", "true"],
            vec!["2", "7.00", "1e+20", "true"],
            vec!["-42", "", "", ""],
            vec!["9223372036854775807", "12345678.90", "-0.25", "true"],
            vec!["0", "0.00", "0", "false"],
            vec!["3", "3.30", "", ""],
        ],
        "upserted typed rows keep the columns not imported; a new row's are empty"
    );
    assert_eq!(out[5].1, 700, "the last of a repeated key wins");
    let bytes: u64 =
        ROWS.iter().flatten().map(|v| v.len() as u64).sum::<u64>() - 5 - 5 + 4 + 4 + 1 + 4;
    assert_eq!(
        b.stats(p, &pn("tu")).unwrap().data_size_bytes,
        bytes,
        "size follows typed updates"
    );

    let added = def("seen", BaseType::Timestamp, true, None);
    b.add_column(p, &pn("tu"), &added.name, Some(&added), NOW)
        .unwrap();
    let with = cols(&["id", "seen"]);
    import(
        b,
        p,
        "tu",
        &with,
        &key,
        true,
        &[(&["1", "2026-12-01T08:30:00+00:00"], 800)],
    )
    .unwrap();
    let q = ExportQuery {
        columns: &with,
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(
        values(&export(b, p, "tu", &q)),
        vec![vec!["1", "2026-12-01T08:30:00+00:00"], vec!["2", ""]],
        "a typed column added to rows is empty in them"
    );

    let before = b.stats(p, &pn("tu")).unwrap().data_size_bytes;
    b.drop_column(p, &pn("tu"), &ColumnName::parse("note").unwrap(), NOW)
        .unwrap();
    let note_bytes: u64 = ROWS.iter().map(|r| r[7].len() as u64).sum();
    assert_eq!(
        b.stats(p, &pn("tu")).unwrap().data_size_bytes,
        before - note_bytes,
        "dropping a typed column drops its bytes"
    );
    b.set_primary_key(p, &pn("tu"), &[], NOW).unwrap();
    import(b, p, "tu", &key, &[], true, &[(&["1"], 900)]).unwrap();
    let err = b.set_primary_key(p, &pn("tu"), &key, NOW).unwrap_err();
    assert!(
        err.message().contains("(1)"),
        "a repeated typed key is named as sent: {}",
        err.message()
    );
    b.drop_project(p).unwrap();
}

pub(super) fn failed_typed_import_changes_nothing(b: &dyn TableBackend) {
    let p = ProjectId(9124);
    let c = typed_table(b, p, "tx");
    let before = b.stats(p, &pn("tx")).unwrap();
    let table = pn("tx");
    let key = cols(&["id"]);
    let plan = ImportPlan {
        table: &table,
        columns: &c,
        primary_key: &key,
        incremental: true,
        now_micros: 7,
        idempotency_key: None,
    };
    let err = b
        .import(p, &plan, &mut |sink: &mut dyn RowSink| {
            sink.insert(&ROWS[0], 2)?;
            Err(Error::invalid("test.fail", "line 2: broken"))
        })
        .unwrap_err();
    assert_eq!(err.code(), "test.fail", "the feed's error comes back");
    assert_eq!(
        values(&export(b, p, "tx", &all(&c))),
        ROWS.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
        "a failed typed import leaves the rows"
    );
    assert_eq!(b.stats(p, &pn("tx")).unwrap(), before, "and the figures");
    b.drop_project(p).unwrap();
}
