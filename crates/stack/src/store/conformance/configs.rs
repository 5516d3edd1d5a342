//! [`ConfigStore`]'s cases.

use stackport_model::api::{ConfigRow, RawJson, TokenRef};
use stackport_model::{ComponentId, ConfigId, ProjectId, RowId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{
    ConfigKey, ConfigRecord, ConfigSnapshot, ConfigStore, MetaTx, NewConfigRecord, NewConfigVersion,
};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_configurations_read_back(new_store);
    ids_are_unique_per_component_as_written(new_store);
    configurations_are_listed_by_creation_then_id(new_store);
    an_update_saves_what_may_change(new_store);
    the_trash_keeps_configurations_apart_until_purged(new_store);
    versions_are_numbered_per_configuration(new_store);
    rows_keep_the_order_they_were_inserted_in(new_store);
    a_row_update_keeps_its_place_and_creation(new_store);
    sealed_secrets_come_back_byte_for_byte(new_store);
    an_uncommitted_write_leaves_nothing(new_store);
    deleting_the_project_removes_its_configurations(new_store);
}

const MYSQL: &str = "keboola.ex-db-mysql";
const PYTHON: &str = "kds-team.app-custom-python";

fn component(id: &str) -> ComponentId {
    id.parse().unwrap()
}

fn config_id(id: &str) -> ConfigId {
    id.parse().unwrap()
}

fn row_id(id: &str) -> RowId {
    id.parse().unwrap()
}

fn token() -> TokenRef {
    TokenRef {
        id: TokenId(7),
        description: "ci token".into(),
    }
}

fn key<'a>(project: ProjectId, component: &'a ComponentId, id: &'a ConfigId) -> ConfigKey<'a> {
    ConfigKey {
        project,
        component,
        id,
    }
}

/// Inserts configuration `id` of `component` created at `created`, with distinct documents.
fn insert(
    configs: &mut dyn ConfigStore,
    project: ProjectId,
    component: &str,
    id: &str,
    created: i64,
) -> crate::Result<()> {
    configs.insert_config(
        project,
        &NewConfigRecord {
            component: &self::component(component),
            id: &config_id(id),
            name: &format!("{id} name"),
            description: &format!("{id} description"),
            configuration: &format!("{{\"id\": \"{id}\"}}"),
            state: "{}",
            is_disabled: false,
            created_micros: created,
            creator: &token(),
        },
    )
}

fn get(tx: &mut dyn MetaTx, project: ProjectId, component: &str, id: &str) -> Option<ConfigRecord> {
    tx.configs()
        .get_config(key(project, &self::component(component), &config_id(id)))
        .unwrap()
}

fn listed(tx: &mut dyn MetaTx, project: ProjectId, component: &str, deleted: bool) -> Vec<String> {
    tx.configs()
        .list_configs(project, &self::component(component), deleted)
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect()
}

fn components(tx: &mut dyn MetaTx, project: ProjectId, deleted: bool) -> Vec<String> {
    tx.configs()
        .components_with_configs(project, deleted)
        .unwrap()
        .into_iter()
        .map(|c| c.to_string())
        .collect()
}

fn new_row(id: &str, created: i64) -> ConfigRow {
    ConfigRow {
        id: row_id(id),
        name: format!("{id} name"),
        description: String::new(),
        configuration: RawJson::from_string(format!("{{\"row\": \"{id}\"}}")).unwrap(),
        state: RawJson::from_string(format!("{{\"state of\": \"{id}\"}}")).unwrap(),
        is_disabled: false,
        version: 1,
        created: stackport_model::time::from_micros(created),
        creator_token: token(),
        change_description: format!("Row {id} added"),
    }
}

