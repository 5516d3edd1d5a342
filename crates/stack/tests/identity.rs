//! Identity rules that need a store: authentication, manage tokens and members, on a real
//! stack over SQLite.

use std::sync::Arc;

use stackport_model::api::{NewProjectUser, NewToken, UserRole};
use stackport_stack::{ErrorKind, ManualClock};
use stackport_testkit::stack::{new_project, open, open_with};
use stackport_testkit::TempDir;

const STRONG: &str = "0123456789abcdefghij-identity-rules-test";

#[test]
fn a_token_opens_only_by_its_secret_and_until_it_expires() {
    let dir = TempDir::new("identity-auth");
    let start = 1_900_000_000_000_000;
    let clock = Arc::new(ManualClock::at(start));
    let stack = open_with(&dir, Some(clock.clone()), |_| {});
    let (id, master, _) = new_project(&stack, "p");
    assert_eq!(master.project(), id);
    let made = stack
        .create_token(
            &master,
            &NewToken {
                description: "short".into(),
                expires_in: Some(10),
                ..Default::default()
            },
        )
        .unwrap();
    let secret = made.token.clone().unwrap();
    assert_eq!(made.created.timestamp_micros(), start);
    assert_eq!(
        stack.authenticate(Some(&secret)).unwrap().token_id(),
        made.id
    );
    let hash = stackport_stack::store::TokenHash::of(&secret);
    for wrong in [
        None,
        Some(""),
        Some(hash.as_str()),
        Some(&secret[..secret.len() - 1]),
    ] {
        let err = stack.authenticate(wrong).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{wrong:?}");
    }
    clock.advance_seconds(10);
    let err = stack.authenticate(Some(&secret)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.message().contains("has expired"), "{}", err.message());
    let listed = stack.list_tokens(&master).unwrap();
    assert!(listed.iter().find(|t| t.id == made.id).unwrap().is_expired);
}

#[test]
fn a_weak_manage_token_is_refused_and_the_old_one_kept() {
    let dir = TempDir::new("identity-manage");
    let stack = open(&dir);
    let generated = stack
        .ensure_manage_token(None)
        .unwrap()
        .expect("the first start generates one");
    assert_eq!(stack.ensure_manage_token(None).unwrap(), None, "only once");
    stack.authenticate_manage(Some(&generated)).unwrap();

    let err = stack.ensure_manage_token(Some("short")).unwrap_err();
    assert_eq!(err.code(), "stack.weakManageToken");
    stack
        .authenticate_manage(Some(&generated))
        .expect("a refused token loses nothing");
    assert!(stack.authenticate_manage(Some("short")).is_err());

    assert_eq!(stack.ensure_manage_token(Some(STRONG)).unwrap(), None);
    stack.authenticate_manage(Some(STRONG)).unwrap();
    let err = stack.authenticate_manage(Some(&generated)).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Unauthorized,
        "the chosen one is the only one"
    );
    let (_, _, storage) = new_project(&stack, "p");
    assert!(
        stack.authenticate_manage(Some(&storage)).is_err(),
        "a Storage token is no manage token"
    );
    assert!(
        stack.authenticate(Some(STRONG)).is_err(),
        "nor the other way round"
    );
}

#[test]
fn a_member_is_one_whatever_the_case_of_the_e_mail() {
    let dir = TempDir::new("identity-users");
    let stack = open(&dir);
    let (id, _, _) = new_project(&stack, "p");
    let invited = stack
        .invite_user(
            id,
            &NewProjectUser {
                email: " Ann@Example.com".into(),
                role: UserRole::Admin,
            },
        )
        .unwrap();
    assert_eq!(invited.email, "ann@example.com");
    let err = stack
        .invite_user(
            id,
            &NewProjectUser {
                email: "ANN@example.COM".into(),
                role: UserRole::Guest,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "users.alreadyMember");
    stack.remove_user(id, "ann@EXAMPLE.com").unwrap();
    assert!(stack.list_users(id).unwrap().is_empty());
    let err = stack.remove_user(id, "ann@example.com").unwrap_err();
    assert_eq!(err.code(), "users.notFound");
}
