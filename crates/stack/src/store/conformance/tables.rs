//! [`TableCatalog`]'s cases.

use stackport_model::api::{
    BaseType, ColumnDefinition, ColumnFilter, FilterOperator, TableDefinition,
};
use stackport_model::{ColumnName, ProjectId, TableId};

use super::buckets::{bucket_id, insert as insert_bucket};
use super::{new_project, read, write, NewStore};
use crate::backend::PhysicalName;
use crate::store::{AliasRecord, MetaTx, NewAliasRecord, NewTableRecord, TableRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_tables_read_back_by_id(new_store);
    a_table_id_is_taken_once_whatever_its_case(new_store);
    aliases_read_back_resolved(new_store);
    aliases_that_follow_their_source_follow_its_columns(new_store);
    aliases_are_found_by_source_and_by_bucket(new_store);
    the_primary_key_changes(new_store);
    deleting_tables(new_store);
    physical_names_are_those_of_tables_with_rows(new_store);
    an_uncommitted_table_is_rolled_back(new_store);
    tables_go_with_their_project(new_store);
}

pub(super) fn table_id(id: &str) -> TableId {
    id.parse().expect("a valid table id")
}

pub(super) fn cols(names: &[&str]) -> Vec<ColumnName> {
    names
        .iter()
        .map(|n| ColumnName::parse(n).unwrap())
        .collect()
}

fn physical(name: &str) -> PhysicalName {
    PhysicalName::from_stored(name.into())
}

/// Inserts untyped table `id` with `columns`, its rows in `t_<name>`.
pub(super) fn insert_table(tx: &mut dyn MetaTx, project: ProjectId, id: &str, columns: &[&str]) {
    let table = table_id(id);
    tx.tables()
        .insert_table(
            project,
            &NewTableRecord {
                id: &table,
                display_name: table.name(),
                physical: &physical(&format!("t_{}", table.name())),
                columns: &cols(columns),
                primary_key: &[],
                definition: None,
                created_micros: 5,
            },
        )
        .expect("the table is inserted");
}

fn insert_alias(
    tx: &mut dyn MetaTx,
    project: ProjectId,
    id: &str,
    source: &str,
    filter: Option<&ColumnFilter>,
    columns: Option<&[ColumnName]>,
) {
    let id = table_id(id);
    tx.tables()
        .insert_alias(
            project,
            &NewAliasRecord {
                id: &id,
                display_name: id.name(),
                source: &table_id(source),
                filter,
                columns,
                created_micros: 6,
            },
        )
        .expect("the alias is inserted");
}

fn get(store: &dyn crate::store::MetadataStore, p: ProjectId, id: &str) -> Option<TableRecord> {
    read(store, |tx| tx.tables().get_table(p, &table_id(id)).unwrap())
}

fn ids(tables: &[TableRecord]) -> Vec<String> {
    tables.iter().map(|t| t.id.to_string()).collect()
}

fn typed() -> TableDefinition {
    TableDefinition {
        columns: vec![
            ColumnDefinition {
                name: ColumnName::parse("id").unwrap(),
                basetype: BaseType::Integer,
                nullable: false,
                length: None,
            },
            ColumnDefinition {
                name: ColumnName::parse("price").unwrap(),
                basetype: BaseType::Numeric,
                nullable: true,
                length: Some("10,2".into()),
            },
        ],
        primary_keys_names: cols(&["id"]),
    }
}

fn project_with_buckets(tx: &mut dyn MetaTx) -> ProjectId {
    let p = new_project(tx, "p");
    insert_bucket(tx, p, "in.c-a", 1);
    insert_bucket(tx, p, "in.c-b", 1);
    p
}

