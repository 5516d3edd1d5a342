use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::token::TokenRef;
use crate::ids::{ComponentId, ConfigId, CredentialsId};
use crate::time::{serde_rfc3339, Timestamp};

/// How a secret of a configuration stands, as `GET …/configs/{id}/secrets` reports it. Never the
/// value itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    /// Where it is: `parameters.db.#password`, or `rows[<rowId>].parameters.#token`.
    pub path: String,
    /// See [`SecretState`].
    pub status: SecretState,
}

/// Whether this stack can use a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretState {
    /// Sealed for this place; a job can use it.
    Ok,
    /// A ciphertext that does not open here: sealed for another project, component,
    /// configuration or stack. It has to be entered again.
    Undecryptable,
    /// A placeholder (`{{ vault.x }}`) resolved elsewhere at run time.
    Reference,
    /// No value: the key is there with an empty string, as a migration leaves it. It has to be
    /// entered.
    Empty,
}

/// Body of `POST /v2/oauth/credentials/{componentId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOAuthCredentials {
    /// A name for the authorization, unique per component.
    pub id: CredentialsId,
    /// Whom or what it was authorized for (an account name, an e-mail).
    pub authorized_for: String,
    /// What the provider answered (access and refresh tokens); sealed at once, never shown.
    pub data: serde_json::Value,
}

/// OAuth credentials as the API shows them: without their secret part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthCredentials {
    pub id: CredentialsId,
    pub component_id: ComponentId,
    pub authorized_for: String,
    /// The stack's OAuth application they were issued to.
    pub app_key: String,
    pub oauth_version: String,
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    pub creator: TokenRef,
}

/// Algorithm of a generated SSH key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SshKeyType {
    #[default]
    Ed25519,
    /// 3072-bit RSA, for servers that take nothing newer.
    Rsa,
}

/// Body of `POST /v2/ssh/keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSshKey {
    #[serde(default, rename = "type")]
    pub key_type: SshKeyType,
    /// A comment written into the public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A generated key pair: the public key to install on the server, the private key sealed for the
/// project (it opens in any of its configurations, and nowhere else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SshKeyPair {
    #[serde(rename = "type")]
    pub key_type: SshKeyType,
    /// One OpenSSH `authorized_keys` line.
    pub public_key: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The OpenSSH private key, sealed (`KBC::ProjectWideSecure::…`).
    #[serde(rename = "#privateKey")]
    pub private_key: String,
}

/// Query of `POST /v2/encryption/encrypt`: where the ciphertexts may be opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptFor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<ComponentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<ConfigId>,
}