fn row_ids(rows: &[ConfigRow]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

fn snapshot(name: &str) -> ConfigSnapshot {
    ConfigSnapshot {
        name: name.into(),
        description: String::new(),
        configuration: RawJson::from_string(format!("{{\"name\": \"{name}\"}}")).unwrap(),
        state: RawJson::default(),
        is_disabled: false,
        is_deleted: false,
        rows_sort_order: Vec::new(),
        rows: Vec::new(),
    }
}

fn add_version(configs: &mut dyn ConfigStore, k: ConfigKey<'_>, change: &str) -> u64 {
    configs
        .insert_config_version(
            k,
            &NewConfigVersion {
                identifier: &format!("id-{change}"),
                created_micros: 1_700_000_000_000_100,
                creator: &token(),
                change_description: change,
                snapshot: &snapshot(change),
            },
        )
        .unwrap()
}

fn inserted_configurations_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "main", 1_700_000_000_000_001).unwrap();
        p
    });
    let got = read(store.as_ref(), |tx| get(tx, p, MYSQL, "main")).expect("it is found");
    assert_eq!(
        got,
        ConfigRecord {
            component: component(MYSQL),
            id: config_id("main"),
            name: "main name".into(),
            description: "main description".into(),
            configuration: "{\"id\": \"main\"}".into(),
            state: "{}".into(),
            is_disabled: false,
            is_deleted: false,
            rows_sort_order: Vec::new(),
            created: 1_700_000_000_000_001,
            creator: token(),
            version: 0,
        }
    );
    read(store.as_ref(), |tx| {
        assert_eq!(listed(tx, p, MYSQL, false), ["main"]);
        assert!(listed(tx, p, MYSQL, true).is_empty());
        assert!(listed(tx, p, PYTHON, false).is_empty());
        assert_eq!(components(tx, p, false), [MYSQL]);
        assert!(components(tx, p, true).is_empty());
        assert!(get(tx, p, PYTHON, "main").is_none());
    });
}

fn ids_are_unique_per_component_as_written(new_store: NewStore<'_>) {
    let store = new_store();
    let (p, q) = write(store.as_ref(), |tx| {
        let (p, q) = (new_project(tx, "p"), new_project(tx, "q"));
        insert(tx.configs(), p, MYSQL, "main", 1).unwrap();
        (p, q)
    });
    {
        let mut tx = store.begin_write().unwrap();
        assert!(
            insert(tx.configs(), p, MYSQL, "main", 2).is_err(),
            "a second configuration main of the same component is refused"
        );
    }
    write(store.as_ref(), |tx| {
        insert(tx.configs(), p, PYTHON, "main", 3).expect("another component may have main");
        insert(tx.configs(), q, MYSQL, "main", 4).expect("another project may have main");
        insert(tx.configs(), p, MYSQL, "Main", 5).expect("ids are compared as written");
    });
    read(store.as_ref(), |tx| {
        let main = get(tx, p, MYSQL, "main").unwrap();
        assert_eq!(main.created, 1, "the refused insert changed nothing");
        assert_eq!(get(tx, p, MYSQL, "Main").unwrap().created, 5);
        assert!(get(tx, p, MYSQL, "MAIN").is_none());
        assert_eq!(listed(tx, p, MYSQL, false).len(), 2);
        assert_eq!(get(tx, q, MYSQL, "main").unwrap().created, 4);
    });
}

fn configurations_are_listed_by_creation_then_id(new_store: NewStore<'_>) {
    let store = new_store();
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "b", 20).unwrap();
        insert(tx.configs(), p, MYSQL, "c", 10).unwrap();
        insert(tx.configs(), p, MYSQL, "a", 20).unwrap();
        insert(tx.configs(), p, PYTHON, "z", 1).unwrap();
        insert(tx.configs(), p, "aa.first", "y", 2).unwrap();
        insert(tx.configs(), p, "Zz.upper", "x", 3).unwrap();
        p
    });
    read(store.as_ref(), |tx| {
        assert_eq!(listed(tx, p, MYSQL, false), ["c", "a", "b"]);
        assert_eq!(
            components(tx, p, false),
            ["Zz.upper", "aa.first", PYTHON, MYSQL],
            "components by id byte by byte, each once"
        );
    });
}

