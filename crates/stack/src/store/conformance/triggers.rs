//! [`TriggerStore`]'s cases.

use std::sync::LazyLock;

use stackport_model::{ComponentId, ConfigId, ProjectId, TableId, TokenId, TriggerId};

use super::buckets::insert as insert_bucket;
use super::orchestrations::token;
use super::tables::{insert_table, table_id};
use super::{new_project, read, write, NewStore};
use crate::store::{MetaTx, MetadataStore, TriggerFields, TriggerRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_triggers_read_back_unmarked(new_store);
    an_update_keeps_the_marks_of_tables_it_keeps(new_store);
    a_trigger_is_ready_when_every_table_is_marked(new_store);
    a_run_is_taken_once(new_store);
    inactive_triggers_mark_nothing(new_store);
    a_deleted_table_leaves_its_triggers(new_store);
    triggers_are_the_projects_own(new_store);
}

static COMPONENT: LazyLock<ComponentId> =
    LazyLock::new(|| "keboola.snowflake-transformation".parse().unwrap());
static CONFIG: LazyLock<ConfigId> = LazyLock::new(|| "sales".parse().unwrap());

fn component() -> ComponentId {
    COMPONENT.clone()
}

fn config() -> ConfigId {
    CONFIG.clone()
}

/// A project with tables `in.c-a.one`, `in.c-a.two` and `in.c-a.three`.
fn project_with_tables(tx: &mut dyn MetaTx, name: &str) -> ProjectId {
    let p = new_project(tx, name);
    insert_bucket(tx, p, "in.c-a", 1);
    for t in ["one", "two", "three"] {
        insert_table(tx, p, &format!("in.c-a.{t}"), &["id"]);
    }
    p
}

fn fields<'a>(tables: &'a [TableId], active: bool) -> TriggerFields<'a> {
    TriggerFields {
        component: &COMPONENT,
        config: &CONFIG,
        run_with_token: TokenId(7),
        cool_down_minutes: 5,
        tables,
        active,
    }
}

fn ids(names: &[&str]) -> Vec<TableId> {
    names
        .iter()
        .map(|n| table_id(&format!("in.c-a.{n}")))
        .collect()
}

fn marks(t: &TriggerRecord) -> Vec<(String, bool)> {
    t.tables
        .iter()
        .map(|w| (w.table.name().to_string(), w.changed))
        .collect()
}

fn inserted_triggers_read_back_unmarked(new_store: NewStore<'_>) {
    let store = new_store();
    let tables = ids(&["two", "one"]);
    let (p, id) = write(store.as_ref(), |tx| {
        let p = project_with_tables(tx, "p");
        let id = tx
            .triggers()
            .insert_trigger(p, &fields(&tables, true), &token(3))
            .unwrap();
        (p, id)
    });
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.project, p);
    assert_eq!(got.component, component());
    assert_eq!(got.config, config());
    assert_eq!(got.run_with_token, TokenId(7));
    assert_eq!(got.creator, token(3));
    assert_eq!(got.cool_down_minutes, 5);
    assert_eq!(got.last_run_micros, None);
    assert!(got.active);
    assert_eq!(
        marks(&got),
        [("two".into(), false), ("one".into(), false)],
        "in the order given, unmarked"
    );
    let listed = read(store.as_ref(), |tx| tx.triggers().list_triggers(p).unwrap());
    assert_eq!(listed, [got]);
    assert!(write(store.as_ref(), |tx| tx
        .triggers()
        .delete_trigger(p, id)
        .unwrap()));
    assert!(!write(store.as_ref(), |tx| tx
        .triggers()
        .delete_trigger(p, id)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| tx
        .triggers()
        .get_trigger(p, id)
        .unwrap())
    .is_none());
}

fn an_update_keeps_the_marks_of_tables_it_keeps(new_store: NewStore<'_>) {
    let store = new_store();
    let before = ids(&["one", "two"]);
    let after = ids(&["three", "two"]);
    let (p, id) = write(store.as_ref(), |tx| {
        let p = project_with_tables(tx, "p");
        let id = tx
            .triggers()
            .insert_trigger(p, &fields(&before, true), &token(3))
            .unwrap();
        tx.triggers()
            .mark_table_changed(p, &table_id("in.c-a.two"))
            .unwrap();
        (p, id)
    });
    let mut changed = fields(&after, true);
    changed.cool_down_minutes = 60;
    changed.run_with_token = TokenId(9);
    assert!(write(store.as_ref(), |tx| tx
        .triggers()
        .update_trigger(p, id, &changed)
        .unwrap()));
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert_eq!(got.cool_down_minutes, 60);
    assert_eq!(got.run_with_token, TokenId(9));
    assert_eq!(got.creator, token(3), "the creator stays");
    assert_eq!(marks(&got), [("three".into(), false), ("two".into(), true)]);
    assert!(!write(store.as_ref(), |tx| tx
        .triggers()
        .update_trigger(p, missing(), &changed)
        .unwrap()));
}

pub(super) fn missing() -> stackport_model::TriggerId {
    stackport_model::TriggerId(999_999)
}

