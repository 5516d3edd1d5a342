//! `list_physical` and `drop_physical`, which the orphan sweep at `Stack::open` relies on.

use stackport_model::ProjectId;

use super::pn;
use super::{cols, export, import, values, NOW};
use crate::backend::{ExportQuery, ImportPlan, RowSink, TableBackend, BOOKKEEPING_PREFIX};

pub(super) fn list_physical_names_what_the_backend_holds(b: &dyn TableBackend) {
    let (p, other) = (ProjectId(9115), ProjectId(9116));
    assert_eq!(
        b.list_physical(p).unwrap(),
        Vec::<String>::new(),
        "a project the backend never saw has no tables"
    );
    let c = cols(&["id"]);
    for t in ["t_b", "t_a", "t_c"] {
        b.create_table(p, &pn(t), &c, None, &cols(&["id"]), NOW)
            .unwrap();
    }
    b.create_table(other, &pn("t_other"), &c, None, &[], NOW)
        .unwrap();
    // An import under an idempotency key, so the bookkeeping holds something too.
    let plan = ImportPlan {
        table: &pn("t_a"),
        columns: &c,
        primary_key: &c,
        incremental: false,
        now_micros: NOW,
        idempotency_key: Some("sweep/0"),
    };
    b.import(p, &plan, &mut |s: &mut dyn RowSink| s.insert(&["1"], 1))
        .unwrap();
    assert_eq!(
        b.list_physical(p).unwrap(),
        vec!["t_a", "t_b", "t_c"],
        "sorted, the project's own only, no bookkeeping"
    );
    b.drop_table(p, &pn("t_c")).unwrap();
    assert_eq!(
        b.list_physical(p).unwrap(),
        vec!["t_a", "t_b"],
        "a dropped table is gone"
    );
    b.drop_project(p).unwrap();
    assert_eq!(
        b.list_physical(p).unwrap(),
        Vec::<String>::new(),
        "dropping the project drops its names"
    );
    assert_eq!(b.list_physical(other).unwrap(), vec!["t_other"]);
    b.drop_project(other).unwrap();
}

pub(super) fn drop_physical_removes_one_table_only(b: &dyn TableBackend) {
    let p = ProjectId(9117);
    let c = cols(&["id"]);
    for t in ["t_orphan", "t_kept"] {
        b.create_table(p, &pn(t), &c, None, &[], NOW).unwrap();
        import(b, p, t, &c, &[], false, &[(&["1"], 1), (&["2"], 1)]).unwrap();
    }
    b.drop_physical(p, "t_orphan").unwrap();
    assert_eq!(b.list_physical(p).unwrap(), vec!["t_kept"]);
    assert!(
        !b.stats_all(p).unwrap().contains_key("t_orphan"),
        "its figures go with it"
    );
    let all = ExportQuery {
        columns: &c,
        ..Default::default()
    };
    assert_eq!(
        values(&export(b, p, "t_kept", &all)),
        vec![vec!["1"], vec!["2"]],
        "the other table keeps its rows"
    );
    assert_eq!(b.stats(p, &pn("t_kept")).unwrap().rows_count, 2);
    b.drop_physical(p, "t_orphan")
        .expect("dropping a name already gone is no error");
    b.drop_physical(ProjectId(9118), "t_none")
        .expect("nor in a project the backend never saw");
    assert_eq!(
        b.list_physical(ProjectId(9118)).unwrap(),
        Vec::<String>::new()
    );
    b.create_table(p, &pn("t_orphan"), &c, None, &[], NOW)
        .expect("the name can be used again");
    assert_eq!(b.stats(p, &pn("t_orphan")).unwrap().rows_count, 0);
    b.drop_project(p).unwrap();
}

pub(super) fn drop_physical_refuses_bookkeeping(b: &dyn TableBackend) {
    let p = ProjectId(9119);
    let c = cols(&["id"]);
    b.create_table(p, &pn("t_x"), &c, None, &[], NOW).unwrap();
    for name in [
        format!("{BOOKKEEPING_PREFIX}_stats"),
        format!("{BOOKKEEPING_PREFIX}_import_keys"),
        BOOKKEEPING_PREFIX.to_uppercase(),
    ] {
        assert!(
            b.drop_physical(p, &name).is_err(),
            "{name} is the backend's own"
        );
    }
    let stats = import(b, p, "t_x", &c, &[], false, &[(&["1"], 1)]).unwrap();
    assert_eq!(stats.rows_count, 1, "and the bookkeeping still works");
    assert_eq!(b.list_physical(p).unwrap(), vec!["t_x"]);
    b.drop_project(p).unwrap();
}
