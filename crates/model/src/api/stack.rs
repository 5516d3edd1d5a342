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

/// Answer of `GET /v2/storage` (and `GET /v2/storage/`): the stack's [`StackInfo`] with what the
/// reference platform's clients read from its index, `api` and the `services` they look their
/// service URLs up in (instead of building hostnames).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageIndex {
    /// Always `storage`.
    pub api: String,
    #[serde(flatten)]
    pub stack: StackInfo,
    /// Every service the stack serves, by the reference platform's id.
    pub services: Vec<Service>,
}

/// One service of [`StorageIndex::services`]: a client appends the reference platform's paths
/// to `url` (the encryption service's `/encrypt`, the queue's `/jobs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The reference platform's id: `storage`, `encryption`, `queue`, `oauth`.
    pub id: String,
    /// Where this stack serves it.
    pub url: String,
}

impl StorageIndex {
    /// The index of a stack: its services live under its own URL, at the prefixes whose paths
    /// match the reference platform's services.
    pub fn of(stack: StackInfo) -> Self {
        let base = stack.url.trim_end_matches('/').to_string();
        let services = [
            ("storage", ""),
            ("encryption", "/v2/encryption"),
            ("queue", "/v2/queue"),
            ("oauth", "/v2/oauth"),
        ]
        .into_iter()
        .map(|(id, path)| Service {
            id: id.into(),
            url: format!("{base}{path}"),
        })
        .collect();
        StorageIndex {
            api: "storage".into(),
            stack,
            services,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_lists_the_services_under_the_stack_url_and_keeps_its_fields() {
        let info = StackInfo {
            id: "local".into(),
            name: "Local".into(),
            region: "eu".into(),
            url: "https://stack.example/".into(),
            ip_addresses: vec![],
            backends: vec!["sqlite".into()],
            default_backend: "sqlite".into(),
            components: vec![],
            version: "1.0.0".into(),
        };
        let index = serde_json::to_value(StorageIndex::of(info.clone())).unwrap();
        assert_eq!(index["api"], "storage");
        assert_eq!(index["defaultBackend"], "sqlite");
        assert_eq!(
            index["services"],
            serde_json::json!([
                {"id": "storage", "url": "https://stack.example"},
                {"id": "encryption", "url": "https://stack.example/v2/encryption"},
                {"id": "queue", "url": "https://stack.example/v2/queue"},
                {"id": "oauth", "url": "https://stack.example/v2/oauth"},
            ])
        );
        let read: StackInfo = serde_json::from_value(index).unwrap();
        assert_eq!(read, info, "a client reading StackInfo still can");
    }
}
