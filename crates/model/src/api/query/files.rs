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
        /// The subset of the reference's search query its clients build: all these tags.
        pub q: Option<TagQuery> = parse "q",
        /// Only files with a greater id.
        pub since_id: Option<u64> = parse "sinceId",
        /// Only files with a smaller id.
        pub max_id: Option<u64> = parse "maxId",
    }
}

query! {
    /// `GET /v2/storage/files/{id}`.
    pub struct FileDetailQuery {
        /// Adds `absCredentials`, a read signature for the Azure SDK.
        pub federation_token: bool = flag "federationToken",
    }
}

/// The reference platform's file search (`q`, Elasticsearch query syntax) as far as its own
/// clients use it: `tags:"a" AND tags:"b"` (`kbcstorage`'s `workspaces.load_files`), i.e. files
/// with all these tags. Anything else is refused rather than half understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagQuery(pub Vec<String>);

impl std::str::FromStr for TagQuery {
    type Err = String;

    fn from_str(q: &str) -> Result<Self, String> {
        let refuse = || {
            format!(
                "the stack understands only tags:\"a\" AND tags:\"b\" (files with all these \
                 tags), not '{q}'; list by tags[] or filter the list yourself"
            )
        };
        let mut tags = Vec::new();
        for term in q.trim().split(" AND ") {
            let tag = term
                .trim()
                .strip_prefix("tags:\"")
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| !t.is_empty() && !t.contains('"'))
                .ok_or_else(refuse)?;
            tags.push(tag.to_string());
        }
        Ok(TagQuery(tags))
    }
}

impl std::fmt::Display for TagQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let terms: Vec<String> = self.0.iter().map(|t| format!("tags:\"{t}\"")).collect();
        f.write_str(&terms.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use super::TagQuery;

    #[test]
    fn reads_the_tag_queries_kbcstorage_builds_and_nothing_else() {
        let q: TagQuery = r#"tags:"a" AND tags:"b c""#.parse().unwrap();
        assert_eq!(q.0, vec!["a".to_string(), "b c".to_string()]);
        assert_eq!(q.to_string().parse::<TagQuery>().unwrap(), q);
        for bad in [
            "name:x",
            r#"tags:"a" OR tags:"b""#,
            "tags:a",
            r#"tags:"""#,
            "",
        ] {
            assert!(bad.parse::<TagQuery>().is_err(), "{bad}");
        }
    }
}
