//! `export_csv`: the stack's one CSV form, whatever produces it.

use std::io::{self, Write};

use stackport_model::{
    api::{ColumnFilter, FilterOperator},
    ColumnName, ProjectId,
};

use super::pn;
use super::{cols, import, NOW};
use crate::backend::{CsvLayout, ExportQuery, TableBackend};

fn csv(
    b: &dyn TableBackend,
    p: ProjectId,
    query: &ExportQuery<'_>,
    layout: CsvLayout,
) -> (u64, String) {
    let mut out = Vec::new();
    let n = b
        .export_csv(p, &pn("csv"), query, layout, &mut out)
        .unwrap();
    (n, String::from_utf8(out).unwrap())
}

fn table(b: &dyn TableBackend, p: ProjectId) -> Vec<ColumnName> {
    let c = cols(&["id", "note"]);
    b.create_table(p, &pn("csv"), &c, None, &[], NOW).unwrap();
    import(
        b,
        p,
        "csv",
        &c,
        &[],
        false,
        &[
            (&["1", "say \"hi\""], 1_700_000_000_123_456),
            (&["2", "multi\nline,\r\n"], 1_700_000_000_000_000),
            (&["3", ""], 0),
        ],
    )
    .unwrap();
    c
}

/// The exact bytes the API and the migrations compare: header, every value quoted, `\n`.
pub(super) fn export_csv_gives_the_stacks_bytes(b: &dyn TableBackend) {
    let p = ProjectId(9110);
    let c = table(b, p);
    let all = ExportQuery {
        columns: &c,
        ..Default::default()
    };
    assert_eq!(
        csv(b, p, &all, CsvLayout::default()),
        (
            3,
            "\"id\",\"note\"\n\"1\",\"say \"\"hi\"\"\"\n\"2\",\"multi\nline,\r\n\"\n\"3\",\"\"\n"
                .into()
        ),
        "plain export"
    );
    let with_ts = CsvLayout {
        timestamp_column: true,
    };
    assert_eq!(
        csv(b, p, &all, with_ts).1,
        "\"id\",\"note\",\"_timestamp\"\n\
         \"1\",\"say \"\"hi\"\"\",\"2023-11-14T22:13:20.123456+00:00\"\n\
         \"2\",\"multi\nline,\r\n\",\"2023-11-14T22:13:20+00:00\"\n\
         \"3\",\"\",\"1970-01-01T00:00:00+00:00\"\n",
        "export with the row times"
    );
    b.drop_project(p).unwrap();
}

pub(super) fn export_csv_follows_the_query(b: &dyn TableBackend) {
    let p = ProjectId(9111);
    let c = table(b, p);
    let reversed = [c[1].clone(), c[0].clone()];
    let filter = [ColumnFilter {
        column: c[0].clone(),
        operator: FilterOperator::Ne,
        values: vec!["2".into()],
    }];
    let q = ExportQuery {
        columns: &reversed,
        filters: &filter,
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(
        csv(b, p, &q, CsvLayout::default()),
        (1, "\"note\",\"id\"\n\"say \"\"hi\"\"\",\"1\"\n".into()),
        "columns in the asked order, filters and limit applied"
    );
    let none = ExportQuery {
        columns: &c[..1],
        changed_since: Some(i64::MAX),
        ..Default::default()
    };
    assert_eq!(
        csv(b, p, &none, CsvLayout::default()),
        (0, "\"id\"\n".into()),
        "no rows: the header alone"
    );
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

pub(super) fn export_csv_reports_a_failing_writer(b: &dyn TableBackend) {
    let p = ProjectId(9112);
    let c = table(b, p);
    let all = ExportQuery {
        columns: &c,
        ..Default::default()
    };
    let err = b
        .export_csv(
            p,
            &pn("csv"),
            &all,
            CsvLayout::default(),
            &mut Failing { left: 10 },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("client gone"),
        "the writer's error comes back: {err}"
    );
    b.drop_project(p).unwrap();
}
