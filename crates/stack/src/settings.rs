//! A stack's settings file (`stack.json` in its data dir): who the stack is and its limits.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Size limits the stack enforces, so one request cannot fill its disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Limits {
    /// Most bytes of CSV (after gzip) one import may carry.
    pub max_import_bytes: u64,
    /// Most bytes one uploaded file may have.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_import_bytes: 50 * 1024 * 1024 * 1024,
            max_file_bytes: 5 * 1024 * 1024 * 1024,
        }
    }
}

/// The BI service account a stack owns; BI writer configurations get projects in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiAccount {
    /// The account's id at the BI service.
    pub id: String,
    /// A name for people.
    pub name: String,
}

/// The contents of `stack.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackSettings {
    /// A short stable id such as `eu-central`; part of every ciphertext's binding.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// The region the data lives in.
    pub region: String,
    /// The public base URL.
    pub url: String,
    /// Addresses the stack connects out from.
    pub ip_addresses: Vec<String>,
    /// Backends the stack offers.
    pub backends: Vec<String>,
    /// The backend of new projects.
    pub default_backend: String,
    /// Size limits.
    #[serde(default)]
    pub limits: Limits,
    /// The stack's BI account; without one, BI projects cannot be provisioned here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bi_account: Option<BiAccount>,
}

impl StackSettings {
    /// The settings a fresh `serve` without `stack init` gets.
    pub fn local_default(listen: &str) -> Self {
        StackSettings {
            id: "local".into(),
            name: "Local stack".into(),
            region: "local".into(),
            url: format!("http://{listen}"),
            ip_addresses: vec!["127.0.0.1".into()],
            backends: vec!["sqlite".into()],
            default_backend: "sqlite".into(),
            limits: Limits::default(),
            bi_account: Some(BiAccount {
                id: "local-bi".into(),
                name: "Local BI account".into(),
            }),
        }
    }

    /// Checks what a hand-edited file could get wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::invalid("stack.invalidSettings", m));
        if self.id.is_empty()
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(format!(
                "stack id '{}' must be letters, digits, '-' or '_'",
                self.id
            ));
        }
        if self.backends.is_empty() {
            return bad("a stack must offer at least one backend".into());
        }
        for b in &self.backends {
            if b != "sqlite" {
                return bad(format!(
                    "backend '{b}' is not available in this build; use 'sqlite'"
                ));
            }
        }
        if !self.backends.contains(&self.default_backend) {
            return bad(format!(
                "default backend '{}' is not one of the backends {:?}",
                self.default_backend, self.backends
            ));
        }
        for ip in &self.ip_addresses {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return bad(format!("'{ip}' is not an IP address"));
            }
        }
        Ok(())
    }

    /// Reads and validates a settings file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let settings: StackSettings = serde_json::from_str(&text).map_err(|e| {
            Error::invalid(
                "stack.invalidSettings",
                format!("{} is not valid: {e}", path.display()),
            )
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Writes the settings file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.validate()?;
        let text = serde_json::to_string_pretty(self)?;
        crate::fsutil::write_atomic(path, text.as_bytes(), false)
    }
}
