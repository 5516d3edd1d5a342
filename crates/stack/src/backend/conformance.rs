//! The behaviour every [`TableBackend`] must show, as one suite each backend's tests call.
//!
//! Panics on the first difference, naming the check.

use stackport_model::{
    api::{ColumnFilter, FilterOperator},
    ColumnName, ProjectId,
};

use super::{ExportQuery, ImportPlan, PhysicalName, RowSink, TableBackend};
use crate::error::{Error, Result};

mod csv;
mod physical;
mod times;
mod typed;

/// The time structure changes are made at, where a case does not look at it.
const NOW: i64 = 1_000;

pub(super) fn pn(name: &str) -> PhysicalName {
    PhysicalName::from_stored(name.into())
}

fn cols(names: &[&str]) -> Vec<ColumnName> {
    names
        .iter()
        .map(|n| ColumnName::parse(n).unwrap())
        .collect()
}

fn import(
    backend: &dyn TableBackend,
    project: ProjectId,
    table: &str,
    columns: &[ColumnName],
    key: &[ColumnName],
    incremental: bool,
    rows: &[(&[&str], i64)],
) -> Result<super::TableStats> {
    let table = pn(table);
    let plan = ImportPlan {
        table: &table,
        columns,
        primary_key: key,
        incremental,
        now_micros: 1_000,
        idempotency_key: None,
    };
    backend.import(project, &plan, &mut |sink: &mut dyn RowSink| {
        for (values, ts) in rows {
            sink.insert(values, *ts)?;
        }
        Ok(())
    })
}

fn export(
    backend: &dyn TableBackend,
    project: ProjectId,
    table: &str,
    query: &ExportQuery<'_>,
) -> Vec<(Vec<String>, i64)> {
    let mut out = Vec::new();
    backend
        .export(project, &pn(table), query, &mut |values, ts| {
            out.push((
                values
                    .iter()
                    .map(|v| String::from_utf8(v.to_vec()).unwrap())
                    .collect(),
                ts,
            ));
            Ok(())
        })
        .unwrap();
    out
}

fn values(rows: &[(Vec<String>, i64)]) -> Vec<Vec<&str>> {
    rows.iter()
        .map(|(v, _)| v.iter().map(String::as_str).collect())
        .collect()
}

/// Runs every check against `backend`, using projects 9001 to 9005 and 9101 to 9124.
pub fn run_all(backend: &dyn TableBackend) {
    round_trip_keeps_values_and_order(backend);
    upsert_append_and_replace(backend);
    failed_import_changes_nothing(backend);
    structure_changes(backend);
    filters_and_timestamps(backend);
    sqlite_like_column_names(backend);
    projects_are_separate(backend);
    idempotency_keys_apply_once(backend);
    times::the_callers_time_is_recorded(backend);
    csv::export_csv_gives_the_stacks_bytes(backend);
    csv::export_csv_follows_the_query(backend);
    csv::export_csv_reports_a_failing_writer(backend);
    physical::list_physical_names_what_the_backend_holds(backend);
    physical::drop_physical_removes_one_table_only(backend);
    physical::drop_physical_refuses_bookkeeping(backend);
    typed::typed_values_come_back_as_given(backend);
    typed::typed_columns_filter_as_text(backend);
    typed::typed_upserts_and_structure(backend);
    typed::failed_typed_import_changes_nothing(backend);
}

