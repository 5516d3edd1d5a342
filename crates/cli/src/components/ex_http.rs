//! Downloads one CSV file over HTTP(S) into `out/tables/<table>.csv`, streaming, with the
//! secret `#token` (if given) as a bearer token. Parameters: `url`, `#token`, `table` (the file
//! name, `data` by default), and optionally `destination`, `incremental` and `primary_key`,
//! written into the table's manifest.
//!
//! A configuration chooses the address, so the stack's own loopback, private networks and the
//! cloud's metadata service must stay out of reach: every address is checked after DNS
//! resolution and the connection goes to the checked address only; redirects are followed, a
//! few at most, each hop checked the same way (`stackport_server::outbound_http`, which the
//! stack's `dataUrl` downloads share).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use futures_util::StreamExt;
use reqwest::Url;
use serde_json::json;
use stackport_server::outbound_http::{self, shown};
use stackport_stack::jobs::outbound::{AllowList, ALLOW_ENV};

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
    let allow = AllowList::from_env_value(&std::env::var(ALLOW_ENV).unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("{ALLOW_ENV} (the stack's network.outboundAllow): {e}"))?;
    let token = params["#token"].as_str().filter(|t| !t.is_empty());
    println!("Downloading {url}");
    let response = fetch(url, token, &allow).await?;
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

/// GETs `url` through the stack's outbound rules ([`outbound_http`]), telling each redirect.
async fn fetch(url: &str, token: Option<&str>, allow: &AllowList) -> Result<reqwest::Response> {
    let first: Url = url
        .parse()
        .map_err(|e| UserError(format!("parameters.url '{url}' is not a URL: {e}")))?;
    let mut told = |from: &Url, to: &Url| {
        println!("{} redirected to {}", shown(from), shown(to));
    };
    Ok(outbound_http::get(&first, token, allow, &mut told)
        .await
        .map_err(|e| UserError(e.to_string()))?)
}
