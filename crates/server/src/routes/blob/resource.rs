//! A file as the reference's Azure stacks answer it: the record plus its blob, a signed
//! download `url` and, when asked, the SDK's connection string.

use axum::http::HeaderMap;
use stackport_model::api::{
    AbsCredentials, AbsPath, AbsUploadParams, FileInfo, FileResource, FILE_PROVIDER,
};
use stackport_stack::blob::{blob_name, container, Grant};
use stackport_stack::Stack;

/// The stack's blob endpoint as the client reached it: `http://<Host>/blob`. The `Host` header
/// is what the client itself used, so the SDK's requests come back the same way; the configured
/// public URL (and its scheme) is used when it names that host, or when there is no `Host`.
pub(crate) fn blob_endpoint(headers: &HeaderMap, stack: &Stack) -> String {
    let configured = stack.settings().url.trim_end_matches('/');
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ', ';']));
    match host {
        Some(host) if configured.split("://").nth(1) != Some(host) => {
            format!("http://{host}/blob")
        }
        _ => format!("{configured}/blob"),
    }
}

/// `s` percent-encoded for a URL path, slashes kept (as the Azure SDK quotes a blob name).
fn quote_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The signed URL of a file's blob (of a sliced file's manifest, which is what the reference's
/// `url` of a sliced file is).
pub(crate) fn signed_url(stack: &Stack, endpoint: &str, file: &FileInfo, grant: &Grant) -> String {
    let manifest = if file.is_sliced { "manifest" } else { "" };
    format!(
        "{endpoint}/{}/{}{manifest}?{}",
        container(grant.project),
        quote_path(&blob_name(file)),
        stack.sign(grant)
    )
}

fn credentials(stack: &Stack, endpoint: &str, grant: &Grant) -> AbsCredentials {
    AbsCredentials {
        sas_connection_string: format!(
            "BlobEndpoint={endpoint};SharedAccessSignature={}",
            stack.sign(grant)
        ),
        expiration: grant.expiration(),
    }
}

fn base(stack: &Stack, file: FileInfo, project: &Grant, url: String) -> FileResource {
    FileResource {
        abs_path: AbsPath {
            container: container(project.project),
            name: blob_name(&file),
        },
        file,
        provider: FILE_PROVIDER.into(),
        region: stack.settings().region.clone(),
        url,
        is_encrypted: false,
        is_public: false,
        abs_credentials: None,
        abs_upload_params: None,
    }
}

/// A finished file; `absCredentials` (a read signature) only when `with_credentials`.
pub(crate) fn finished(
    stack: &Stack,
    endpoint: &str,
    project: stackport_model::ProjectId,
    file: FileInfo,
    with_credentials: bool,
) -> FileResource {
    let grant = stack.download_grant(project, file.id);
    let url = signed_url(stack, endpoint, &file, &grant);
    let mut out = base(stack, file, &grant, url);
    if with_credentials {
        out.abs_credentials = Some(credentials(stack, endpoint, &grant));
    }
    out
}

/// A prepared file: its `url` is the signed upload URL (a plain `PUT` with
/// `x-ms-blob-type: BlockBlob` uploads it; of a sliced file, the manifest's, and the parts go
/// to `<blobName><part>`) and `absUploadParams` drive the SDK.
pub(crate) fn prepared(
    stack: &Stack,
    endpoint: &str,
    file: FileInfo,
    grant: &Grant,
) -> FileResource {
    let url = signed_url(stack, endpoint, &file, grant);
    let params = AbsUploadParams {
        blob_name: blob_name(&file),
        container: container(grant.project),
        account_name: stack.settings().id.clone(),
        abs_credentials: credentials(stack, endpoint, grant),
    };
    let mut out = base(stack, file, grant, url);
    out.abs_credentials = Some(params.abs_credentials.clone());
    out.abs_upload_params = Some(params);
    out
}