fn an_update_saves_what_may_change(new_store: NewStore<'_>) {
    let store = new_store();
    let (mysql, main) = (component(MYSQL), config_id("main"));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "main", 1).unwrap();
        add_version(tx.configs(), key(p, &mysql, &main), "created");
        p
    });
    let mut changed = read(store.as_ref(), |tx| get(tx, p, MYSQL, "main").unwrap());
    changed.name = "renamed".into();
    changed.description = "described".into();
    changed.configuration = "{\"changed\": true}".into();
    changed.state = "{\"cursor\": 2}".into();
    changed.is_disabled = true;
    changed.rows_sort_order = vec![row_id("r2"), row_id("r1")];
    let mut asked = changed.clone();
    asked.created = 99;
    asked.creator.id = TokenId(99);
    asked.version = 42;
    assert!(write(store.as_ref(), |tx| tx
        .configs()
        .update_config(p, &asked)
        .unwrap()));
    assert_eq!(
        read(store.as_ref(), |tx| get(tx, p, MYSQL, "main").unwrap()),
        changed,
        "creation and version stay as they were"
    );
    let mut missing = changed.clone();
    missing.id = config_id("other");
    assert!(!write(store.as_ref(), |tx| tx
        .configs()
        .update_config(p, &missing)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| get(tx, p, MYSQL, "other")).is_none());
}

fn the_trash_keeps_configurations_apart_until_purged(new_store: NewStore<'_>) {
    let store = new_store();
    let (mysql, gone) = (component(MYSQL), config_id("gone"));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "kept", 1).unwrap();
        insert(tx.configs(), p, MYSQL, "gone", 2).unwrap();
        tx.configs()
            .insert_row(key(p, &mysql, &gone), &new_row("r1", 3))
            .unwrap();
        add_version(tx.configs(), key(p, &mysql, &gone), "created");
        p
    });
    let set_deleted = |deleted: bool| {
        let mut c = read(store.as_ref(), |tx| get(tx, p, MYSQL, "gone").unwrap());
        c.is_deleted = deleted;
        assert!(write(store.as_ref(), |tx| tx
            .configs()
            .update_config(p, &c)
            .unwrap()));
    };
    set_deleted(true);
    read(store.as_ref(), |tx| {
        assert_eq!(listed(tx, p, MYSQL, false), ["kept"]);
        assert_eq!(listed(tx, p, MYSQL, true), ["gone"]);
        assert!(get(tx, p, MYSQL, "gone").unwrap().is_deleted, "still found");
        assert_eq!(components(tx, p, true), [MYSQL]);
        let rows = tx.configs().list_rows(key(p, &mysql, &gone)).unwrap();
        assert_eq!(row_ids(&rows), ["r1"], "the trash keeps the rows");
    });
    set_deleted(false);
    read(store.as_ref(), |tx| {
        assert_eq!(listed(tx, p, MYSQL, false), ["kept", "gone"]);
        assert!(listed(tx, p, MYSQL, true).is_empty());
        assert!(components(tx, p, true).is_empty());
    });
    set_deleted(true);
    let purged = |store: &dyn crate::store::MetadataStore| {
        write(store, |tx| {
            tx.configs().purge_config(key(p, &mysql, &gone)).unwrap()
        })
    };
    assert!(purged(store.as_ref()));
    assert!(!purged(store.as_ref()), "purging twice finds nothing");
    read(store.as_ref(), |tx| {
        assert!(get(tx, p, MYSQL, "gone").is_none());
        assert!(listed(tx, p, MYSQL, true).is_empty());
        let k = key(p, &mysql, &gone);
        assert!(tx.configs().list_rows(k).unwrap().is_empty());
        assert!(tx.configs().list_config_versions(k).unwrap().is_empty());
        assert_eq!(listed(tx, p, MYSQL, false), ["kept"]);
    });
    let again = write(store.as_ref(), |tx| {
        insert(tx.configs(), p, MYSQL, "gone", 5).expect("a purged id is free again");
        add_version(tx.configs(), key(p, &mysql, &gone), "again")
    });
    assert_eq!(again, 1, "a purged configuration's versions went with it");
}