fn idempotency_keys_apply_once(b: &dyn TableBackend) {
    let p = ProjectId(9004);
    let c = cols(&["id"]);
    b.create_table(p, &pn("idem"), &c, None, &[], NOW).unwrap();
    let idem = pn("idem");
    let plan = |key| ImportPlan {
        table: &idem,
        columns: &c,
        primary_key: &[],
        incremental: true,
        now_micros: 5,
        idempotency_key: key,
    };
    let feed = |sink: &mut dyn RowSink| {
        sink.insert(&["a"], 1)?;
        sink.insert(&["b"], 1)
    };
    assert_eq!(b.applied_import(p, "m1/0").unwrap(), None, "a fresh key");
    b.import(p, &plan(Some("m1/0")), &mut |s: &mut dyn RowSink| feed(s))
        .unwrap();
    assert_eq!(
        b.applied_import(p, "m1/0").unwrap(),
        Some(super::AppliedImport {
            table: "idem".into(),
            imported_rows: 2
        }),
        "the key is recorded with the rows"
    );
    let err = b
        .import(p, &plan(Some("m1/0")), &mut |s: &mut dyn RowSink| feed(s))
        .unwrap_err();
    assert_eq!(
        err.code(),
        "storage.import.alreadyApplied",
        "a replay is refused"
    );
    assert_eq!(
        b.stats(p, &pn("idem")).unwrap().rows_count,
        2,
        "and changes nothing"
    );
    // A failed import records no key: the retry must apply.
    let failed = b.import(p, &plan(Some("m1/1")), &mut |s: &mut dyn RowSink| {
        s.insert(&["c"], 1)?;
        Err(Error::invalid("test.fail", "broken"))
    });
    assert!(failed.is_err());
    assert_eq!(
        b.applied_import(p, "m1/1").unwrap(),
        None,
        "rolled back with the rows"
    );
    assert_eq!(
        b.applied_import(ProjectId(9005), "m1/0").unwrap(),
        None,
        "keys are per project"
    );
}

fn round_trip_keeps_values_and_order(b: &dyn TableBackend) {
    let p = ProjectId(9001);
    let c = cols(&["id", "název", "1"]);
    b.create_table(p, &pn("rt"), &c, None, &[], NOW).unwrap();
    let odd = ["say \"hi\"", "multi\nline\r\n", "", "日本語 😀", "a,b"];
    let rows: Vec<Vec<String>> = (0..500)
        .map(|i| {
            vec![
                format!("{}", 499 - i),
                odd[i % odd.len()].to_string(),
                String::new(),
            ]
        })
        .collect();
    let refs: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let input: Vec<(&[&str], i64)> = refs.iter().map(|r| (r.as_slice(), 5)).collect();
    let stats = import(b, p, "rt", &c, &[], false, &input).unwrap();
    assert_eq!(stats.rows_count, 500, "rows counted after import");
    let bytes: u64 = rows.iter().flatten().map(|v| v.len() as u64).sum();
    assert_eq!(
        stats.data_size_bytes, bytes,
        "data size is the bytes of the values"
    );
    assert_eq!(
        stats.last_import_micros,
        Some(1_000),
        "last import recorded"
    );
    let out = export(
        b,
        p,
        "rt",
        &ExportQuery {
            columns: &c,
            ..Default::default()
        },
    );
    assert_eq!(
        values(&out),
        refs,
        "export gives rows back in import order, byte for byte"
    );
    assert!(out.iter().all(|(_, ts)| *ts == 5), "row timestamps kept");
    b.drop_table(p, &pn("rt")).unwrap();
}

fn upsert_append_and_replace(b: &dyn TableBackend) {
    let p = ProjectId(9001);
    let c = cols(&["id", "v", "w"]);
    let key = cols(&["id"]);
    b.create_table(p, &pn("up"), &c, None, &key, NOW).unwrap();
    import(
        b,
        p,
        "up",
        &c,
        &key,
        true,
        &[(&["1", "a", "x"], 1), (&["2", "b", "y"], 1)],
    )
    .unwrap();
    // Upsert with a subset of columns keeps the others, and duplicate keys in one file: last wins.
    let sub = cols(&["id", "v"]);
    let stats = import(
        b,
        p,
        "up",
        &sub,
        &key,
        true,
        &[(&["2", "B"], 2), (&["3", "c"], 2), (&["3", "cc"], 2)],
    )
    .unwrap();
    assert_eq!(stats.rows_count, 3, "upsert counts new keys only");
    let out = export(
        b,
        p,
        "up",
        &ExportQuery {
            columns: &c,
            ..Default::default()
        },
    );
    assert_eq!(
        values(&out),
        vec![
            vec!["1", "a", "x"],
            vec!["2", "B", "y"],
            vec!["3", "cc", ""]
        ],
        "upsert result"
    );
    assert_eq!(stats.data_size_bytes, 3 + 3 + 3, "size follows updates");
    assert_eq!(out[1].1, 2, "updated row gets the new timestamp");

    // Without a key, incremental appends.
    b.create_table(p, &pn("app"), &c, None, &[], NOW).unwrap();
    import(b, p, "app", &c, &[], true, &[(&["1", "a", "x"], 1)]).unwrap();
    let stats = import(b, p, "app", &c, &[], true, &[(&["1", "a", "x"], 1)]).unwrap();
    assert_eq!(stats.rows_count, 2, "append without key");

    // A full import replaces everything.
    let stats = import(b, p, "up", &c, &key, false, &[(&["9", "z", "z"], 3)]).unwrap();
    assert_eq!(stats.rows_count, 1, "full import replaces");
    assert_eq!(stats.data_size_bytes, 3);
    b.drop_table(p, &pn("up")).unwrap();
    b.drop_table(p, &pn("app")).unwrap();
}

