//! [`super::super::OAuthStore`]'s cases.

use stackport_model::api::TokenRef;
use stackport_model::{ComponentId, CredentialsId, ProjectId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{MetaTx, NewOAuthRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_credentials_read_back_without_their_sealed_part(new_store);
    credentials_are_unique_per_project_and_component(new_store);
    credentials_are_listed_by_creation_then_id(new_store);
    credentials_are_deleted(new_store);
    uncommitted_credentials_are_rolled_back(new_store);
    deleting_a_project_removes_its_credentials(new_store);
}

const CREATED: i64 = 1_700_000_000_000_000;

fn component(s: &str) -> ComponentId {
    s.parse().unwrap()
}

fn id(s: &str) -> CredentialsId {
    s.parse().unwrap()
}

fn creator() -> TokenRef {
    TokenRef {
        id: TokenId(3),
        description: "admin".into(),
    }
}

/// Stands for what the keyring hands over; the store keeps it as it is.
fn sealed(what: &str) -> String {
    format!("KBC::ConfigSecure::sealed-{what}")
}

fn insert(
    tx: &mut dyn MetaTx,
    project: ProjectId,
    component: &ComponentId,
    credentials: &CredentialsId,
    created_micros: i64,
) -> crate::Result<()> {
    tx.oauth().insert_oauth(&NewOAuthRecord {
        project,
        component,
        id: credentials,
        authorized_for: "ann@example.com",
        sealed_data: &sealed(credentials.as_str()),
        app_key: "app-key",
        oauth_version: "2.0",
        created_micros,
        creator: &creator(),
    })
}

fn ids(tx: &mut dyn MetaTx, project: ProjectId, c: &ComponentId) -> Vec<String> {
    tx.oauth()
        .list_oauth(project, c)
        .unwrap()
        .into_iter()
        .map(|o| o.id.to_string())
        .collect()
}

fn inserted_credentials_read_back_without_their_sealed_part(new_store: NewStore<'_>) {
    let store = new_store();
    let drive = component("keboola.ex-google-drive");
    let project = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        insert(tx, project, &drive, &id("main"), CREATED + 9).unwrap();
        project
    });
    read(store.as_ref(), |tx| {
        let got = tx.oauth().get_oauth(project, &drive, &id("main")).unwrap();
        let got = got.expect("the inserted credentials are found");
        assert_eq!(got.id, id("main"));
        assert_eq!(got.component_id, drive);
        assert_eq!(got.authorized_for, "ann@example.com");
        assert_eq!(got.app_key, "app-key");
        assert_eq!(got.oauth_version, "2.0");
        assert_eq!(got.created.timestamp_micros(), CREATED + 9);
        assert_eq!(got.creator, creator());
        let listed = tx.oauth().list_oauth(project, &drive).unwrap();
        assert_eq!(listed, vec![got.clone()]);
        let shown = format!("{got:?} {listed:?}");
        assert!(!shown.contains("sealed-main"), "{shown}");
        assert_eq!(
            tx.oauth()
                .sealed_oauth_data(project, &drive, &id("main"))
                .unwrap(),
            Some(sealed("main")),
            "the sealed part comes back as it was given"
        );
        assert!(tx
            .oauth()
            .get_oauth(project, &drive, &id("other"))
            .unwrap()
            .is_none());
        assert!(tx
            .oauth()
            .sealed_oauth_data(project, &drive, &id("other"))
            .unwrap()
            .is_none());
    });
}

