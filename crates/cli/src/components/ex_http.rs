//! Downloads one CSV file over HTTP(S) into `out/tables/<table>.csv`, streaming, with the
//! secret `#token` (if given) as a bearer token. Parameters: `url`, `#token`, `table` (the file
//! name, `data` by default), and optionally `destination`, `incremental` and `primary_key`,
//! written into the table's manifest.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use futures_util::StreamExt;
use serde_json::json;

use super::{parameters, UserError};

pub async fn run(dir: &Path) -> Result<()> {
    let params = parameters(dir)?;
    let url = params["url"].as_str().ok_or_else(|| {
        UserError("parameters.url is missing: give the address of the CSV file".into())
    })?;
    let table = params["table"].as_str().unwrap_or("data");
    if table.is_empty() || table.contains('/') || table.starts_with('.') {
        return Err(UserError(format!("parameters.table '{table}' must be a plain name")).into());
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut request = client.get(url);
    if let Some(token) = params["#token"].as_str().filter(|t| !t.is_empty()) {
        request = request.bearer_auth(token);
    }
    println!("Downloading {url}");
    let response = request
        .send()
        .await
        .map_err(|e| UserError(format!("cannot download {url}: {e}")))?;
    if !response.status().is_success() {
        return Err(UserError(format!("{url} answered {}", response.status())).into());
    }
    let path = dir.join("out/tables").join(format!("{table}.csv"));
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
    );
    let mut bytes = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| UserError(format!("the download of {url} broke: {e}")))?;
        bytes += chunk.len() as u64;
        file.write_all(&chunk)?;
    }
    file.flush()?;
    if let Some(destination) = params["destination"].as_str() {
        let manifest = json!({
            "destination": destination,
            "incremental": params["incremental"].as_bool().unwrap_or(false),
            "primary_key": params["primary_key"].as_array().cloned().unwrap_or_default(),
        });
        std::fs::write(
            dir.join("out/tables").join(format!("{table}.csv.manifest")),
            manifest.to_string(),
        )?;
    }
    println!("Downloaded {bytes} bytes into out/tables/{table}.csv");
    Ok(())
}