fn failed_import_changes_nothing(b: &dyn TableBackend) {
    let p = ProjectId(9001);
    let c = cols(&["id"]);
    b.create_table(p, &pn("tx"), &c, None, &[], NOW).unwrap();
    import(b, p, "tx", &c, &[], false, &[(&["keep"], 1)]).unwrap();
    let before = b.stats(p, &pn("tx")).unwrap();
    let tx = pn("tx");
    for incremental in [false, true] {
        let plan = ImportPlan {
            table: &tx,
            columns: &c,
            primary_key: &[],
            incremental,
            now_micros: 7,
            idempotency_key: None,
        };
        let err = b
            .import(p, &plan, &mut |sink: &mut dyn RowSink| {
                sink.insert(&["new"], 2)?;
                Err(Error::invalid("test.fail", "line 2: broken"))
            })
            .unwrap_err();
        assert_eq!(err.code(), "test.fail", "the feed's error comes back");
    }
    let out = export(
        b,
        p,
        "tx",
        &ExportQuery {
            columns: &c,
            ..Default::default()
        },
    );
    assert_eq!(
        values(&out),
        vec![vec!["keep"]],
        "a failed import leaves the rows as they were"
    );
    assert_eq!(b.stats(p, &pn("tx")).unwrap(), before, "and the statistics");
    b.drop_table(p, &pn("tx")).unwrap();
}

fn structure_changes(b: &dyn TableBackend) {
    let p = ProjectId(9001);
    let c = cols(&["id", "v"]);
    b.create_table(p, &pn("st"), &c, None, &[], NOW).unwrap();
    import(
        b,
        p,
        "st",
        &c,
        &[],
        false,
        &[(&["1", "aa"], 1), (&["1", "bb"], 1)],
    )
    .unwrap();
    let seq = b.stats(p, &pn("st")).unwrap().change_seq;
    let extra = ColumnName::parse("2024").unwrap();
    b.add_column(p, &pn("st"), &extra, None, NOW).unwrap();
    assert!(
        b.stats(p, &pn("st")).unwrap().change_seq > seq,
        "structure change moves the change marker"
    );
    let all = cols(&["id", "v", "2024"]);
    let out = export(
        b,
        p,
        "st",
        &ExportQuery {
            columns: &all,
            ..Default::default()
        },
    );
    assert_eq!(
        values(&out)[0],
        vec!["1", "aa", ""],
        "a new column is empty"
    );
    let err = b
        .set_primary_key(p, &pn("st"), &cols(&["id"]), NOW)
        .unwrap_err();
    assert!(
        err.message().contains("(1)"),
        "duplicate key named: {}",
        err.message()
    );
    b.set_primary_key(p, &pn("st"), &cols(&["id", "v"]), NOW)
        .unwrap();
    b.set_primary_key(p, &pn("st"), &[], NOW).unwrap();
    b.drop_column(p, &pn("st"), &ColumnName::parse("v").unwrap(), NOW)
        .unwrap();
    let stats = b.stats(p, &pn("st")).unwrap();
    assert_eq!(
        stats.data_size_bytes, 2,
        "dropping a column drops its bytes"
    );
    b.drop_table(p, &pn("st")).unwrap();
}

