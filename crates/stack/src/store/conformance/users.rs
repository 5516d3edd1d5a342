//! [`super::super::UserStore`]'s cases.

use stackport_model::api::{UserRole, UserStatus};
use stackport_model::ProjectId;

use super::{new_project, read, write, NewStore};
use crate::store::{MetaTx, NewUserRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_users_read_back(new_store);
    an_e_mail_is_one_member_whatever_its_case(new_store);
    users_are_listed_by_invitation_then_e_mail(new_store);
    a_user_is_updated_and_removed(new_store);
    an_uncommitted_user_is_rolled_back(new_store);
    deleting_a_project_removes_its_users(new_store);
}

const CREATED: i64 = 1_700_000_000_000_000;

fn invite(tx: &mut dyn MetaTx, project: ProjectId, email: &str, created_micros: i64) {
    tx.users()
        .insert_user(&NewUserRecord {
            project,
            email,
            role: UserRole::Admin,
            status: UserStatus::Invited,
            created_micros,
        })
        .expect("a user is inserted");
}

fn emails(tx: &mut dyn MetaTx, project: ProjectId) -> Vec<String> {
    tx.users()
        .list_users(project)
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect()
}

fn inserted_users_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let project = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        tx.users()
            .insert_user(&NewUserRecord {
                project,
                email: "ann@example.com",
                role: UserRole::ReadOnly,
                status: UserStatus::Active,
                created_micros: CREATED + 5,
            })
            .unwrap();
        project
    });
    let got = read(store.as_ref(), |tx| {
        tx.users().get_user(project, "ann@example.com").unwrap()
    })
    .expect("the inserted user is found");
    assert_eq!(got.email, "ann@example.com");
    assert_eq!(got.role, UserRole::ReadOnly);
    assert_eq!(got.status, UserStatus::Active);
    assert_eq!(got.created.timestamp_micros(), CREATED + 5);
    read(store.as_ref(), |tx| {
        assert!(tx
            .users()
            .get_user(project, "bob@example.com")
            .unwrap()
            .is_none());
        assert_eq!(emails(tx, project), vec!["ann@example.com"]);
    });
}

fn an_e_mail_is_one_member_whatever_its_case(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        invite(tx, a, "Ann@Example.com", CREATED);
        (a, b)
    });
    {
        let mut tx = store.begin_write().unwrap();
        let again = tx.users().insert_user(&NewUserRecord {
            project: a,
            email: "ann@EXAMPLE.com",
            role: UserRole::Guest,
            status: UserStatus::Invited,
            created_micros: CREATED,
        });
        assert!(again.is_err(), "the same e-mail in another case is refused");
    }
    read(store.as_ref(), |tx| {
        let got = tx.users().get_user(a, "ANN@example.COM").unwrap();
        let got = got.expect("found in any case");
        assert_eq!(got.email, "ann@example.com", "kept lower-case");
        assert_eq!(got.role, UserRole::Admin, "the first one stays");
        assert_eq!(emails(tx, a), vec!["ann@example.com"]);
    });
    write(store.as_ref(), |tx| {
        invite(tx, b, "ANN@example.com", CREATED)
    });
    read(store.as_ref(), |tx| {
        assert_eq!(
            emails(tx, b),
            vec!["ann@example.com"],
            "another project may have the same member"
        );
    });
    write(store.as_ref(), |tx| {
        assert!(tx
            .users()
            .update_user(a, "ANN@example.com", UserRole::Share, UserStatus::Active)
            .unwrap());
    });
    read(store.as_ref(), |tx| {
        let got = tx.users().get_user(a, "ann@example.com").unwrap().unwrap();
        assert_eq!(got.role, UserRole::Share, "updated in any case");
        let other = tx.users().get_user(b, "ann@example.com").unwrap().unwrap();
        assert_eq!(
            other.role,
            UserRole::Admin,
            "the other project's is untouched"
        );
    });
    assert!(write(store.as_ref(), |tx| tx
        .users()
        .delete_user(a, "Ann@example.com")
        .unwrap()));
    read(store.as_ref(), |tx| {
        assert!(emails(tx, a).is_empty(), "removed in any case");
        assert_eq!(emails(tx, b).len(), 1);
    });
}

fn users_are_listed_by_invitation_then_e_mail(new_store: NewStore<'_>) {
    let store = new_store();
    let project = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        invite(tx, project, "zoe@example.com", CREATED + 1);
        invite(tx, project, "bob@example.com", CREATED + 2);
        invite(tx, project, "ann@example.com", CREATED + 2);
        invite(tx, project, "yan@example.com", CREATED);
        project
    });
    assert_eq!(
        read(store.as_ref(), |tx| emails(tx, project)),
        vec![
            "yan@example.com",
            "zoe@example.com",
            "ann@example.com",
            "bob@example.com"
        ]
    );
}

fn a_user_is_updated_and_removed(new_store: NewStore<'_>) {
    let store = new_store();
    let project = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        invite(tx, project, "ann@example.com", CREATED);
        invite(tx, project, "bob@example.com", CREATED);
        project
    });
    write(store.as_ref(), |tx| {
        assert!(tx
            .users()
            .update_user(
                project,
                "ann@example.com",
                UserRole::Guest,
                UserStatus::Active
            )
            .unwrap());
        assert!(
            !tx.users()
                .update_user(
                    project,
                    "eve@example.com",
                    UserRole::Guest,
                    UserStatus::Active
                )
                .unwrap(),
            "no such member"
        );
    });
    read(store.as_ref(), |tx| {
        let ann = tx
            .users()
            .get_user(project, "ann@example.com")
            .unwrap()
            .unwrap();
        assert_eq!(
            (ann.role, ann.status),
            (UserRole::Guest, UserStatus::Active)
        );
        assert_eq!(ann.created.timestamp_micros(), CREATED, "created stays");
        let bob = tx
            .users()
            .get_user(project, "bob@example.com")
            .unwrap()
            .unwrap();
        assert_eq!(
            (bob.role, bob.status),
            (UserRole::Admin, UserStatus::Invited)
        );
    });
    assert!(write(store.as_ref(), |tx| tx
        .users()
        .delete_user(project, "ann@example.com")
        .unwrap()));
    assert!(!write(store.as_ref(), |tx| tx
        .users()
        .delete_user(project, "ann@example.com")
        .unwrap()));
    assert_eq!(
        read(store.as_ref(), |tx| emails(tx, project)),
        vec!["bob@example.com"]
    );
}

fn an_uncommitted_user_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let project = write(store.as_ref(), |tx| new_project(tx, "p"));
    {
        let mut tx = store.begin_write().unwrap();
        invite(tx.as_mut(), project, "ann@example.com", CREATED);
        drop(tx); // without a commit
    }
    read(store.as_ref(), |tx| {
        assert!(tx
            .users()
            .get_user(project, "ann@example.com")
            .unwrap()
            .is_none());
        assert!(emails(tx, project).is_empty());
    });
}

fn deleting_a_project_removes_its_users(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        invite(tx, a, "ann@example.com", CREATED);
        invite(tx, b, "bob@example.com", CREATED);
        (a, b)
    });
    write(store.as_ref(), |tx| {
        assert!(tx.projects().delete_project(a).unwrap())
    });
    read(store.as_ref(), |tx| {
        assert!(emails(tx, a).is_empty());
        assert!(tx.users().get_user(a, "ann@example.com").unwrap().is_none());
        assert_eq!(emails(tx, b), vec!["bob@example.com"]);
    });
}
