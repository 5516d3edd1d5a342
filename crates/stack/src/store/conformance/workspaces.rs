//! [`WorkspaceStore`]'s cases.

use stackport_model::{ComponentId, ConfigId, ProjectId, WorkspaceId};

use super::orchestrations::token;
use super::{new_project, read, write, NewStore};
use crate::store::{
    MetaTx, NewBiProjectRecord, NewWorkspaceRecord, WorkspaceNames, WorkspaceOptions,
    WorkspaceStore,
};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_workspaces_read_back(new_store);
    workspaces_are_the_projects_own(new_store);
    bi_projects_read_back_and_pids_are_unique(new_store);
    uncommitted_resources_are_rolled_back(new_store);
    deleting_the_project_removes_its_resources(new_store);
    options_password_and_public_key_read_back(new_store);
}

const T0: i64 = 1_700_000_000_000_000;
/// Sealed text as the rules hand it over: kept byte for byte.
const SEALED: &str = "KBC::ProjectSecureKV::eJwBAAD//wAAAAE= \u{e9}\"'\\";

fn ids() -> (ComponentId, ConfigId) {
    ("keboola.wr-db".parse().unwrap(), "456".parse().unwrap())
}

fn insert(tx: &mut dyn MetaTx, project: ProjectId, for_config: bool, created: i64) -> WorkspaceId {
    let (component, config) = ids();
    tx.workspaces()
        .insert_workspace(&NewWorkspaceRecord {
            project,
            config: for_config.then_some((&component, &config)),
            backend: "sqlite",
            host: "stack.example.com",
            sealed_password: SEALED,
            created_micros: created,
            creator: &token(4),
            options: &WorkspaceOptions {
                login_type: "default".into(),
                ..WorkspaceOptions::default()
            },
        })
        .expect("a workspace is inserted")
}

fn inserted_workspaces_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, id, plain) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "w");
        let id = insert(tx, project, true, T0 + 1);
        let unnamed = tx.workspaces().get_workspace(project, id).unwrap().unwrap();
        assert_eq!(
            (
                unnamed.connection.database.as_str(),
                unnamed.connection.schema.as_str()
            ),
            ("", ""),
            "no names until they are set"
        );
        assert!(tx
            .workspaces()
            .name_workspace(
                id,
                &WorkspaceNames {
                    database: "workspaces/1/1.sqlite",
                    schema: "WORKSPACE_1",
                    user: "USER_1",
                },
            )
            .unwrap());
        let plain = insert(tx, project, false, T0 + 2);
        (project, id, plain)
    });
    assert_ne!(id, plain);
    let got = read(store.as_ref(), |tx| {
        tx.workspaces().get_workspace(project, id).unwrap()
    })
    .expect("the workspace is found");
    let (component, config) = ids();
    assert_eq!(got.id, id);
    assert_eq!(got.component_id, Some(component));
    assert_eq!(got.configuration_id, Some(config));
    let c = &got.connection;
    assert_eq!(
        (
            c.backend.as_str(),
            c.host.as_str(),
            c.database.as_str(),
            c.schema.as_str(),
            c.user.as_str()
        ),
        (
            "sqlite",
            "stack.example.com",
            "workspaces/1/1.sqlite",
            "WORKSPACE_1",
            "USER_1"
        )
    );
    assert_eq!(
        c.sealed_password, SEALED,
        "the sealed password comes back as given"
    );
    assert_eq!(got.created.timestamp_micros(), T0 + 1);
    assert_eq!(got.creator_token, token(4));
    let other = read(store.as_ref(), |tx| {
        tx.workspaces().get_workspace(project, plain).unwrap()
    })
    .unwrap();
    assert_eq!((other.component_id, other.configuration_id), (None, None));
    let listed = read(store.as_ref(), |tx| {
        tx.workspaces().list_workspaces(project).unwrap()
    });
    let mut by_id = vec![id, plain];
    by_id.sort();
    assert_eq!(
        listed.iter().map(|w| w.id).collect::<Vec<_>>(),
        by_id,
        "listed by id"
    );
    assert!(write(store.as_ref(), |tx| tx
        .workspaces()
        .delete_workspace(project, id)
        .unwrap()));
    assert!(!write(store.as_ref(), |tx| tx
        .workspaces()
        .delete_workspace(project, id)
        .unwrap()));
    let again = write(store.as_ref(), |tx| insert(tx, project, false, T0));
    assert!(
        again != id && again != plain,
        "a deleted workspace's id is not minted again"
    );
    assert!(
        !write(store.as_ref(), |tx| {
            tx.workspaces()
                .name_workspace(
                    id,
                    &WorkspaceNames {
                        database: "x",
                        schema: "x",
                        user: "x",
                    },
                )
                .unwrap()
        }),
        "a deleted workspace is not named"
    );
}