fn filters_and_timestamps(b: &dyn TableBackend) {
    let p = ProjectId(9001);
    let c = cols(&["id", "country"]);
    b.create_table(p, &pn("f"), &c, None, &[], NOW).unwrap();
    import(
        b,
        p,
        "f",
        &c,
        &[],
        true,
        &[
            (&["1", "CZ"], 100),
            (&["2", "US"], 200),
            (&["3", "DE"], 300),
        ],
    )
    .unwrap();
    let filter = [ColumnFilter {
        column: ColumnName::parse("country").unwrap(),
        operator: FilterOperator::Eq,
        values: vec!["CZ".into(), "DE".into()],
    }];
    let q = ExportQuery {
        columns: &c[..1],
        filters: &filter,
        ..Default::default()
    };
    assert_eq!(
        values(&export(b, p, "f", &q)),
        vec![vec!["1"], vec!["3"]],
        "eq filter"
    );
    assert_eq!(b.count(p, &pn("f"), &q).unwrap(), 2, "count with filter");
    let ne = [ColumnFilter {
        operator: FilterOperator::Ne,
        ..filter[0].clone()
    }];
    let q = ExportQuery {
        columns: &c[..1],
        filters: &ne,
        ..Default::default()
    };
    assert_eq!(values(&export(b, p, "f", &q)), vec![vec!["2"]], "ne filter");
    let q = ExportQuery {
        columns: &c[..1],
        changed_since: Some(200),
        changed_until: Some(300),
        ..Default::default()
    };
    assert_eq!(
        values(&export(b, p, "f", &q)),
        vec![vec!["2"]],
        "changedSince inclusive, changedUntil exclusive"
    );
    let q = ExportQuery {
        columns: &c[..1],
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(export(b, p, "f", &q).len(), 2, "limit");
    b.drop_table(p, &pn("f")).unwrap();
}

fn projects_are_separate(b: &dyn TableBackend) {
    let (p1, p2) = (ProjectId(9001), ProjectId(9002));
    let c = cols(&["id"]);
    b.create_table(p1, &pn("same"), &c, None, &[], NOW).unwrap();
    b.create_table(p2, &pn("same"), &c, None, &[], NOW).unwrap();
    import(b, p1, "same", &c, &[], false, &[(&["one"], 1)]).unwrap();
    assert_eq!(
        b.stats(p2, &pn("same")).unwrap().rows_count,
        0,
        "projects do not share tables"
    );
    let all = b.stats_all(p1).unwrap();
    assert_eq!(
        all.get("same").map(|s| s.rows_count),
        Some(1),
        "stats_all lists the project's tables"
    );
    b.drop_project(p2).unwrap();
    assert_eq!(
        b.stats(p1, &pn("same")).unwrap().rows_count,
        1,
        "dropping one project keeps the other"
    );
    b.drop_project(p1).unwrap();
}

fn sqlite_like_column_names(b: &dyn TableBackend) {
    // Columns may be named like a database's internal row ids; order must not follow them.
    let p = ProjectId(9001);
    let c = cols(&["rowid", "oid", "_rowid_", "ctid"]);
    b.create_table(p, &pn("names"), &c, None, &[], NOW).unwrap();
    import(
        b,
        p,
        "names",
        &c,
        &[],
        false,
        &[
            (&["zz", "3", "c", "x"], 1),
            (&["aa", "1", "a", "y"], 1),
            (&["mm", "2", "b", "z"], 1),
        ],
    )
    .unwrap();
    let out = export(
        b,
        p,
        "names",
        &ExportQuery {
            columns: &c[..1],
            ..Default::default()
        },
    );
    assert_eq!(
        values(&out),
        vec![vec!["zz"], vec!["aa"], vec!["mm"]],
        "storage order, whatever the column names"
    );
    let q = ExportQuery {
        columns: &c[..1],
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(
        values(&export(b, p, "names", &q)),
        vec![vec!["zz"]],
        "limit takes the first rows in storage order"
    );
    b.drop_table(p, &pn("names")).unwrap();
}