fn versions_are_numbered_per_configuration(new_store: NewStore<'_>) {
    let store = new_store();
    let (mysql, a, b) = (component(MYSQL), config_id("a"), config_id("b"));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "a", 1).unwrap();
        insert(tx.configs(), p, MYSQL, "b", 2).unwrap();
        p
    });
    let (ka, kb) = (key(p, &mysql, &a), key(p, &mysql, &b));
    let numbers = write(store.as_ref(), |tx| {
        vec![
            add_version(tx.configs(), ka, "one"),
            add_version(tx.configs(), kb, "b one"),
            add_version(tx.configs(), ka, "two"),
        ]
    });
    let third = write(store.as_ref(), |tx| add_version(tx.configs(), ka, "three"));
    assert_eq!((numbers, third), (vec![1, 1, 2], 3));
    read(store.as_ref(), |tx| {
        assert_eq!(
            get(tx, p, MYSQL, "a").unwrap().version,
            3,
            "the newest is current"
        );
        assert_eq!(get(tx, p, MYSQL, "b").unwrap().version, 1);
        let all = tx.configs().list_config_versions(ka).unwrap();
        let seen: Vec<(u64, &str, &str)> = all
            .iter()
            .map(|v| {
                (
                    v.head.version,
                    v.head.change_description.as_str(),
                    v.snapshot.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [(3, "three", "three"), (2, "two", "two"), (1, "one", "one")],
            "newest first"
        );
        let two = tx.configs().get_config_version(ka, 2).unwrap().unwrap();
        assert_eq!(two.head.identifier, "id-two");
        assert_eq!(two.head.created_micros, 1_700_000_000_000_100);
        assert_eq!(two.head.creator, token());
        assert_eq!(two.snapshot, snapshot("two"));
        let head = tx.configs().config_version_head(ka, 2).unwrap().unwrap();
        assert_eq!(head, two.head);
        assert!(tx.configs().get_config_version(ka, 4).unwrap().is_none());
        assert!(tx.configs().config_version_head(ka, 0).unwrap().is_none());
        assert!(tx.configs().get_config_version(kb, 2).unwrap().is_none());
    });
}

fn rows_keep_the_order_they_were_inserted_in(new_store: NewStore<'_>) {
    let store = new_store();
    let (mysql, c, other) = (component(MYSQL), config_id("c"), config_id("other"));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "c", 1).unwrap();
        insert(tx.configs(), p, MYSQL, "other", 2).unwrap();
        p
    });
    let k = key(p, &mysql, &c);
    write(store.as_ref(), |tx| {
        for id in ["r3", "r1", "r2"] {
            tx.configs().insert_row(k, &new_row(id, 10)).unwrap();
        }
    });
    {
        let mut tx = store.begin_write().unwrap();
        assert!(
            tx.configs().insert_row(k, &new_row("r1", 11)).is_err(),
            "a second row r1 is refused"
        );
        let nowhere = config_id("nowhere");
        assert!(
            tx.configs()
                .insert_row(key(p, &mysql, &nowhere), &new_row("r1", 11))
                .is_err(),
            "a row of no configuration is refused"
        );
    }
    write(store.as_ref(), |tx| {
        assert!(tx.configs().delete_row(k, &row_id("r1")).unwrap());
        assert!(!tx.configs().delete_row(k, &row_id("r1")).unwrap());
        tx.configs().insert_row(k, &new_row("r4", 12)).unwrap();
        tx.configs()
            .insert_row(key(p, &mysql, &other), &new_row("r1", 13))
            .expect("another configuration may have a row r1");
    });
    read(store.as_ref(), |tx| {
        let rows = tx.configs().list_rows(k).unwrap();
        assert_eq!(row_ids(&rows), ["r3", "r2", "r4"], "a new row goes last");
        assert_eq!(rows[2], new_row("r4", 12));
        let got = tx.configs().get_row(k, &row_id("r2")).unwrap();
        assert_eq!(got, Some(new_row("r2", 10)));
        assert!(tx.configs().get_row(k, &row_id("r1")).unwrap().is_none());
        assert!(tx.configs().get_row(k, &row_id("R2")).unwrap().is_none());
        let theirs = tx.configs().list_rows(key(p, &mysql, &other)).unwrap();
        assert_eq!(row_ids(&theirs), ["r1"]);
    });
    write(store.as_ref(), |tx| {
        let mut r5 = new_row("r5", 14);
        r5.state = RawJson::from_string("{\"kept\": 1}".into()).unwrap();
        tx.configs()
            .replace_rows(k, &[new_row("r4", 12), r5.clone(), new_row("r3", 10)])
            .unwrap();
        assert_eq!(
            row_ids(&tx.configs().list_rows(k).unwrap()),
            ["r4", "r5", "r3"],
            "replaced rows take the order given"
        );
        assert_eq!(tx.configs().get_row(k, &row_id("r5")).unwrap(), Some(r5));
        tx.configs().insert_row(k, &new_row("r6", 15)).unwrap();
    });
    read(store.as_ref(), |tx| {
        assert_eq!(
            row_ids(&tx.configs().list_rows(k).unwrap()),
            ["r4", "r5", "r3", "r6"]
        );
        let theirs = tx.configs().list_rows(key(p, &mysql, &other)).unwrap();
        assert_eq!(
            row_ids(&theirs),
            ["r1"],
            "another configuration's rows stay"
        );
    });
}

