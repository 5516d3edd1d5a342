//! Who may use the demo project: extra tokens with limited rights and invited users. Tokens'
//! secrets cannot be moved, so a migration has to issue them again and say so.

use std::collections::BTreeMap;

use anyhow::Context;
use stackport_client::Client;
use stackport_model::api::{
    BucketPermission, NewProjectUser, NewToken, ProjectUserUpdate, UserRole, UserStatus,
};
use stackport_model::ProjectId;

use crate::seed::parse_id;

/// Tokens besides the master token; returns how many.
pub(crate) async fn seed_tokens(client: &Client) -> anyhow::Result<usize> {
    let tokens = [
        NewToken {
            description: "BI tool (read-only)".into(),
            bucket_permissions: BTreeMap::from([
                (parse_id("out.c-bi")?, BucketPermission::Read),
                (parse_id("out.c-reporting")?, BucketPermission::Read),
            ]),
            ..Default::default()
        },
        NewToken {
            description: "CRM loader".into(),
            bucket_permissions: BTreeMap::from([(parse_id("in.c-crm")?, BucketPermission::Write)]),
            component_access: Some(vec!["keboola.ex-db-mysql".into()]),
            ..Default::default()
        },
        NewToken {
            description: "Automation (expires in 90 days)".into(),
            expires_in: Some(90 * 24 * 3600),
            can_manage_buckets: true,
            can_read_all_file_uploads: true,
            ..Default::default()
        },
    ];
    for token in &tokens {
        client
            .create_token(token)
            .await
            .with_context(|| format!("cannot create the token '{}'", token.description))?;
    }
    Ok(tokens.len())
}

/// One user of each role; one has accepted the invitation. Returns how many.
pub(crate) async fn seed_users(manage: &Client, project: ProjectId) -> anyhow::Result<usize> {
    let users = [
        ("anna.admin@example.com", UserRole::Admin),
        ("sam.share@example.com", UserRole::Share),
        ("gina.guest@example.com", UserRole::Guest),
        ("Rory.ReadOnly@example.com", UserRole::ReadOnly),
    ];
    for (email, role) in users {
        manage
            .invite_user(
                project,
                &NewProjectUser {
                    email: email.into(),
                    role,
                },
            )
            .await
            .with_context(|| format!("cannot invite {email} to project {project}"))?;
    }
    manage
        .update_user(
            project,
            users[0].0,
            &ProjectUserUpdate {
                role: None,
                status: Some(UserStatus::Active),
            },
        )
        .await
        .with_context(|| format!("cannot mark {} active", users[0].0))?;
    Ok(users.len())
}
