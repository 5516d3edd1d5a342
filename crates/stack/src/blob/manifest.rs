//! The manifest of a sliced file as the uploader writes it.

use crate::error::{Error, Result};

/// The parts a manifest names, in order: each entry's `url` after `/<container>/<blob>`.
pub(super) fn manifest_parts(
    manifest: &[u8],
    container_name: &str,
    blob: &str,
) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        entries: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        url: String,
    }
    let invalid = |m: String| {
        Error::invalid(
            "InvalidInput",
            format!(
                "the manifest must be {{\"entries\": [{{\"url\": \"https://<account>.blob.core.windows.net/{container_name}/{blob}<part>\"}}, ...]}}: {m}"
            ),
        )
    };
    let parsed: Manifest = serde_json::from_slice(manifest).map_err(|e| invalid(e.to_string()))?;
    let prefix = format!("/{container_name}/{blob}");
    parsed
        .entries
        .iter()
        .map(|e| {
            let at = e
                .url
                .find(&prefix)
                .ok_or_else(|| invalid(format!("entry '{}' is not a part of this file", e.url)))?;
            Ok(e.url[at + prefix.len()..].to_string())
        })
        .collect()
}
