//! The demo's two PostgreSQL databases, one per stack, made on a server the user names by a
//! superuser URL (`scripts/postgres` prints one).
//!
//! Each database carries a comment naming the demo dir it was made for. A later demo in the same
//! dir replaces its stacks, so it drops and remakes those databases; a database of the same name
//! made for anything else is refused, never dropped, as `stackport demo` refuses a dir it did not
//! make.

use std::path::Path;

use anyhow::{bail, Context};

use crate::DemoBackend;

/// The database of the eu-central demo stack.
pub const EU_CENTRAL_DATABASE: &str = "stackport_demo_eu_central";
/// The database of the us-east demo stack.
pub const US_EAST_DATABASE: &str = "stackport_demo_us_east";

/// Makes (or remakes) both demo databases on the server of `superuser_url` for the demo in
/// `owner` and returns the backend that puts the demo stacks on them. Both names are checked
/// before either is touched, so a refusal leaves the server as it was.
pub async fn demo_databases(superuser_url: &str, owner: &Path) -> anyhow::Result<DemoBackend> {
    let url = superuser_url.to_string();
    let owner = std::path::absolute(owner)
        .with_context(|| format!("cannot resolve the demo dir {}", owner.display()))?;
    tokio::task::spawn_blocking(move || make_databases(&url, &owner))
        .await
        .context("making the demo's PostgreSQL databases panicked")?
}

fn make_databases(superuser_url: &str, owner: &Path) -> anyhow::Result<DemoBackend> {
    parse(superuser_url)?;
    let shown = stackport_stack::table_servers::shown(superuser_url);
    let mut admin =
        postgres::Client::connect(superuser_url, postgres::NoTls).with_context(|| {
            format!(
            "cannot connect to the PostgreSQL server at {shown}; start one with `scripts/postgres` \
             (it prints the superuser URL to give --postgres)"
        )
        })?;
    let mark = format!("made by stackport demo for {}", owner.display());
    let names = [EU_CENTRAL_DATABASE, US_EAST_DATABASE];
    let mut ours = Vec::new();
    for name in names {
        let row = admin
            .query_opt(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
                &[&name],
            )
            .with_context(|| format!("cannot look for database {name} on {shown}"))?;
        match row.map(|r| r.get::<_, Option<String>>(0)) {
            None => {}
            Some(Some(comment)) if comment == mark => ours.push(name),
            Some(comment) => bail!(
                "database {name} on {shown} exists and was not made by the demo in {} ({}); \
                 drop it (DROP DATABASE {name}), run the demo with the --dir it was made for, \
                 or use another server",
                owner.display(),
                comment.unwrap_or_else(|| "it has no comment".into())
            ),
        }
    }
    for name in names {
        if ours.contains(&name) {
            // The stacks that used it were removed with the demo dir's parts.
            admin
                .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .with_context(|| format!("cannot drop the earlier demo's database {name}"))?;
            drop_accounts_of(&mut admin, name)?;
        }
        // Two statements: several in one batch would be one transaction, which CREATE
        // DATABASE refuses.
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .with_context(|| format!("cannot create database {name} on {shown}"))?;
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE \"{name}\" IS {}",
                quote_literal(&mark)
            ))
            .with_context(|| format!("cannot mark database {name} as the demo's"))?;
    }
    Ok(DemoBackend::Postgresql {
        eu_central: stackport_stack::table_servers::with_database(
            superuser_url,
            EU_CENTRAL_DATABASE,
        )?,
        us_east: stackport_stack::table_servers::with_database(superuser_url, US_EAST_DATABASE)?,
    })
}

/// Drops the login roles the earlier demo's stack made for its workspaces and sandboxes in
/// database `name`: roles belong to the server, not to a database, so they outlive it, and the
/// new stack would find its first workspace's role taken. They all start with the database's
/// [`stackport_stack_postgres::account_role_prefix`], so no other role is touched.
fn drop_accounts_of(admin: &mut postgres::Client, name: &str) -> anyhow::Result<()> {
    let roles = admin
        .query(
            "SELECT rolname::text FROM pg_roles WHERE starts_with(rolname::text, $1 || '_')",
            &[&stackport_stack_postgres::account_role_prefix(name)],
        )
        .with_context(|| format!("cannot list the accounts the earlier demo made in {name}"))?;
    for row in roles {
        let role: String = row.get(0);
        admin
            .batch_execute(&format!("DROP ROLE \"{}\"", role.replace('"', "\"\"")))
            .with_context(|| format!("cannot drop role {role} the earlier demo made in {name}"))?;
    }
    Ok(())
}

/// `text` as an SQL string literal (a comment takes no bind parameter).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn parse(url: &str) -> anyhow::Result<url::Url> {
    let parsed = url::Url::parse(url).ok().filter(|u| {
        matches!(u.scheme(), "postgres" | "postgresql")
            && u.host_str().is_some_and(|h| !h.is_empty())
    });
    match parsed {
        Some(u) => Ok(u),
        None => bail!(
            "the PostgreSQL URL is not postgres://USER[:PASSWORD]@HOST:PORT/DATABASE; \
             `scripts/postgres` prints one"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_is_not_postgres_is_refused_and_literals_are_quoted() {
        assert!(parse("mysql://u@h/x").is_err());
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
