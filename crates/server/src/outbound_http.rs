//! Outbound HTTP to an address someone else chose (a configuration's `url`, a request's
//! `dataUrl`): the stack's own loopback, private networks and the cloud's metadata service stay
//! out of reach unless `network.outboundAllow` lists them. Every address is checked after DNS
//! resolution and the connection goes to the checked address only; redirects are followed
//! here, a few at most, each hop checked the same way. The stack's HTTP extractor and its
//! `dataUrl` downloads both go through this one module.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::Url;
use stackport_stack::jobs::outbound::AllowList;

/// Most redirects one download follows.
pub const MAX_REDIRECTS: usize = 10;
/// How long a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the remote may stay silent while it answers.
pub const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// Why an address was not downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundError {
    /// The address, or one it redirected to, is no http(s) URL or is restricted: the one who
    /// chose it must choose another (or the operator list it in `network.outboundAllow`).
    Refused(String),
    /// The network or the remote failed: no answer, a timeout, an error status.
    Failed(String),
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboundError::Refused(m) | OutboundError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for OutboundError {}

/// `url` without its query and fragment, which may hold a signature or a token.
pub fn shown(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    // A `user:password@` is a credential as much as a signature is; a URL that cannot have
    // one (no host) has none to drop.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// An error with its causes, without the URL reqwest puts in it (its query may hold a secret).
pub fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// GETs `url`, following redirects (each told to `on_redirect`), and returns the first answer
/// that is not one, if it is a success. The token goes only to the origin of `url`: a redirect
/// elsewhere does not get it.
pub async fn get(
    url: &Url,
    token: Option<&str>,
    allow: &AllowList,
    on_redirect: &mut (dyn FnMut(&Url, &Url) + Send),
) -> Result<reqwest::Response, OutboundError> {
    let mut current = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let client = pinned_client(&current, allow).await?;
        let mut request = client.get(current.clone());
        if let Some(token) = token.filter(|_| current.origin() == url.origin()) {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            OutboundError::Failed(format!(
                "cannot download {}: {}",
                shown(&current),
                describe(e)
            ))
        })?;
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok());
        match (status.as_u16(), location) {
            (301 | 302 | 303 | 307 | 308, Some(location)) => {
                let next = current.join(location).map_err(|e| {
                    OutboundError::Refused(format!(
                        "{} redirected to '{location}', which is not a URL: {e}",
                        shown(&current)
                    ))
                })?;
                on_redirect(&current, &next);
                current = next;
            }
            _ if status.is_success() => return Ok(response),
            _ => {
                return Err(OutboundError::Failed(format!(
                    "{} answered {status}",
                    shown(&current)
                )))
            }
        }
    }
    Err(OutboundError::Refused(format!(
        "{} redirected more than {MAX_REDIRECTS} times; give the final address",
        shown(url)
    )))
}

/// A client for one request to `url` that can only connect to an address checked here: an IP
/// literal as it is, a host name pinned to an allowed address it resolved to, so DNS cannot
/// answer differently when the connection is made.
pub async fn pinned_client(url: &Url, allow: &AllowList) -> Result<reqwest::Client, OutboundError> {
    let refused = |m: String| OutboundError::Refused(m);
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused(format!(
            "{}: only http and https addresses can be downloaded",
            shown(url)
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| refused(format!("{} names no host", shown(url))))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| refused(format!("{} names no port", shown(url))))?;
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT);
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<IpAddr>();
    let builder = match literal {
        Ok(ip) => {
            allow
                .check(ip)
                .map_err(|why| refused(format!("refused to download {}: {why}", shown(url))))?;
            builder
        }
        Err(_) => {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| refused(format!("cannot resolve {host} of {}: {e}", shown(url))))?
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
                    return Err(refused(format!(
                    "refused to download {}: {host} resolves only to restricted addresses: {why}",
                    shown(url)
                )))
                }
                (None, None) => {
                    return Err(refused(format!(
                        "cannot resolve {host} of {}: no address",
                        shown(url)
                    )))
                }
            }
        }
    };
    builder
        .build()
        .map_err(|e| OutboundError::Failed(format!("cannot make an HTTP client: {}", describe(e))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_url_has_no_signature_and_no_credentials() {
        let url = Url::parse("https://user:s3cret@h:8443/a/x.csv?sig=abc#frag").unwrap();
        assert_eq!(shown(&url), "https://h:8443/a/x.csv");
    }
}