fn inserted_tables_read_back_by_id(new_store: NewStore<'_>) {
    let store = new_store();
    let definition = typed();
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-b.first", &["x"]);
        tx.tables()
            .insert_table(
                p,
                &NewTableRecord {
                    id: &table_id("in.c-a.prices"),
                    display_name: "Prices",
                    physical: &physical("t_0123456789abcdef"),
                    columns: &cols(&["id", "price"]),
                    primary_key: &cols(&["id"]),
                    definition: Some(&definition),
                    created_micros: 42,
                },
            )
            .unwrap();
        insert_table(tx, p, "in.c-a.orders", &["id", "amount"]);
        p
    });
    assert_eq!(
        get(store.as_ref(), p, "in.c-a.prices").expect("the inserted table is found"),
        TableRecord {
            id: table_id("in.c-a.prices"),
            display_name: "Prices".into(),
            physical: physical("t_0123456789abcdef"),
            columns: cols(&["id", "price"]),
            primary_key: cols(&["id"]),
            definition: Some(definition),
            alias: None,
            created_micros: 42,
        }
    );
    let orders = get(store.as_ref(), p, "in.c-a.orders").unwrap();
    assert_eq!(
        orders.columns,
        cols(&["id", "amount"]),
        "columns keep their order"
    );
    assert_eq!(orders.definition, None);
    assert!(
        get(store.as_ref(), p, "in.c-a.ORDERS").is_none(),
        "get compares ids exactly"
    );
    let all = read(store.as_ref(), |tx| {
        tx.tables().list_tables(p, None).unwrap()
    });
    assert_eq!(
        ids(&all),
        ["in.c-a.orders", "in.c-a.prices", "in.c-b.first"],
        "tables are listed by id"
    );
    let in_b = read(store.as_ref(), |tx| {
        tx.tables()
            .list_tables(p, Some(&bucket_id("in.c-b")))
            .unwrap()
    });
    assert_eq!(ids(&in_b), ["in.c-b.first"], "a bucket's tables only");
}

fn a_table_id_is_taken_once_whatever_its_case(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-a.Orders", &["id"]);
        p
    });
    let again = {
        let mut tx = store.begin_write().unwrap();
        tx.tables().insert_table(
            p,
            &NewTableRecord {
                id: &table_id("in.c-a.Orders"),
                display_name: "again",
                physical: &physical("t_other"),
                columns: &cols(&["id"]),
                primary_key: &[],
                definition: None,
                created_micros: 1,
            },
        )
    };
    assert!(
        again.is_err(),
        "the store refuses a second table with the same id"
    );
    let taken = |id: &str| {
        read(store.as_ref(), |tx| {
            tx.tables().table_name_taken(p, &table_id(id)).unwrap()
        })
    };
    assert_eq!(
        taken("in.c-a.orders"),
        Some(table_id("in.c-a.Orders")),
        "ids clash case-insensitively, and the existing one is named"
    );
    assert_eq!(taken("in.c-A.ORDERS"), Some(table_id("in.c-a.Orders")));
    assert_eq!(taken("in.c-b.orders"), None, "another bucket");
    assert_eq!(taken("in.c-a.orders2"), None);
}

fn aliases_read_back_resolved(new_store: NewStore<'_>) {
    let store = new_store();
    let definition = typed();
    let filter = ColumnFilter {
        column: ColumnName::parse("id").unwrap(),
        operator: FilterOperator::Eq,
        values: vec!["1".into()],
    };
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        tx.tables()
            .insert_table(
                p,
                &NewTableRecord {
                    id: &table_id("in.c-a.src"),
                    display_name: "src",
                    physical: &physical("t_src"),
                    columns: &cols(&["id", "price"]),
                    primary_key: &cols(&["id"]),
                    definition: Some(&definition),
                    created_micros: 1,
                },
            )
            .unwrap();
        insert_alias(tx, p, "in.c-b.follows", "in.c-a.src", Some(&filter), None);
        insert_alias(
            tx,
            p,
            "in.c-b.own",
            "in.c-a.src",
            None,
            Some(&cols(&["price"])),
        );
        p
    });
    let follows = get(store.as_ref(), p, "in.c-b.follows").unwrap();
    assert_eq!(
        follows,
        TableRecord {
            id: table_id("in.c-b.follows"),
            display_name: "follows".into(),
            physical: physical("t_src"),
            columns: cols(&["id", "price"]),
            primary_key: cols(&["id"]),
            definition: Some(definition.clone()),
            alias: Some(AliasRecord {
                source: table_id("in.c-a.src"),
                filter: Some(filter),
                columns: None,
            }),
            created_micros: 6,
        },
        "an alias carries its source's physical table, key, definition and columns"
    );
    let own = get(store.as_ref(), p, "in.c-b.own").unwrap();
    assert_eq!(
        own.columns,
        cols(&["price"]),
        "explicit columns are the alias's own"
    );
    assert_eq!(own.physical, physical("t_src"));
    assert_eq!(own.alias.unwrap().columns, Some(cols(&["price"])));
    let listed = read(store.as_ref(), |tx| {
        tx.tables()
            .list_tables(p, Some(&bucket_id("in.c-b")))
            .unwrap()
    });
    assert_eq!(listed[0], follows, "a listing resolves aliases too");
}

