//! Queries (and form bodies) of storage jobs and the asynchronous table flows. The reference
//! clients send the async operations' parameters as a form body; the server reads that body
//! into these same structs, so a parameter is spelled once whether it comes in the query string
//! or the body.

use super::query;
use crate::FileId;

query! {
    /// `GET /v2/storage/jobs`, newest first.
    pub struct StorageJobListQuery {
        /// At most this many (100 when left out, at most 1000).
        pub limit: Option<u32> = parse "limit",
        /// Skip this many first.
        pub offset: Option<u32> = parse "offset",
    }
}

query! {
    /// `DELETE /v2/storage/tables/{id}`.
    pub struct TableDeleteQuery {
        /// Answer 202 with a storage job that deletes the table, instead of deleting it now.
        pub asynchronous: bool = flag "async",
    }
}

query! {
    /// `POST /v2/storage/buckets/{id}/tables-async`: a table whose columns are the header of a
    /// CSV file, loaded with that file.
    pub struct AsyncTableCreateQuery {
        /// The new table's name (required).
        pub name: Option<String> = string "name",
        /// The Storage file holding the CSV.
        pub data_file_id: Option<FileId> = parse "dataFileId",
        /// A URL to fetch the CSV from instead.
        pub data_url: Option<String> = string "dataUrl",
        /// Field delimiter, `,` by default.
        pub delimiter: Option<String> = string "delimiter",
        /// Enclosure, `"` by default, empty for none.
        pub enclosure: Option<String> = string "enclosure",
        /// An escape character; only empty (none) is supported.
        pub escaped_by: Option<String> = string "escapedBy",
        /// The primary key, comma-separated.
        pub primary_key: Option<Vec<String>> = list "primaryKey",
    }
}