fn workspaces_are_the_projects_own(new_store: NewStore<'_>) {
    let store = new_store();
    let (mine, theirs, id) = write(store.as_ref(), |tx| {
        let mine = new_project(tx, "mine");
        let theirs = new_project(tx, "theirs");
        (mine, theirs, insert(tx, mine, false, T0))
    });
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .get_workspace(theirs, id)
        .unwrap())
    .is_none());
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .list_workspaces(theirs)
        .unwrap())
    .is_empty());
    assert!(!write(store.as_ref(), |tx| tx
        .workspaces()
        .delete_workspace(theirs, id)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .get_workspace(mine, id)
        .unwrap())
    .is_some());
}

fn insert_bi(
    tx: &mut dyn MetaTx,
    project: ProjectId,
    pid: &str,
    config: &ConfigId,
    created: i64,
) -> crate::Result<()> {
    let (component, _) = ids();
    tx.workspaces().insert_bi_project(&NewBiProjectRecord {
        project,
        pid,
        name: "Sales BI",
        account: "bi-account-1",
        component: &component,
        config,
        login: &format!("{pid}@bi-account-1"),
        sealed_password: SEALED,
        created_micros: created,
    })
}

fn bi_projects_read_back_and_pids_are_unique(new_store: NewStore<'_>) {
    let store = new_store();
    let (component, config) = ids();
    let other_config: ConfigId = "789".parse().unwrap();
    let (project, theirs) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "bi");
        let theirs = new_project(tx, "theirs");
        insert_bi(tx, project, "pid-late", &config, T0 + 5).unwrap();
        insert_bi(tx, project, "pid-early", &other_config, T0 + 1).unwrap();
        (project, theirs)
    });
    let got = read(store.as_ref(), |tx| {
        tx.workspaces().get_bi_project(project, "pid-late").unwrap()
    })
    .expect("the BI project is found");
    assert_eq!(got.id, "pid-late");
    assert_eq!(got.name, "Sales BI");
    assert_eq!(got.account, "bi-account-1");
    assert_eq!(
        (&got.component_id, &got.configuration_id),
        (&component, &config)
    );
    assert_eq!(got.login, "pid-late@bi-account-1");
    assert_eq!(
        got.password, SEALED,
        "the sealed password comes back as given"
    );
    assert_eq!(got.created.timestamp_micros(), T0 + 5);
    let of = |project, config: &ConfigId| {
        read(store.as_ref(), |tx| {
            tx.workspaces()
                .bi_project_of_config(project, &component, config)
                .unwrap()
        })
    };
    assert_eq!(of(project, &config).as_deref(), Some("pid-late"));
    assert_eq!(of(project, &"000".parse().unwrap()), None);
    assert_eq!(of(theirs, &config), None);
    let listed = read(store.as_ref(), |tx| {
        tx.workspaces().list_bi_projects(project).unwrap()
    });
    assert_eq!(
        listed.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
        vec!["pid-early", "pid-late"],
        "oldest first"
    );
    let mut tx = store.begin_write().unwrap();
    assert!(
        insert_bi(tx.as_mut(), project, "pid-late", &other_config, T0 + 9).is_err(),
        "a pid the project has is refused"
    );
    drop(tx);
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .get_bi_project(theirs, "pid-late")
        .unwrap())
    .is_none());
    assert_eq!(
        read(store.as_ref(), |tx| tx
            .workspaces()
            .get_bi_project(project, "pid-late")
            .unwrap())
        .unwrap()
        .created
        .timestamp_micros(),
        T0 + 5,
        "the refused insert changed nothing"
    );
}

