//! Project members, managed with the stack administrator's token.

use stackport_model::api::{NewProjectUser, ProjectUserUpdate, UserRole, UserStatus};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_invited_listed_changed_and_removed() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let project = created.project.id;
    let invited = app
        .manage
        .invite_user(
            project,
            &NewProjectUser {
                email: "Ana@Example.com".into(),
                role: UserRole::Admin,
            },
        )
        .await
        .unwrap();
    assert_eq!(invited.email, "ana@example.com");
    assert_eq!(invited.role, UserRole::Admin);
    assert_eq!(invited.status, UserStatus::Invited);
    app.manage
        .invite_user(
            project,
            &NewProjectUser {
                email: "guest@example.com".into(),
                role: UserRole::ReadOnly,
            },
        )
        .await
        .unwrap();
    expect_error(
        app.manage
            .invite_user(
                project,
                &NewProjectUser {
                    email: "ana@example.com".into(),
                    role: UserRole::Guest,
                },
            )
            .await,
        409,
        "users.alreadyMember",
    );
    expect_error(
        app.manage
            .invite_user(
                project,
                &NewProjectUser {
                    email: "nobody".into(),
                    role: UserRole::Guest,
                },
            )
            .await,
        400,
        "users.invalidEmail",
    );
    let active = app
        .manage
        .update_user(
            project,
            "ana@example.com",
            &ProjectUserUpdate {
                status: Some(UserStatus::Active),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(active.status, UserStatus::Active);
    assert_eq!(active.role, UserRole::Admin);
    let listed = app.manage.list_users(project).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|u| (u.email.as_str(), u.status))
            .collect::<Vec<_>>(),
        vec![
            ("ana@example.com", UserStatus::Active),
            ("guest@example.com", UserStatus::Invited)
        ]
    );
    // Members belong to one project; another project has none.
    let (other, _) = app.new_project_full("q").await;
    assert!(app
        .manage
        .list_users(other.project.id)
        .await
        .unwrap()
        .is_empty());
    app.manage
        .remove_user(project, "guest@example.com")
        .await
        .unwrap();
    expect_error(
        app.manage.remove_user(project, "guest@example.com").await,
        404,
        "users.notFound",
    );
    assert_eq!(app.manage.list_users(project).await.unwrap().len(), 1);
    // A project's own token cannot manage members.
    let as_project = app.client(&created.token);
    expect_status(as_project.list_users(project).await, 401);
    drop(client);
}