fn a_row_update_keeps_its_place_and_creation(new_store: NewStore<'_>) {
    let store = new_store();
    let (mysql, c) = (component(MYSQL), config_id("c"));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "c", 1).unwrap();
        p
    });
    let k = key(p, &mysql, &c);
    write(store.as_ref(), |tx| {
        for id in ["r1", "r2", "r3"] {
            tx.configs().insert_row(k, &new_row(id, 10)).unwrap();
        }
    });
    let mut changed = new_row("r1", 10);
    changed.name = "renamed".into();
    changed.description = "described".into();
    changed.configuration = RawJson::from_string("{\"new\": 1}".into()).unwrap();
    changed.state = RawJson::from_string("{\"new state\": 1}".into()).unwrap();
    changed.is_disabled = true;
    changed.version = 2;
    changed.change_description = "Row r1 changed".into();
    let mut asked = changed.clone();
    asked.created = stackport_model::time::from_micros(99);
    asked.creator_token.id = TokenId(99);
    assert!(write(store.as_ref(), |tx| tx
        .configs()
        .update_row(k, &asked)
        .unwrap()));
    assert!(!write(store.as_ref(), |tx| tx
        .configs()
        .update_row(k, &new_row("r9", 1))
        .unwrap()));
    read(store.as_ref(), |tx| {
        let rows = tx.configs().list_rows(k).unwrap();
        assert_eq!(row_ids(&rows), ["r1", "r2", "r3"], "r1 keeps its place");
        assert_eq!(rows[0], changed, "its creation stays");
        assert!(tx.configs().get_row(k, &row_id("r9")).unwrap().is_none());
    });
}

