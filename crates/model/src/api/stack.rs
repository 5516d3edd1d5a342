use serde::{Deserialize, Serialize};

/// What a stack tells about itself in `GET /v2/storage` and `GET /manage/stack`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackInfo {
    /// A short stable id such as `eu-central`.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// The region the stack's data lives in.
    pub region: String,
    /// The public base URL clients use.
    pub url: String,
    /// The addresses the stack connects out from; users put them in their firewalls.
    pub ip_addresses: Vec<String>,
    /// Table storage backends the stack offers.
    pub backends: Vec<String>,
    /// The backend a project gets when it does not ask for one.
    pub default_backend: String,
    /// The stack's component registry.
    #[serde(default)]
    pub components: Vec<super::component::Component>,
    /// The version of stackport serving the stack.
    #[serde(default)]
    pub version: String,
}
