//! The PostgreSQL servers a stack registers for its `postgresql` projects' tables.
//!
//! A stack may have several: each new PostgreSQL project is placed on one of them and the
//! placement is recorded with the project (`Project::placement`), so table data can grow past
//! one database server by adding one, and a project's tables are always looked for where they
//! were created. A server's password never stands in `stack.json` as written: registering a
//! server seals it with the stack's master key (`sealedPassword`), and only the storage builder
//! opens it, to connect.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secrets::{Binding, Keyring, Scope};

/// One registered PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostgresServer {
    /// A short stable id (`pg1`): what projects record as their placement, so it must never
    /// change while projects live on the server.
    pub id: String,
    /// `postgres://USER@HOST:PORT/DATABASE`, without a password. The user creates a schema per
    /// project and, for workspaces and transformations, login roles: a superuser, or a role
    /// with `CREATEROLE` that owns the database.
    pub url: String,
    /// The password, sealed by the stack (`stackport stack add-postgres` writes it); none when
    /// the server lets the user in without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_password: Option<String>,
    /// Whether new projects may be placed here; `false` drains a server that is filling up
    /// while its projects stay where they are.
    #[serde(default = "yes")]
    pub accepts_new_projects: bool,
}

fn yes() -> bool {
    true
}

impl PostgresServer {
    /// A server registered from `url`, which may carry a password: it is sealed with
    /// `keyring` and taken out of the URL, so the settings never hold it in plaintext.
    pub fn register(id: &str, url: &str, keyring: &Keyring) -> Result<PostgresServer> {
        check_id(id)?;
        let (url, password) = split_password(url)?;
        Ok(PostgresServer {
            id: id.to_string(),
            url,
            sealed_password: password.map(|p| keyring.seal(Scope::Component, &binding(id), &p)),
            accepts_new_projects: true,
        })
    }

    /// The URL to connect with: the registered one with the opened password put back.
    pub fn connection_url(&self, keyring: &Keyring) -> Result<String> {
        let Some(sealed) = &self.sealed_password else {
            return Ok(self.url.clone());
        };
        let password = keyring.open(&binding(&self.id), sealed).map_err(|e| {
            Error::invalid(
                "stack.invalidSettings",
                format!(
                    "the sealed password of PostgreSQL server '{}' does not open with this \
                     stack's master key ({e:?}); register the server again with \
                     `stackport stack add-postgres`",
                    self.id
                ),
            )
        })?;
        let mut url = parse_url(&self.url)?;
        url.set_password(Some(&password))
            .map_err(|()| invalid_url(&self.url, "it cannot carry a password"))?;
        Ok(url.to_string())
    }

    /// Checks what a hand-edited `stack.json` could get wrong.
    pub(crate) fn validate(&self) -> Result<()> {
        check_id(&self.id)?;
        let url = parse_url(&self.url)?;
        if url.password().is_some() {
            return Err(Error::invalid(
                "stack.invalidSettings",
                format!(
                    "PostgreSQL server '{}': stack.json must not hold a password in plaintext; \
                     remove it from the URL and register it with `stackport stack add-postgres \
                     DIR URL`, which seals it",
                    self.id
                ),
            ));
        }
        Ok(())
    }
}

/// What seals a server's password: a component id no configuration can have (ids of
/// components cannot contain `/` or spaces), so no job is ever handed it.
fn binding(server: &str) -> Binding {
    Binding {
        component: Some(format!("stackport settings/postgres server/{server}")),
        ..Binding::default()
    }
}

fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 32
        && id.as_bytes()[0].is_ascii_lowercase()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "stack.invalidSettings",
            format!(
                "PostgreSQL server id '{id}': use 1 to 32 lowercase letters, digits and '-', \
                 starting with a letter"
            ),
        ))
    }
}

fn invalid_url(url: &str, why: &str) -> Error {
    Error::invalid(
        "stack.invalidSettings",
        format!(
            "'{}' is not a PostgreSQL server URL: {why}; use \
             postgres://USER[:PASSWORD]@HOST:PORT/DATABASE",
            shown(url)
        ),
    )
}

