//! The create arguments kbcstorage may send, checked against what a stack workspace is: a
//! SQLite database its user opens with a user name and password.

use stackport_model::api::{NewWorkspace, DEFAULT_LOGIN_TYPE};

use crate::error::{Error, Result};
use crate::store::WorkspaceOptions;

/// Workspace backends of the reference platform. Asking for one is asking for a feature the
/// stack does not have (501), not a typo (400).
const REFERENCE_BACKENDS: &[&str] = &[
    "snowflake",
    "redshift",
    "synapse",
    "bigquery",
    "exasol",
    "teradata",
    "abs",
];

/// Snowflake's own `STATEMENT_TIMEOUT_IN_SECONDS` ceiling: the reference takes no more.
const MAX_STATEMENT_TIMEOUT: u64 = 604_800;

/// A PEM key longer than this is no RSA public key (4096 bits is under 1 KiB).
const MAX_PUBLIC_KEY_BYTES: usize = 16 * 1024;

/// Checks `new` for a workspace in `backend` (the project's) and returns what to store.
pub(super) fn check(new: &NewWorkspace, backend: &str) -> Result<WorkspaceOptions> {
    if let Some(asked) = new.backend.as_deref().filter(|b| *b != backend) {
        if REFERENCE_BACKENDS.contains(&asked) {
            return Err(Error::not_implemented(
                "workspaces.backendNotSupported",
                format!(
                    "backend '{asked}': this stack provisions workspaces only in the project's \
                     backend '{backend}' (owner.defaultBackend of token verify); leave backend \
                     out or send '{backend}'"
                ),
            ));
        }
        if asked == "sqlite" || asked == "postgresql" {
            return Err(Error::invalid(
                "workspaces.invalidBackend",
                format!(
                    "backend '{asked}': a workspace is made in its project's backend, and this \
                     project's is '{backend}'; leave backend out or send '{backend}'"
                ),
            ));
        }
        return Err(Error::invalid(
            "workspaces.invalidBackend",
            format!(
                "backend '{asked}' is not a workspace backend; accepted: '{backend}' (the \
                 project's), or leave backend out"
            ),
        ));
    }
    let login_type = match new.login_type.as_deref() {
        None | Some(DEFAULT_LOGIN_TYPE) => DEFAULT_LOGIN_TYPE,
        Some(other) if other.starts_with("snowflake-") => {
            return Err(Error::not_implemented(
                "workspaces.loginTypeNotSupported",
                format!(
                    "loginType '{other}' is a Snowflake login; this stack's workspaces are \
                     '{backend}' and log in with user and password: send loginType 'default' \
                     or leave it out"
                ),
            ))
        }
        Some(other) => {
            return Err(Error::invalid(
                "workspaces.invalidLoginType",
                format!("loginType '{other}' is not one; accepted: 'default'"),
            ))
        }
    };
    if let Some(t) = new.statement_timeout_seconds {
        if t > MAX_STATEMENT_TIMEOUT {
            return Err(Error::invalid(
                "workspaces.invalidStatementTimeout",
                format!(
                    "statementTimeoutSeconds {t} is over the limit of {MAX_STATEMENT_TIMEOUT} \
                     (7 days)"
                ),
            ));
        }
    }
    if let Some(key) = &new.public_key {
        check_public_key(key)?;
    }
    Ok(WorkspaceOptions {
        login_type: login_type.to_string(),
        statement_timeout_seconds: new.statement_timeout_seconds,
        read_only_storage_access: new.read_only_storage_access.unwrap_or(false),
        public_key: new.public_key.clone(),
    })
}

/// Checks that `key` is one PEM public key (`PUBLIC KEY` or `RSA PUBLIC KEY`) whose body is
/// base64 of a DER sequence. The stack keeps the key for the workspace's user; it never needs
/// (nor accepts) a private one.
pub(super) fn check_public_key(key: &str) -> Result<()> {
    use base64::Engine;
    let bad = |why: &str| {
        Error::invalid(
            "workspaces.invalidPublicKey",
            format!(
                "publicKey is not a PEM public key: {why}; send the key as \
                 '-----BEGIN PUBLIC KEY-----', base64 lines, '-----END PUBLIC KEY-----'"
            ),
        )
    };
    if key.len() > MAX_PUBLIC_KEY_BYTES {
        return Err(bad(&format!(
            "it is {} bytes, over {MAX_PUBLIC_KEY_BYTES}",
            key.len()
        )));
    }
    if key.contains("PRIVATE KEY") {
        return Err(bad(
            "it is a private key, which must never leave its owner: send its public half",
        ));
    }
    let lines: Vec<&str> = key
        .trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Err(bad("it is empty"));
    };
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .filter(|l| *l == "PUBLIC KEY" || *l == "RSA PUBLIC KEY")
        .ok_or_else(|| bad("it does not start with '-----BEGIN PUBLIC KEY-----'"))?;
    if lines.len() < 3 || *last != format!("-----END {label}-----") {
        return Err(bad(&format!(
            "it does not end with '-----END {label}-----'"
        )));
    }
    let body: String = lines[1..lines.len() - 1].concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| bad("its body is not base64"))?;
    if der.first() != Some(&0x30) {
        return Err(bad("its body is not a DER key"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

    #[test]
    fn a_pem_public_key_passes() {
        check_public_key(KEY).unwrap();
        check_public_key(&KEY.replace('\n', "\r\n")).unwrap();
    }

    #[test]
    fn anything_else_is_refused_saying_why() {
        for (key, why) in [
            ("", "empty"),
            ("ssh-ed25519 AAAA user@host", "does not start"),
            (&KEY.replace("-----END PUBLIC KEY-----", ""), "does not end"),
            (&KEY.replace("MCow", "M!ow"), "not base64"),
            (&KEY.replace("PUBLIC", "PRIVATE"), "private key"),
        ] {
            let e = check_public_key(key).unwrap_err();
            assert!(e.message().contains(why), "{key:?}: {}", e.message());
        }
    }

    #[test]
    fn snowflake_is_not_implemented_and_nonsense_is_invalid() {
        let with = |backend: &str| NewWorkspace {
            backend: Some(backend.into()),
            ..NewWorkspace::default()
        };
        use crate::ErrorKind;
        assert_eq!(
            check(&with("snowflake"), "sqlite").unwrap_err().kind(),
            ErrorKind::NotImplemented
        );
        assert_eq!(
            check(&with("nosql"), "sqlite").unwrap_err().kind(),
            ErrorKind::Invalid
        );
        assert_eq!(
            check(&with("sqlite"), "sqlite").unwrap().login_type,
            "default"
        );
    }
}
