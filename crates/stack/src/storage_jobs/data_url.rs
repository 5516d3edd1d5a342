//! `dataUrl`: the job, not the request, downloads the address into a Storage file of the
//! project, and the flow goes on from that file as it would from a `dataFileId`. The body is
//! copied piece by piece into a staged upload, so the file size limit holds while it arrives
//! and the project's quota when the file is recorded.

use std::io::Read;

use stackport_model::FileId;

use crate::error::{Error, ErrorKind, Result};
use crate::jobs::outbound::AllowList;
use crate::ops::auth::TokenAuth;
use crate::url_fetch::UrlFetch;
use crate::{NewFile, Stack};

/// The tag of the files a `dataUrl` was downloaded into.
const DATA_URL_TAG: &str = "dataUrl";

impl Stack {
    /// The installed fetcher, or the 501 a stack without one answers.
    fn url_fetch(&self) -> Result<&dyn UrlFetch> {
        self.url_fetch.get().map(|f| f.as_ref()).ok_or_else(|| {
            Error::new(
                ErrorKind::NotImplemented,
                "storage.jobs.dataUrlUnsupported",
                "this stack does not fetch dataUrl: upload the file (POST /v2/storage/files) \
                 and pass its id as dataFileId",
            )
        })
    }

    /// The addresses the stack may connect to although they are restricted.
    fn outbound_allow(&self) -> Result<AllowList> {
        AllowList::parse(&self.settings.network.outbound_allow)
            .map_err(|e| Error::internal("network.outboundAllow", e))
    }

    /// A `dataUrl` as the job stores it: sealed for the project, since a presigned URL's
    /// query is a credential and stored job parameters are on disk and in answers.
    pub(super) fn seal_data_url(&self, auth: &TokenAuth, url: Option<&str>) -> Option<String> {
        url.filter(|u| !u.is_empty())
            .map(|u| self.seal_for_storage_job(auth.project(), u))
    }

    /// At request time: the URL checked as far as it can be without downloading it.
    pub(super) fn check_data_url(&self, url: &str) -> Result<()> {
        self.url_fetch()?.check(url, &self.outbound_allow()?)
    }

    /// The data of a table flow as a Storage file: the one named, or `url` downloaded into a
    /// new one.
    pub(super) fn source_file(
        &self,
        auth: &TokenAuth,
        file: Option<FileId>,
        url: Option<&str>,
    ) -> Result<FileId> {
        match (file, url.filter(|u| !u.is_empty())) {
            (Some(file), _) => Ok(file),
            (None, Some(sealed)) => {
                let url = self.open_for_storage_job(auth.project(), sealed)?;
                self.download_data_url(auth, &url)
            }
            (None, None) => Err(Error::invalid(
                "storage.jobs.missingSource",
                "dataFileId or dataUrl is required: upload the CSV (POST /v2/storage/files) and \
                 pass its id, or give the address to download it from",
            )),
        }
    }

    fn download_data_url(&self, auth: &TokenAuth, url: &str) -> Result<FileId> {
        let mut body = self.url_fetch()?.open(url, &self.outbound_allow()?)?;
        let mut upload = self.stage_upload(auth)?;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::invalid(
                        "storage.jobs.dataUrlFetchFailed",
                        format!("the download of dataUrl {} broke: {e}", shown(url)),
                    ))
                }
            };
            upload.write(&buffer[..n])?;
        }
        let file = self.upload_staged_file(
            auth,
            &NewFile {
                name: file_name(url),
                tags: vec![DATA_URL_TAG.into()],
                ..Default::default()
            },
            upload,
        )?;
        Ok(file.id)
    }
}

/// `url` without its query and fragment, which may hold a signature, and without a
/// `user:password@` before its host.
pub(crate) fn shown(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// The last segment of the URL's path, if it makes a plain file name.
fn file_name(url: &str) -> String {
    let path = shown(url);
    let after_host = path
        .split_once("://")
        .map_or(path.as_str(), |(_, rest)| rest);
    after_host
        .split_once('/')
        .and_then(|(_, p)| p.rsplit('/').next())
        .filter(|n| {
            !n.is_empty()
                && n.len() <= 200
                && !n.starts_with('.')
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
        .unwrap_or("data.csv")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_path() {
        assert_eq!(file_name("http://h/a/b/rows.csv?sig=x"), "rows.csv");
        assert_eq!(file_name("http://h"), "data.csv");
        assert_eq!(file_name("http://h/"), "data.csv");
        assert_eq!(file_name("http://h/%2e%2e"), "data.csv");
        assert_eq!(
            shown("https://h/x.csv?X-Amz-Signature=1"),
            "https://h/x.csv"
        );
        assert_eq!(
            shown("https://user:s3cret@h:8443/a@b/x.csv#frag"),
            "https://h:8443/a@b/x.csv"
        );
        assert_eq!(file_name("https://u:p@h/rows.csv"), "rows.csv");
    }
}