/// `url` naming `database` instead of its own, keeping the user, password and options: how
/// the tests, the demo and the bench reach a database of their own on a server they were given.
pub fn with_database(url: &str, database: &str) -> Result<String> {
    let mut u = url::Url::parse(url).map_err(|e| invalid_url(url, &e.to_string()))?;
    if !matches!(u.scheme(), "postgres" | "postgresql") {
        return Err(invalid_url(url, "the scheme must be postgres://"));
    }
    u.set_path(&format!("/{database}"));
    Ok(u.to_string())
}

/// `url` as it may be shown: without its password.
pub fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "(unparseable URL)".into(),
    }
}

fn parse_url(text: &str) -> Result<url::Url> {
    let url = url::Url::parse(text).map_err(|e| invalid_url(text, &e.to_string()))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(invalid_url(text, "the scheme must be postgres://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid_url(text, "it names no host"));
    }
    if url.username().is_empty() {
        return Err(invalid_url(text, "it names no user"));
    }
    if url.path().trim_start_matches('/').is_empty() {
        return Err(invalid_url(text, "it names no database"));
    }
    if url.query_pairs().any(|(k, _)| k == "password") {
        return Err(invalid_url(
            text,
            "give the password as postgres://USER:PASSWORD@…, not as a parameter",
        ));
    }
    Ok(url)
}

/// The URL without its password, and the password (percent-decoded).
fn split_password(text: &str) -> Result<(String, Option<String>)> {
    let mut url = parse_url(text)?;
    let password = url.password().map(percent_decode).transpose()?;
    url.set_password(None)
        .map_err(|()| invalid_url(text, "it cannot carry a password"))?;
    Ok((url.to_string(), password))
}

/// A URL's percent-encoded part as the text it stands for (`+` stays a plus: only a query
/// string means a space by it).
fn percent_decode(part: &str) -> Result<String> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = part
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| invalid_url("", "the password has a bad %-escape"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| invalid_url("", "the password is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::new("test", [7; 32])
    }

    #[test]
    fn a_password_is_sealed_and_put_back_only_to_connect() {
        let server =
            PostgresServer::register("pg1", "postgres://stack:s%40c+ret@db:5432/data", &keyring())
                .unwrap();
        assert_eq!(server.url, "postgres://stack@db:5432/data");
        let sealed = server.sealed_password.as_deref().unwrap();
        assert!(!sealed.contains("s@c+ret") && !sealed.contains("s%40c+ret"));
        server.validate().unwrap();
        assert_eq!(
            server.connection_url(&keyring()).unwrap(),
            "postgres://stack:s%40c+ret@db:5432/data"
        );
        // Another stack's key, or another server's record, does not open it.
        assert!(server
            .connection_url(&Keyring::new("other", [7; 32]))
            .is_err());
        let moved = PostgresServer {
            id: "pg2".into(),
            ..server
        };
        assert!(moved.connection_url(&keyring()).is_err());
    }

    #[test]
    fn a_database_url_keeps_user_password_and_options() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "d").unwrap(),
            "postgres://postgres@127.0.0.1:5432/d"
        );
        assert_eq!(
            with_database(
                "postgresql://u:p%40ss@db.example.com/x?sslmode=disable",
                "d"
            )
            .unwrap(),
            "postgresql://u:p%40ss@db.example.com/d?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:1", "x").unwrap(),
            "postgres://u@h:1/x"
        );
        assert!(with_database("mysql://u@h/x", "d").is_err());
        assert_eq!(shown("postgres://u:secret@h:1/x"), "postgres://u@h:1/x");
    }

    #[test]
    fn settings_refuse_a_plaintext_password_and_bad_urls() {
        let with_password = PostgresServer {
            id: "pg1".into(),
            url: "postgres://u:p@h/db".into(),
            sealed_password: None,
            accepts_new_projects: true,
        };
        let err = with_password.validate().unwrap_err().to_string();
        assert!(
            err.contains("add-postgres") && !err.contains(":p@"),
            "{err}"
        );
        for bad in [
            "mysql://u@h/db",
            "postgres://h/db",
            "postgres://u@h",
            "postgres://u@h/db?password=x",
            "not a url",
        ] {
            let server = PostgresServer {
                url: bad.into(),
                ..with_password.clone()
            };
            let err = server.validate().unwrap_err().to_string();
            assert!(!err.contains("password=x"), "{err}");
        }
        assert!(PostgresServer::register("PG", "postgres://u@h/db", &keyring()).is_err());
    }
}
