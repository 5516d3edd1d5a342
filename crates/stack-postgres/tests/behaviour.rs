//! What the suite does not reach: exports longer than one fetch, the server refusing rows
//! mid-import, names PostgreSQL cannot take as they are, and projects importing side by side.
//! Each test has a database of its own.

mod support;

use std::io::{self, Write};
use std::sync::mpsc;
use std::time::Duration;

use stackport_model::{ColumnName, ProjectId};
use stackport_stack::backend::{
    write_csv_from_rows, CsvLayout, ExportQuery, ImportPlan, PhysicalName, RowSink, TableBackend,
    TableStats,
};
use stackport_stack::Result;

fn cols(names: &[&str]) -> Vec<ColumnName> {
    names
        .iter()
        .map(|n| ColumnName::parse(n).unwrap())
        .collect()
}

fn fresh(b: &dyn TableBackend, p: ProjectId, table: &str, c: &[ColumnName]) -> PhysicalName {
    let t = PhysicalName::from_stored(table.into());
    b.create_table(p, &t, c, None, &[], 1).unwrap();
    t
}

fn import(
    b: &dyn TableBackend,
    p: ProjectId,
    t: &PhysicalName,
    c: &[ColumnName],
    rows: &[Vec<String>],
) -> Result<TableStats> {
    let plan = ImportPlan {
        table: t,
        columns: c,
        primary_key: &[],
        incremental: true,
        now_micros: 2,
        idempotency_key: None,
    };
    b.import(p, &plan, &mut |s: &mut dyn RowSink| {
        for r in rows {
            s.insert(&r.iter().map(String::as_str).collect::<Vec<_>>(), 3)?;
        }
        Ok(())
    })
}

fn export(
    b: &dyn TableBackend,
    p: ProjectId,
    t: &PhysicalName,
    c: &[ColumnName],
) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let q = ExportQuery {
        columns: c,
        ..Default::default()
    };
    b.export(p, t, &q, &mut |values, _| {
        out.push(
            values
                .iter()
                .map(|v| String::from_utf8(v.to_vec()).unwrap())
                .collect(),
        );
        Ok(())
    })
    .unwrap();
    out
}

#[test]
fn an_export_of_many_batches_gives_every_row_in_order() {
    let (b, p) = (support::backend(), ProjectId(9301));
    let c = cols(&["id", "v"]);
    let t = fresh(&b, p, "many", &c);
    let rows: Vec<Vec<String>> = (0..2_500)
        .map(|i| vec![format!("{}", 2_500 - i), format!("tab\there \\ {i}")])
        .collect();
    import(&b, p, &t, &c, &rows).unwrap();
    assert_eq!(
        export(&b, p, &t, &c),
        rows,
        "2.5 fetches' worth, in import order"
    );
    b.drop_project(p).unwrap();
}

#[test]
fn rows_the_server_refuses_leave_the_table_as_it_was() {
    let (b, p) = (support::backend(), ProjectId(9302));
    let c = cols(&["id"]);
    let t = fresh(&b, p, "refused", &c);
    import(&b, p, &t, &c, &[vec!["kept".into()]]).unwrap();
    let before = b.stats(p, &t).unwrap();
    // A NUL byte is valid UTF-8 but no PostgreSQL text value can hold it.
    let bad = vec![vec!["new".to_string()], vec!["a\0b".to_string()]];
    let err = import(&b, p, &t, &c, &bad).unwrap_err();
    assert_eq!(err.code(), "storage.import.invalidValue", "{err}");
    assert_eq!(export(&b, p, &t, &c), vec![vec!["kept".to_string()]]);
    assert_eq!(b.stats(p, &t).unwrap(), before, "and the figures");
    import(&b, p, &t, &c, &[vec!["next".into()]]).expect("the next import works");
    assert_eq!(b.stats(p, &t).unwrap().rows_count, 2);
    b.drop_project(p).unwrap();
}

#[test]
fn names_postgres_reserves_or_truncates_round_trip() {
    let (b, p) = (support::backend(), ProjectId(9303));
    let long_a = "č".repeat(64);
    let long_b = format!("{}x", "č".repeat(63));
    let c = cols(&["xmin", "tableoid", &long_a, &long_b]);
    let t = fresh(&b, p, "names", &c);
    let row = vec!["1".to_string(), "2".into(), "3".into(), "4".into()];
    import(&b, p, &t, &c, std::slice::from_ref(&row)).unwrap();
    assert_eq!(export(&b, p, &t, &c), vec![row], "each name its own column");
    b.drop_project(p).unwrap();
}

