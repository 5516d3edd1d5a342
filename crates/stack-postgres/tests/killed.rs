//! An import whose server session dies mid-COPY (the server restarted, the session was
//! killed) leaves the table as it was, and the backend's next call gets a live connection.

mod support;

use stackport_model::{ColumnName, ProjectId};
use stackport_stack::backend::{ExportQuery, ImportPlan, PhysicalName, RowSink, TableBackend};

#[test]
fn a_session_killed_mid_import_changes_nothing() {
    let url = support::url();
    let b = support::on(&url);
    let p = ProjectId(9401);
    let c = vec![ColumnName::parse("id").unwrap()];
    let t = PhysicalName::from_stored("killed".into());
    b.create_table(p, &t, &c, None, &[], 1).unwrap();
    let plan = |key| ImportPlan {
        table: &t,
        columns: &c,
        primary_key: &[],
        incremental: false,
        now_micros: 2,
        idempotency_key: Some(key),
    };
    b.import(p, &plan("kill/0"), &mut |s: &mut dyn RowSink| {
        s.insert(&["kept"], 1)
    })
    .unwrap();
    let before = b.stats(p, &t).unwrap();

    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let result = b.import(p, &plan("kill/1"), &mut |s: &mut dyn RowSink| {
        s.insert(&["lost"], 1)?;
        let killed = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND query LIKE 'COPY % FROM STDIN' \
                 AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        assert_eq!(killed.len(), 1, "the import's session found and killed");
        for _ in 0..10_000 {
            s.insert(&["lost"], 1)?;
        }
        Ok(())
    });
    assert!(result.is_err(), "the import fails");

    let mut rows = Vec::new();
    let q = ExportQuery {
        columns: &c,
        ..Default::default()
    };
    b.export(p, &t, &q, &mut |v, _| {
        rows.push(String::from_utf8(v[0].to_vec()).unwrap());
        Ok(())
    })
    .expect("the next call gets a live connection");
    assert_eq!(rows, vec!["kept"], "the rows as they were");
    assert_eq!(b.stats(p, &t).unwrap(), before, "and the figures");
    assert_eq!(b.applied_import(p, "kill/1").unwrap(), None);
    b.drop_project(p).unwrap();
}
