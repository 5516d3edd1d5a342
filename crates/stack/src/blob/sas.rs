//! Shared access signatures of the blob endpoint: what the stack hands a client (inside an
//! Azure-style `SASConnectionString` or a signed `url`) so that the real Azure SDK can move one
//! file's bytes without a Storage token. A signature names one project, one file and one way of
//! access, expires, and is an HMAC-SHA256 under a key derived from the stack's master key, so
//! only this stack can issue or check one.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use stackport_model::{FileId, ProjectId};

use crate::error::{Error, ErrorKind, Result};

/// The purpose the signing key is derived for.
pub(crate) const KEY_PURPOSE: &str = "blob shared access signatures v1";

/// What a signature lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Get Blob and Get Blob Properties (`sp=r`).
    Read,
    /// Put Blob, Put Block and Put Block List of a prepared file (`sp=cw`).
    Write,
}

impl Access {
    fn permissions(self) -> &'static str {
        match self {
            Access::Read => "r",
            Access::Write => "cw",
        }
    }
}

/// One signed permission: `access` to file `file` of `project` until `expires` (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub project: ProjectId,
    pub file: FileId,
    pub access: Access,
    pub expires_secs: i64,
}

fn signature(key: &[u8; 32], grant: &Grant) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(
        format!(
            "{}\n{}\n{}\n{}",
            grant.access.permissions(),
            grant.expires_secs,
            grant.project,
            grant.file
        )
        .as_bytes(),
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The Azure-style time of `secs`, `2026-12-02T03:00:00Z`.
fn azure_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Grant {
    /// The signature as a query string (no `?`), with no `;` so that it fits in a connection
    /// string: `sv=..&sr=b&sp=r&se=..&si=7.12&sig=..` (project 7, file 12). Only Azure's own
    /// parameter names: the SDK takes a connection string's signature only if they all are.
    pub fn to_query(&self, key: &[u8; 32]) -> String {
        format!(
            "sv=2021-08-06&sr=b&sp={}&se={}&si={}.{}&sig={}",
            self.access.permissions(),
            azure_time(self.expires_secs).replace(':', "%3A"),
            self.project,
            self.file,
            signature(key, self)
        )
    }

    /// When it expires, RFC 3339 (the `expiration` of `absCredentials`).
    pub fn expiration(&self) -> String {
        chrono::DateTime::from_timestamp(self.expires_secs, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }
}

/// Why Azure's `AuthenticationFailed` (403).
pub(crate) fn refused(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Forbidden,
        "AuthenticationFailed",
        format!(
            "Server failed to authenticate the request: {why}; ask the Storage API for a fresh \
             signature (files/prepare to upload, files/{{id}}?federationToken=true to download)"
        ),
    )
}

/// Checks the signature among the (decoded) query `pairs` at `now_secs`.
pub fn verify(key: &[u8; 32], pairs: &[(String, String)], now_secs: i64) -> Result<Grant> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| refused(format!("the shared access signature has no {name}")))
    };
    let sig = get("sig")?;
    let access = match get("sp")? {
        "r" => Access::Read,
        "cw" => Access::Write,
        other => {
            return Err(refused(format!(
                "permissions sp={other} are not ones it issues"
            )))
        }
    };
    let expires = chrono::DateTime::parse_from_rfc3339(get("se")?)
        .map_err(|_| refused("its expiry se is not a time"))?;
    let (project, file) = get("si")?
        .split_once('.')
        .and_then(|(p, f)| Some((p.parse::<u64>().ok()?, f.parse::<u64>().ok()?)))
        .ok_or_else(|| refused("its si is not <project>.<file>"))?;
    let grant = Grant {
        project: ProjectId(project),
        file: FileId(file),
        access,
        expires_secs: expires.timestamp(),
    };
    let expected = signature(key, &grant);
    // Compared in constant time: the signature is a secret until it matches.
    let same = expected.len() == sig.len()
        && expected
            .bytes()
            .zip(sig.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(refused(
            "the signature does not match (tampered with, or another stack's)",
        ));
    }
    if grant.expires_secs <= now_secs {
        return Err(refused(format!(
            "the signature expired at {}",
            azure_time(grant.expires_secs)
        )));
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_string(), v.replace("%3A", ":"))
            })
            .collect()
    }

    const KEY: [u8; 32] = [7; 32];
    const GRANT: Grant = Grant {
        project: ProjectId(3),
        file: FileId(41),
        access: Access::Read,
        expires_secs: 2_000_000_000,
    };

    #[test]
    fn a_signature_checks_until_it_expires() {
        let q = pairs(&GRANT.to_query(&KEY));
        assert_eq!(verify(&KEY, &q, 1_999_999_999).unwrap(), GRANT);
        let late = verify(&KEY, &q, 2_000_000_000).unwrap_err();
        assert_eq!(late.code(), "AuthenticationFailed");
        assert!(late.message().contains("expired"), "{}", late.message());
    }

    #[test]
    fn a_changed_field_or_key_fails() {
        let good = GRANT.to_query(&KEY);
        for (from, to) in [
            ("si=3.41", "si=3.42"),
            ("si=3.", "si=4."),
            ("sp=r", "sp=cw"),
        ] {
            let err = verify(&KEY, &pairs(&good.replace(from, to)), 0).unwrap_err();
            assert!(
                err.message().contains("does not match"),
                "{to}: {}",
                err.message()
            );
        }
        let later = good.replace("2033", "2034");
        assert!(verify(&KEY, &pairs(&later), 0).is_err());
        assert!(verify(&[8; 32], &pairs(&good), 0).is_err());
        let unsigned: Vec<_> = pairs(&good)
            .into_iter()
            .filter(|(k, _)| k != "sig")
            .collect();
        assert!(verify(&KEY, &unsigned, 0)
            .unwrap_err()
            .message()
            .contains("no sig"));
    }

    #[test]
    fn fits_in_a_connection_string() {
        assert!(!GRANT.to_query(&KEY).contains(';'));
        assert_eq!(GRANT.expiration(), "2033-05-18T03:33:20+00:00");
    }
}