/// The staging table's own columns are named apart from users': a user may call one `_seq`.
#[test]
fn columns_named_like_the_staging_tables_own_import() {
    let (b, p) = (support::backend(), ProjectId(9308));
    let c = cols(&["_seq", "v"]);
    let t = fresh(&b, p, "stage_names", &c);
    let rows = vec![vec!["1".to_string(), "2".into()]];
    import(&b, p, &t, &c, &rows).unwrap();
    assert_eq!(export(&b, p, &t, &c), rows);
    b.drop_project(p).unwrap();
}

/// Project A's import stays open until project B's has committed: were B waiting for A (one
/// connection, or one lock for all projects), B would never finish and A's wait would fail.
#[test]
fn two_projects_import_side_by_side() {
    let b = support::backend();
    let (pa, pb) = (ProjectId(9304), ProjectId(9305));
    let c = cols(&["id"]);
    let ta = fresh(&b, pa, "a", &c);
    let tb = fresh(&b, pb, "b", &c);
    let (open_tx, open_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::scope(|s| {
        let b = &b;
        let (ta, tb, c) = (&ta, &tb, &c);
        let a = s.spawn(move || {
            let plan = ImportPlan {
                table: ta,
                columns: c,
                primary_key: &[],
                incremental: true,
                now_micros: 2,
                idempotency_key: None,
            };
            b.import(pa, &plan, &mut |sink: &mut dyn RowSink| {
                sink.insert(&["a1"], 1)?;
                open_tx.send(()).unwrap();
                // Only a guard against hanging forever; no timing is measured.
                done_rx
                    .recv_timeout(Duration::from_secs(5))
                    .expect("project B's import finished while A's was open");
                sink.insert(&["a2"], 1)
            })
        });
        open_rx.recv().expect("project A's import is open");
        import(b, pb, tb, c, &[vec!["b1".into()]]).unwrap();
        done_tx.send(()).unwrap();
        assert_eq!(a.join().unwrap().unwrap().rows_count, 2);
    });
    assert_eq!(b.stats(pb, &tb).unwrap().rows_count, 1);
    b.drop_project(pa).unwrap();
    b.drop_project(pb).unwrap();
}

/// The bytes the server writes are the stack's writer's, value for value.
#[test]
fn the_servers_csv_is_the_stacks_csv() {
    let (b, p) = (support::backend(), ProjectId(9306));
    let c = cols(&["id", "v", "ctid"]);
    let t = fresh(&b, p, "csv", &c);
    let odd = [
        "say \"hi\"",
        "multi\nline\r\n",
        "",
        "日本語 😀",
        "a,b",
        "back\\slash\ttab",
        "\"",
        "\\N",
        " lead and trail ",
    ];
    let rows: Vec<Vec<String>> = (0..3_000)
        .map(|i| {
            vec![
                i.to_string(),
                odd[i % odd.len()].to_string(),
                odd[(i / 3) % odd.len()].to_string(),
            ]
        })
        .collect();
    import(&b, p, &t, &c, &rows).unwrap();
    let q = ExportQuery {
        columns: &c,
        ..Default::default()
    };
    let mut server = Vec::new();
    let n = b
        .export_csv(p, &t, &q, CsvLayout::default(), &mut server)
        .unwrap();
    let mut stack = Vec::new();
    write_csv_from_rows(&c, CsvLayout::default(), &mut stack, &mut |visit| {
        b.export(p, &t, &q, visit)
    })
    .unwrap();
    assert_eq!(n, 3_000, "rows counted");
    assert!(server == stack, "the same bytes");
    b.drop_project(p).unwrap();
}

/// A writer that takes `left` bytes and then fails, like a client that went away.
struct Failing {
    left: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left < buf.len() {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "client gone"));
        }
        self.left -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A client gone in the middle of a long COPY leaves a connection the next export can use.
#[test]
fn an_abandoned_csv_export_leaves_the_connection_usable() {
    let (b, p) = (support::backend(), ProjectId(9307));
    let c = cols(&["id", "v"]);
    let t = fresh(&b, p, "gone", &c);
    let rows: Vec<Vec<String>> = (0..20_000)
        .map(|i| vec![i.to_string(), "x".repeat(20)])
        .collect();
    import(&b, p, &t, &c, &rows).unwrap();
    let q = ExportQuery {
        columns: &c,
        ..Default::default()
    };
    for _ in 0..3 {
        let err = b
            .export_csv(
                p,
                &t,
                &q,
                CsvLayout::default(),
                &mut Failing { left: 100_000 },
            )
            .unwrap_err();
        assert!(err.to_string().contains("client gone"), "{err}");
        assert_eq!(b.count(p, &t, &q).unwrap(), 20_000, "the next read works");
    }
    let mut all = Vec::new();
    let n = b
        .export_csv(p, &t, &q, CsvLayout::default(), &mut all)
        .unwrap();
    assert_eq!(n, 20_000);
    b.drop_project(p).unwrap();
}