fn uncommitted_resources_are_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let (_, config) = ids();
    let project = write(store.as_ref(), |tx| new_project(tx, "w"));
    {
        let mut tx = store.begin_write().unwrap();
        insert(tx.as_mut(), project, true, T0);
        insert_bi(tx.as_mut(), project, "pid", &config, T0).unwrap();
        drop(tx); // without a commit
    }
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .list_workspaces(project)
        .unwrap())
    .is_empty());
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .list_bi_projects(project)
        .unwrap())
    .is_empty());
}

fn deleting_the_project_removes_its_resources(new_store: NewStore<'_>) {
    let store = new_store();
    let (_, config) = ids();
    let (gone, kept, kept_workspace) = write(store.as_ref(), |tx| {
        let gone = new_project(tx, "gone");
        let kept = new_project(tx, "kept");
        insert(tx, gone, true, T0);
        insert_bi(tx, gone, "pid", &config, T0).unwrap();
        let kept_workspace = insert(tx, kept, true, T0);
        insert_bi(tx, kept, "pid", &config, T0).unwrap();
        (gone, kept, kept_workspace)
    });
    assert!(write(store.as_ref(), |tx| tx
        .projects()
        .delete_project(gone)
        .unwrap()));
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .list_workspaces(gone)
        .unwrap())
    .is_empty());
    assert!(read(store.as_ref(), |tx| tx
        .workspaces()
        .list_bi_projects(gone)
        .unwrap())
    .is_empty());
    let left = read(store.as_ref(), |tx| {
        tx.workspaces().list_workspaces(kept).unwrap()
    });
    assert_eq!(
        left.iter().map(|w| w.id).collect::<Vec<_>>(),
        vec![kept_workspace]
    );
    assert_eq!(
        read(store.as_ref(), |tx| tx
            .workspaces()
            .list_bi_projects(kept)
            .unwrap())
        .len(),
        1
    );
}

// The trait is used through `dyn`: keep it object safe.
const _: Option<&dyn WorkspaceStore> = None;

fn options_password_and_public_key_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, id, other) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "o");
        let other = new_project(tx, "p");
        let id = tx
            .workspaces()
            .insert_workspace(&NewWorkspaceRecord {
                project,
                config: None,
                backend: "sqlite",
                host: "stack.example.com",
                sealed_password: SEALED,
                created_micros: T0,
                creator: &token(4),
                options: &WorkspaceOptions {
                    login_type: "default".into(),
                    statement_timeout_seconds: Some(7200),
                    read_only_storage_access: true,
                    public_key: None,
                },
            })
            .unwrap();
        (project, id, other)
    });
    let got = read(store.as_ref(), |tx| {
        tx.workspaces().get_workspace(project, id).unwrap().unwrap()
    });
    assert_eq!(got.connection.login_type, "default");
    assert_eq!(got.statement_timeout_seconds, Some(7200));
    assert!(got.read_only_storage_access);
    write(store.as_ref(), |tx| {
        let w = tx.workspaces();
        assert_eq!(w.workspace_public_key(project, id).unwrap(), None);
        assert!(w.set_workspace_password(project, id, "sealed-2").unwrap());
        assert!(w.set_workspace_public_key(project, id, "PEM").unwrap());
        assert!(
            !w.set_workspace_password(other, id, "x").unwrap(),
            "another project's workspace is not changed"
        );
        assert!(!w.set_workspace_public_key(other, id, "x").unwrap());
        assert_eq!(w.workspace_public_key(other, id).unwrap(), None);
    });
    let (got, key) = read(store.as_ref(), |tx| {
        (
            tx.workspaces().get_workspace(project, id).unwrap().unwrap(),
            tx.workspaces().workspace_public_key(project, id).unwrap(),
        )
    });
    assert_eq!(got.connection.sealed_password, "sealed-2");
    assert_eq!(key.as_deref(), Some("PEM"));
}