fn aliases_that_follow_their_source_follow_its_columns(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-a.src", &["id", "v"]);
        insert_alias(tx, p, "in.c-b.follows", "in.c-a.src", None, None);
        insert_alias(tx, p, "in.c-b.own", "in.c-a.src", None, Some(&cols(&["v"])));
        p
    });
    let definition = typed();
    write(store.as_ref(), |tx| {
        tx.tables()
            .set_columns(
                p,
                &table_id("in.c-a.src"),
                &cols(&["id", "v", "w"]),
                Some(&definition),
            )
            .unwrap()
    });
    let src = get(store.as_ref(), p, "in.c-a.src").unwrap();
    assert_eq!(src.columns, cols(&["id", "v", "w"]));
    assert_eq!(src.definition, Some(definition.clone()));
    let follows = get(store.as_ref(), p, "in.c-b.follows").unwrap();
    assert_eq!(
        follows.columns,
        cols(&["id", "v", "w"]),
        "a following alias follows"
    );
    assert_eq!(follows.definition, Some(definition));
    assert_eq!(
        get(store.as_ref(), p, "in.c-b.own").unwrap().columns,
        cols(&["v"])
    );
}

fn aliases_are_found_by_source_and_by_bucket(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_bucket(tx, p, "in.c-c", 1);
        insert_table(tx, p, "in.c-a.src", &["id"]);
        insert_table(tx, p, "in.c-a.other", &["id"]);
        insert_alias(tx, p, "in.c-b.z", "in.c-a.src", None, None);
        insert_alias(tx, p, "in.c-a.inside", "in.c-a.src", None, None);
        insert_alias(tx, p, "in.c-c.y", "in.c-a.other", None, None);
        p
    });
    let of_src = read(store.as_ref(), |tx| {
        tx.tables().aliases_of(p, &table_id("in.c-a.src")).unwrap()
    });
    assert_eq!(
        ids(&of_src),
        ["in.c-a.inside", "in.c-b.z"],
        "a source's aliases, by id"
    );
    assert!(of_src.iter().all(|a| a.alias.is_some()));
    let none = read(store.as_ref(), |tx| {
        tx.tables().aliases_of(p, &table_id("in.c-b.z")).unwrap()
    });
    assert!(none.is_empty());
    let into = |bucket: &str| {
        read(store.as_ref(), |tx| {
            tx.tables()
                .alias_into_bucket(p, &bucket_id(bucket))
                .unwrap()
        })
    };
    let found = into("in.c-a").expect("aliases outside read from in.c-a");
    assert!(
        [table_id("in.c-b.z"), table_id("in.c-c.y")].contains(&found),
        "an alias outside the bucket, not {found}"
    );
    assert_eq!(
        into("in.c-b"),
        None,
        "an alias inside a bucket reads from elsewhere"
    );
    assert_eq!(into("in.c-c"), None);
}

fn the_primary_key_changes(new_store: NewStore<'_>) {
    let store = new_store();
    let mut definition = typed();
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-a.t", &["id", "price"]);
        p
    });
    definition.primary_keys_names = cols(&["id", "price"]);
    write(store.as_ref(), |tx| {
        tx.tables()
            .set_primary_key(
                p,
                &table_id("in.c-a.t"),
                &cols(&["id", "price"]),
                Some(&definition),
            )
            .unwrap()
    });
    let t = get(store.as_ref(), p, "in.c-a.t").unwrap();
    assert_eq!(t.primary_key, cols(&["id", "price"]));
    assert_eq!(t.definition, Some(definition));
    write(store.as_ref(), |tx| {
        tx.tables()
            .set_primary_key(p, &table_id("in.c-a.t"), &[], None)
            .unwrap()
    });
    let t = get(store.as_ref(), p, "in.c-a.t").unwrap();
    assert!(t.primary_key.is_empty(), "an empty key removes it");
    assert_eq!(t.definition, None);
}