fn sealed_secrets_come_back_byte_for_byte(new_store: NewStore<'_>) {
    // Spacing, key order, escapes and number spelling a JSON library would change. A version
    // embeds its documents in its own JSON, so the whitespace around them is not kept there.
    let sealed = "KBC::ProjectSecure::eJwBXQCi/zHaqOO+0cT3c2UqKz8/V1kAAAAAAAAA==";
    let embedded = format!(
        "{{ \"z\" :1.50,\n\t\"#password\":  \"{sealed}\", \"a\":\"\\u00e9\" , \"#empty\": \"\" }}"
    );
    let configuration = format!(" {embedded}\n");
    let state = format!("{{\"#token\":\"{sealed}\",\"n\":1e3}}");
    let row_doc = format!("{{\"#key\" : \"{sealed}\"}}");
    let store = new_store();
    let (mysql, c) = (component(MYSQL), config_id("c"));
    let mut row = new_row("r1", 10);
    row.configuration = RawJson::from_string(row_doc.clone()).unwrap();
    row.state = RawJson::from_string(state.clone()).unwrap();
    let mut snap = snapshot("v1");
    snap.configuration = RawJson::from_string(embedded.clone()).unwrap();
    snap.state = RawJson::from_string(state.clone()).unwrap();
    snap.rows = vec![row.clone()];
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        tx.configs()
            .insert_config(
                p,
                &NewConfigRecord {
                    component: &mysql,
                    id: &c,
                    name: "secrets",
                    description: "",
                    configuration: &configuration,
                    state: &state,
                    is_disabled: false,
                    created_micros: 1,
                    creator: &token(),
                },
            )
            .unwrap();
        tx.configs().insert_row(key(p, &mysql, &c), &row).unwrap();
        tx.configs()
            .insert_config_version(
                key(p, &mysql, &c),
                &NewConfigVersion {
                    identifier: "v1",
                    created_micros: 2,
                    creator: &token(),
                    change_description: "created",
                    snapshot: &snap,
                },
            )
            .unwrap();
        p
    });
    let k = key(p, &mysql, &c);
    let mut seen: Vec<(String, String)> = Vec::new();
    read(store.as_ref(), |tx| {
        let got = get(tx, p, MYSQL, "c").unwrap();
        seen.push(("get_config configuration".into(), got.configuration));
        seen.push(("get_config state".into(), got.state));
        for listed in tx.configs().list_configs(p, &mysql, false).unwrap() {
            seen.push(("list_configs configuration".into(), listed.configuration));
            seen.push(("list_configs state".into(), listed.state));
        }
        for r in tx.configs().list_rows(k).unwrap() {
            seen.push((
                "list_rows configuration".into(),
                r.configuration.get().into(),
            ));
            seen.push(("list_rows state".into(), r.state.get().into()));
        }
        let r = tx.configs().get_row(k, &row_id("r1")).unwrap().unwrap();
        seen.push(("get_row configuration".into(), r.configuration.get().into()));
        seen.push(("get_row state".into(), r.state.get().into()));
        let versions = tx.configs().list_config_versions(k).unwrap();
        let one = tx.configs().get_config_version(k, 1).unwrap();
        for (what, v) in [
            ("list_config_versions", &versions[0]),
            ("get_config_version", &one.unwrap()),
        ] {
            let s = &v.snapshot;
            seen.push((
                format!("{what} configuration"),
                s.configuration.get().into(),
            ));
            seen.push((format!("{what} state"), s.state.get().into()));
            seen.push((
                format!("{what} row configuration"),
                s.rows[0].configuration.get().into(),
            ));
            seen.push((format!("{what} row state"), s.rows[0].state.get().into()));
        }
    });
    assert_eq!(seen.len(), 16);
    for (what, text) in &seen {
        let expected = if what.ends_with("row configuration")
            || what == "list_rows configuration"
            || what == "get_row configuration"
        {
            &row_doc
        } else if what.ends_with("state") {
            &state
        } else if what.contains("version") {
            &embedded
        } else {
            &configuration
        };
        assert_eq!(text, expected, "{what} is not the text that was stored");
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let secrets: Vec<&serde_json::Value> = value
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| k.starts_with('#') && v.as_str() != Some(""))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(secrets, [sealed], "{what}: a # value is the sealed text");
    }
}