fn a_trigger_is_ready_when_every_table_is_marked(new_store: NewStore<'_>) {
    let store = new_store();
    let tables = ids(&["one", "two"]);
    let (p, id) = write(store.as_ref(), |tx| {
        let p = project_with_tables(tx, "p");
        let id = tx
            .triggers()
            .insert_trigger(p, &fields(&tables, true), &token(3))
            .unwrap();
        (p, id)
    });
    let mark = |name: &str| {
        write(store.as_ref(), |tx| {
            tx.triggers()
                .mark_table_changed(p, &table_id(&format!("in.c-a.{name}")))
                .unwrap()
        })
    };
    let ready = || read(store.as_ref(), |tx| tx.triggers().ready_triggers().unwrap());
    assert!(ready().is_empty());
    mark("one");
    mark("one");
    mark("three");
    assert!(ready().is_empty(), "one table of two changed");
    mark("two");
    let ready = ready();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].id, id);
    assert!(ready[0].all_changed());
}

/// A trigger (active or not) of a new project watching its table `one`, marked changed once.
fn marked_trigger(store: &dyn MetadataStore, active: bool) -> (ProjectId, TriggerId) {
    let tables = ids(&["one"]);
    write(store, |tx| {
        let p = project_with_tables(tx, "p");
        let id = tx
            .triggers()
            .insert_trigger(p, &fields(&tables, active), &token(3))
            .unwrap();
        tx.triggers()
            .mark_table_changed(p, &table_id("in.c-a.one"))
            .unwrap();
        (p, id)
    })
}

fn a_run_is_taken_once(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, id) = marked_trigger(store.as_ref(), true);
    assert!(write(store.as_ref(), |tx| tx
        .triggers()
        .take_run(id, None, Some(100))
        .unwrap()));
    assert!(
        !write(store.as_ref(), |tx| tx
            .triggers()
            .take_run(id, None, Some(200))
            .unwrap()),
        "the run was taken"
    );
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert_eq!(got.last_run_micros, Some(100));
    assert_eq!(
        marks(&got),
        [("one".into(), false)],
        "the marks are cleared"
    );
    write(store.as_ref(), |tx| {
        tx.triggers()
            .mark_table_changed(p, &table_id("in.c-a.one"))
            .unwrap()
    });
    assert!(!write(store.as_ref(), |tx| tx
        .triggers()
        .take_run(id, None, Some(300))
        .unwrap()));
    assert!(
        write(store.as_ref(), |tx| tx
            .triggers()
            .take_run(id, Some(100), None)
            .unwrap()),
        "a run that could not queue clears the marks and keeps the last run"
    );
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert_eq!(got.last_run_micros, Some(100));
    assert!(!got.tables[0].changed);
}

fn inactive_triggers_mark_nothing(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, id) = marked_trigger(store.as_ref(), false);
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert!(!got.active);
    assert!(!got.tables[0].changed);
    assert!(read(store.as_ref(), |tx| tx.triggers().ready_triggers().unwrap()).is_empty());
    // Active, marked, then switched off: the mark goes.
    let tables = ids(&["one"]);
    write(store.as_ref(), |tx| {
        tx.triggers()
            .update_trigger(p, id, &fields(&tables, true))
            .unwrap();
        tx.triggers()
            .mark_table_changed(p, &table_id("in.c-a.one"))
            .unwrap();
        tx.triggers()
            .update_trigger(p, id, &fields(&tables, false))
            .unwrap();
    });
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert!(!got.tables[0].changed);
}

fn a_deleted_table_leaves_its_triggers(new_store: NewStore<'_>) {
    let store = new_store();
    let tables = ids(&["one", "two"]);
    let (p, id) = write(store.as_ref(), |tx| {
        let p = project_with_tables(tx, "p");
        let id = tx
            .triggers()
            .insert_trigger(p, &fields(&tables, true), &token(3))
            .unwrap();
        tx.triggers()
            .mark_table_changed(p, &table_id("in.c-a.two"))
            .unwrap();
        (p, id)
    });
    write(store.as_ref(), |tx| {
        tx.tables()
            .delete_table(p, &table_id("in.c-a.one"))
            .unwrap()
    });
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert_eq!(marks(&got), [("two".into(), true)]);
    write(store.as_ref(), |tx| {
        tx.tables()
            .delete_bucket_tables(p, &"in.c-a".parse().unwrap())
            .unwrap()
    });
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert!(got.tables.is_empty(), "the trigger stays, watching nothing");
    assert!(
        !got.all_changed(),
        "a trigger without tables is never ready"
    );
    assert!(read(store.as_ref(), |tx| tx.triggers().ready_triggers().unwrap()).is_empty());
}

fn triggers_are_the_projects_own(new_store: NewStore<'_>) {
    let store = new_store();
    let tables = ids(&["one"]);
    let (p, q, id) = write(store.as_ref(), |tx| {
        let p = project_with_tables(tx, "p");
        let q = project_with_tables(tx, "q");
        let id = tx
            .triggers()
            .insert_trigger(p, &fields(&tables, true), &token(3))
            .unwrap();
        (p, q, id)
    });
    assert!(read(store.as_ref(), |tx| tx
        .triggers()
        .get_trigger(q, id)
        .unwrap())
    .is_none());
    assert!(read(store.as_ref(), |tx| tx.triggers().list_triggers(q).unwrap()).is_empty());
    assert!(!write(store.as_ref(), |tx| tx
        .triggers()
        .delete_trigger(q, id)
        .unwrap()));
    write(store.as_ref(), |tx| {
        tx.triggers()
            .mark_table_changed(q, &table_id("in.c-a.one"))
            .unwrap()
    });
    let got = read(store.as_ref(), |tx| {
        tx.triggers().get_trigger(p, id).unwrap()
    })
    .unwrap();
    assert!(
        !got.tables[0].changed,
        "another project's import marks nothing here"
    );
}
