//! Queries of the file endpoints.

use super::query;

query! {
    /// `POST /v2/storage/files`: the body is the file.
    pub struct FileUploadQuery {
        /// The file's name (required).
        pub name: Option<String> = string "name",
        /// Tags, comma-separated or repeated `tags[]`.
        pub tags: Option<Vec<String>> = list "tags",
        /// Never expires.
        pub is_permanent: bool = flag "isPermanent",
        /// Days until it is deleted, default 15.
        pub max_age_days: Option<u32> = parse "maxAgeDays",
    }
}

query! {
    /// `GET /v2/storage/files`, newest first; `kbcstorage` always sends `limit` and `offset`.
    pub struct FileListQuery {
        /// Only files with all these tags (`tags[]=a&tags[]=b`, or `tags=a,b`).
        pub tags: Option<Vec<String>> = list "tags",
        /// At most this many (1 to 1000).
        pub limit: Option<u32> = parse "limit",
        /// Skip this many of the matching files first.
        pub offset: Option<u32> = parse "offset",
    }
}

query! {
    /// `GET /v2/storage/files/{id}`: `kbcstorage` asks for credentials when it downloads.
    pub struct FileDetailQuery {
        /// Add the credentials a download with the provider's own SDK needs.
        pub federation_token: bool = flag "federationToken",
    }
}
