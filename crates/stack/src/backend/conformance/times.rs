//! A backend records the caller's time (the stack's clock), never its own.

use stackport_model::{ColumnName, ProjectId};

use super::pn;
use super::{cols, import};
use crate::backend::{ImportPlan, RowSink, TableBackend};

/// Times far from any wall clock, so a backend reading its own clock cannot pass.
pub(super) fn the_callers_time_is_recorded(b: &dyn TableBackend) {
    let p = ProjectId(9101);
    let c = cols(&["id", "v"]);
    let times = || {
        let s = b.stats(p, &pn("clock")).unwrap();
        (s.last_change_micros, s.last_import_micros)
    };
    b.create_table(p, &pn("clock"), &c, None, &[], 10).unwrap();
    assert_eq!(times(), (10, None), "create");
    import(b, p, "clock", &c, &[], false, &[(&["1", "a"], 7)]).unwrap();
    let plan = ImportPlan {
        table: &pn("clock"),
        columns: &c,
        primary_key: &[],
        incremental: true,
        now_micros: 15,
        idempotency_key: None,
    };
    b.import(p, &plan, &mut |s: &mut dyn RowSink| {
        s.insert(&["1", "b"], 7)
    })
    .unwrap();
    assert_eq!(times(), (15, Some(15)), "an import's time is the plan's");
    b.add_column(p, &pn("clock"), &ColumnName::parse("w").unwrap(), None, 20)
        .unwrap();
    assert_eq!(times(), (20, Some(15)), "add a column");
    b.set_primary_key(p, &pn("clock"), &cols(&["id"]), 30)
        .unwrap_err();
    assert_eq!(times(), (20, Some(15)), "a refused change records no time");
    b.set_primary_key(p, &pn("clock"), &cols(&["id", "v"]), 30)
        .unwrap();
    assert_eq!(times(), (30, Some(15)), "set the key");
    b.drop_column(p, &pn("clock"), &ColumnName::parse("w").unwrap(), 40)
        .unwrap();
    assert_eq!(times(), (40, Some(15)), "drop a column");
    let listed = b.stats_all(p).unwrap();
    assert_eq!(
        listed.get("clock").map(|s| s.last_change_micros),
        Some(40),
        "stats_all shows the same time"
    );
    b.drop_project(p).unwrap();
}