fn an_uncommitted_write_leaves_nothing(new_store: NewStore<'_>) {
    let store = new_store();
    let (mysql, kept, dropped) = (component(MYSQL), config_id("kept"), config_id("dropped"));
    let p = write(store.as_ref(), |tx| {
        let p = new_project(tx, "p");
        insert(tx.configs(), p, MYSQL, "kept", 1).unwrap();
        tx.configs()
            .insert_row(key(p, &mysql, &kept), &new_row("r1", 2))
            .unwrap();
        add_version(tx.configs(), key(p, &mysql, &kept), "one");
        p
    });
    let before = read(store.as_ref(), |tx| get(tx, p, MYSQL, "kept").unwrap());
    {
        let mut tx = store.begin_write().unwrap();
        insert(tx.configs(), p, MYSQL, "dropped", 3).unwrap();
        let kd = key(p, &mysql, &dropped);
        tx.configs().insert_row(kd, &new_row("r1", 4)).unwrap();
        add_version(tx.configs(), kd, "one");
        let kk = key(p, &mysql, &kept);
        let mut changed = before.clone();
        changed.name = "changed".into();
        changed.is_deleted = true;
        tx.configs().update_config(p, &changed).unwrap();
        tx.configs().insert_row(kk, &new_row("r2", 5)).unwrap();
        tx.configs().delete_row(kk, &row_id("r1")).unwrap();
        add_version(tx.configs(), kk, "two");
        drop(tx); // without a commit
    }
    read(store.as_ref(), |tx| {
        assert!(get(tx, p, MYSQL, "dropped").is_none());
        let kd = key(p, &mysql, &dropped);
        assert!(tx.configs().list_rows(kd).unwrap().is_empty());
        assert!(tx.configs().list_config_versions(kd).unwrap().is_empty());
        assert_eq!(get(tx, p, MYSQL, "kept").unwrap(), before);
        let kk = key(p, &mysql, &kept);
        assert_eq!(row_ids(&tx.configs().list_rows(kk).unwrap()), ["r1"]);
        assert_eq!(tx.configs().list_config_versions(kk).unwrap().len(), 1);
    });
    let next = write(store.as_ref(), |tx| {
        add_version(tx.configs(), key(p, &mysql, &kept), "two")
    });
    assert_eq!(next, 2, "a rolled-back version's number is given again");
}

fn deleting_the_project_removes_its_configurations(new_store: NewStore<'_>) {
    let store = new_store();
    let (mysql, c) = (component(MYSQL), config_id("c"));
    let (a, b) = write(store.as_ref(), |tx| {
        let (a, b) = (new_project(tx, "a"), new_project(tx, "b"));
        for p in [a, b] {
            insert(tx.configs(), p, MYSQL, "c", 1).unwrap();
            insert(tx.configs(), p, PYTHON, "trashed", 2).unwrap();
            let mut trashed = get(tx, p, PYTHON, "trashed").unwrap();
            trashed.is_deleted = true;
            tx.configs().update_config(p, &trashed).unwrap();
            tx.configs()
                .insert_row(key(p, &mysql, &c), &new_row("r1", 3))
                .unwrap();
            add_version(tx.configs(), key(p, &mysql, &c), "one");
        }
        (a, b)
    });
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(a)
        .unwrap()));
    read(store.as_ref(), |tx| {
        assert!(get(tx, a, MYSQL, "c").is_none());
        assert!(get(tx, a, PYTHON, "trashed").is_none());
        assert!(components(tx, a, false).is_empty());
        assert!(components(tx, a, true).is_empty());
        let ka = key(a, &mysql, &c);
        assert!(tx.configs().list_rows(ka).unwrap().is_empty());
        assert!(tx.configs().list_config_versions(ka).unwrap().is_empty());
        assert_eq!(components(tx, b, false), [MYSQL]);
        assert_eq!(components(tx, b, true), [PYTHON]);
        let kb = key(b, &mysql, &c);
        assert_eq!(row_ids(&tx.configs().list_rows(kb).unwrap()), ["r1"]);
        assert_eq!(tx.configs().list_config_versions(kb).unwrap().len(), 1);
    });
}