fn deleting_tables(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-a.one", &["id"]);
        insert_table(tx, p, "in.c-a.two", &["id"]);
        insert_alias(tx, p, "in.c-a.three", "in.c-a.two", None, None);
        insert_table(tx, p, "in.c-b.kept", &["id"]);
        p
    });
    assert!(write(store.as_ref(), |tx| tx
        .tables()
        .delete_table(p, &table_id("in.c-a.one"))
        .unwrap()));
    assert!(
        !write(store.as_ref(), |tx| tx
            .tables()
            .delete_table(p, &table_id("in.c-a.one"))
            .unwrap()),
        "deleting twice finds nothing"
    );
    let n = write(store.as_ref(), |tx| {
        tx.tables()
            .delete_bucket_tables(p, &bucket_id("in.c-a"))
            .unwrap()
    });
    assert_eq!(n, 2, "a bucket's tables and aliases");
    let left = read(store.as_ref(), |tx| {
        tx.tables().list_tables(p, None).unwrap()
    });
    assert_eq!(ids(&left), ["in.c-b.kept"]);
}

fn physical_names_are_those_of_tables_with_rows(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, q) = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-b.two", &["id"]);
        insert_table(tx, p, "in.c-a.one", &["id"]);
        insert_alias(tx, p, "in.c-a.alias", "in.c-a.one", None, None);
        let q = new_project(tx, "q");
        insert_bucket(tx, q, "in.c-a", 1);
        insert_table(tx, q, "in.c-a.elsewhere", &["id"]);
        (p, q)
    });
    let names = read(store.as_ref(), |tx| tx.tables().physical_names(p).unwrap());
    assert_eq!(
        names,
        [
            (table_id("in.c-a.one"), physical("t_one")),
            (table_id("in.c-b.two"), physical("t_two")),
        ],
        "the project's tables by id; aliases hold no rows"
    );
    assert_eq!(
        read(store.as_ref(), |tx| tx.tables().physical_names(q).unwrap()).len(),
        1
    );
}

fn an_uncommitted_table_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-a.kept", &["id"]);
        p
    });
    {
        let mut tx = store.begin_write().unwrap();
        insert_table(tx.as_mut(), p, "in.c-a.dropped", &["id"]);
        tx.tables()
            .set_columns(p, &table_id("in.c-a.kept"), &cols(&["id", "new"]), None)
            .unwrap();
        drop(tx); // without a commit
    }
    let all = read(store.as_ref(), |tx| {
        tx.tables().list_tables(p, None).unwrap()
    });
    assert_eq!(ids(&all), ["in.c-a.kept"]);
    assert_eq!(
        all[0].columns,
        cols(&["id"]),
        "the change is rolled back too"
    );
}

fn tables_go_with_their_project(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, q) = write(store.as_ref(), |tx| {
        let p = project_with_buckets(tx);
        insert_table(tx, p, "in.c-a.t", &["id"]);
        insert_alias(tx, p, "in.c-b.t", "in.c-a.t", None, None);
        let q = new_project(tx, "q");
        insert_bucket(tx, q, "in.c-a", 1);
        insert_table(tx, q, "in.c-a.t", &["id"]);
        (p, q)
    });
    write(store.as_ref(), |tx| {
        tx.projects().delete_project(p).unwrap()
    });
    assert!(read(store.as_ref(), |tx| tx
        .tables()
        .list_tables(p, None)
        .unwrap())
    .is_empty());
    assert!(read(store.as_ref(), |tx| tx.tables().physical_names(p).unwrap()).is_empty());
    assert_eq!(
        ids(&read(store.as_ref(), |tx| tx
            .tables()
            .list_tables(q, None)
            .unwrap())),
        ["in.c-a.t"],
        "the other project's table of the same id stays"
    );
}