fn credentials_are_unique_per_project_and_component(new_store: NewStore<'_>) {
    let store = new_store();
    let (drive, sheets) = (component("drive"), component("sheets"));
    let (a, b) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        insert(tx, a, &drive, &id("main"), CREATED).unwrap();
        (a, b)
    });
    {
        let mut tx = store.begin_write().unwrap();
        let again = insert(tx.as_mut(), a, &drive, &id("main"), CREATED + 1);
        assert!(again.is_err(), "the same id of one component is refused");
    }
    write(store.as_ref(), |tx| {
        insert(tx, a, &sheets, &id("main"), CREATED).expect("another component may use the id");
        insert(tx, b, &drive, &id("main"), CREATED).expect("another project may use the id");
    });
    read(store.as_ref(), |tx| {
        assert_eq!(ids(tx, a, &drive), vec!["main"]);
        assert_eq!(ids(tx, a, &sheets), vec!["main"]);
        assert_eq!(ids(tx, b, &drive), vec!["main"]);
        assert!(ids(tx, b, &sheets).is_empty());
        let first = tx
            .oauth()
            .get_oauth(a, &drive, &id("main"))
            .unwrap()
            .unwrap();
        assert_eq!(
            first.created.timestamp_micros(),
            CREATED,
            "the first one stays"
        );
    });
}

fn credentials_are_listed_by_creation_then_id(new_store: NewStore<'_>) {
    let store = new_store();
    let drive = component("drive");
    let project = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        insert(tx, project, &drive, &id("z"), CREATED + 1).unwrap();
        insert(tx, project, &drive, &id("b"), CREATED + 2).unwrap();
        insert(tx, project, &drive, &id("a"), CREATED + 2).unwrap();
        insert(tx, project, &drive, &id("y"), CREATED).unwrap();
        project
    });
    assert_eq!(
        read(store.as_ref(), |tx| ids(tx, project, &drive)),
        vec!["y", "z", "a", "b"]
    );
}

fn credentials_are_deleted(new_store: NewStore<'_>) {
    let store = new_store();
    let (drive, sheets) = (component("drive"), component("sheets"));
    let project = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        insert(tx, project, &drive, &id("main"), CREATED).unwrap();
        insert(tx, project, &sheets, &id("main"), CREATED).unwrap();
        project
    });
    assert!(write(store.as_ref(), |tx| tx
        .oauth()
        .delete_oauth(project, &drive, &id("main"))
        .unwrap()));
    assert!(!write(store.as_ref(), |tx| tx
        .oauth()
        .delete_oauth(project, &drive, &id("main"))
        .unwrap()));
    read(store.as_ref(), |tx| {
        assert!(tx
            .oauth()
            .get_oauth(project, &drive, &id("main"))
            .unwrap()
            .is_none());
        assert!(tx
            .oauth()
            .sealed_oauth_data(project, &drive, &id("main"))
            .unwrap()
            .is_none());
        assert_eq!(
            ids(tx, project, &sheets),
            vec!["main"],
            "another component's credentials stay"
        );
    });
}

fn uncommitted_credentials_are_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let drive = component("drive");
    let project = write(store.as_ref(), |tx| new_project(tx, "p"));
    {
        let mut tx = store.begin_write().unwrap();
        insert(tx.as_mut(), project, &drive, &id("main"), CREATED).unwrap();
        drop(tx); // without a commit
    }
    read(store.as_ref(), |tx| {
        assert!(tx
            .oauth()
            .get_oauth(project, &drive, &id("main"))
            .unwrap()
            .is_none());
        assert!(ids(tx, project, &drive).is_empty());
    });
}

fn deleting_a_project_removes_its_credentials(new_store: NewStore<'_>) {
    let store = new_store();
    let drive = component("drive");
    let (a, b) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        insert(tx, a, &drive, &id("main"), CREATED).unwrap();
        insert(tx, b, &drive, &id("main"), CREATED).unwrap();
        (a, b)
    });
    write(store.as_ref(), |tx| {
        assert!(tx.projects().delete_project(a).unwrap())
    });
    read(store.as_ref(), |tx| {
        assert!(ids(tx, a, &drive).is_empty());
        assert!(tx
            .oauth()
            .sealed_oauth_data(a, &drive, &id("main"))
            .unwrap()
            .is_none());
        assert_eq!(ids(tx, b, &drive), vec!["main"]);
    });
}
