//! Downloads one CSV file over HTTP(S) into `out/tables/<table>.csv`, streaming, with the
//! secret `#token` (if given) as a bearer token. Parameters: `url`, `#token`, `table` (the file
//! name, `data` by default), and optionally `destination`, `incremental` and `primary_key`,
//! written into the table's manifest.
//!
//! A configuration chooses the address, so the stack's own loopback, private networks and the
//! cloud's metadata service must stay out of reach: every address is checked after DNS
//! resolution and the connection goes to the checked address only; redirects are followed here,
//! a few at most, each hop checked the same way.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use anyhow::{Context, Result};
use futures_util::StreamExt;
use reqwest::Url;
use serde_json::json;
use stackport_stack::jobs::outbound::{AllowList, ALLOW_ENV};

use super::{parameters, UserError};

/// Most redirects one download follows.
const MAX_REDIRECTS: usize = 10;

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

/// GETs `url`, following redirects, and returns the first answer that is not one, if it is a
/// success. The token goes only to the origin of `url`: a redirect elsewhere does not get it.
async fn fetch(url: &str, token: Option<&str>, allow: &AllowList) -> Result<reqwest::Response> {
    let first: Url = url
        .parse()
        .map_err(|e| UserError(format!("parameters.url '{url}' is not a URL: {e}")))?;
    let mut current = first.clone();
    for _ in 0..=MAX_REDIRECTS {
        let client = pinned_client(&current, allow).await?;
        let mut request = client.get(current.clone());
        if let Some(token) = token.filter(|_| current.origin() == first.origin()) {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| UserError(format!("cannot download {current}: {e}")))?;
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok());
        match (status.as_u16(), location) {
            (301 | 302 | 303 | 307 | 308, Some(location)) => {
                let next = current.join(location).map_err(|e| {
                    UserError(format!(
                        "{current} redirected to '{location}', which is not a URL: {e}"
                    ))
                })?;
                println!("{current} redirected to {next}");
                current = next;
            }
            _ if status.is_success() => return Ok(response),
            _ => return Err(UserError(format!("{current} answered {status}")).into()),
        }
    }
    Err(UserError(format!(
        "{url} redirected more than {MAX_REDIRECTS} times; give the final address"
    ))
    .into())
}

/// A client for one request to `url` that can only connect to an address checked here: an IP
/// literal as it is, a host name pinned to an allowed address it resolved to, so DNS cannot
/// answer differently when the connection is made.
async fn pinned_client(url: &Url, allow: &AllowList) -> Result<reqwest::Client> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UserError(format!(
            "{url}: only http and https addresses can be downloaded"
        ))
        .into());
    }
    let host = url
        .host_str()
        .ok_or_else(|| UserError(format!("{url} names no host")))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| UserError(format!("{url} names no port")))?;
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<IpAddr>();
    let builder = match literal {
        Ok(ip) => {
            allow
                .check(ip)
                .map_err(|why| UserError(format!("refused to download {url}: {why}")))?;
            builder
        }
        Err(_) => {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| UserError(format!("cannot resolve {host} of {url}: {e}")))?
                .collect();
            let mut refusal = None;
            let chosen = addresses.iter().find(|a| match allow.check(a.ip()) {
                Ok(()) => true,
                Err(why) => {
                    refusal.get_or_insert(why);
                    false
                }
            });
            match (chosen, refusal) {
                (Some(address), _) => builder.resolve(host, *address),
                (None, Some(why)) => {
                    return Err(UserError(format!(
                        "refused to download {url}: {host} resolves only to restricted addresses: {why}"
                    ))
                    .into())
                }
                (None, None) => {
                    return Err(
                        UserError(format!("cannot resolve {host} of {url}: no address")).into(),
                    )
                }
            }
        }
    };
    Ok(builder.build()?)
}
