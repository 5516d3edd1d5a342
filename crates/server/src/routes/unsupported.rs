//! Reference endpoints for features the stack does not have. They answer 501 with what to do
//! instead rather than the generic 404: kbcstorage (and a script's author) can tell a missing
//! feature from a typo, and a 501 is the one 5xx the client does not retry for minutes.

use axum::extract::State;

use crate::api::{Api, Doc};
use crate::error::ApiError;
use crate::extract::StorageAuth;
use crate::AppState;

const SHARING: &str = "bucket sharing and linking: a stack serves each project on its own, \
    with no organization to share buckets in; copy the data instead (export the tables and \
    import them in the other project, or migrate the project with `stackport migrate`)";

fn not_implemented(summary: &'static str) -> Doc {
    Doc {
        status: 501,
        ..Doc::storage(summary)
    }
}

pub fn routes(api: Api) -> Api {
    let doc = || not_implemented("Bucket sharing: not on a stack (501)");
    api.post(
        "/v2/storage/buckets/{id}/share-organization",
        sharing,
        doc(),
    )
    .post(
        "/v2/storage/buckets/{id}/share-organization-project",
        sharing,
        doc(),
    )
    .post("/v2/storage/buckets/{id}/share-to-projects", sharing, doc())
    .post("/v2/storage/buckets/{id}/share-to-users", sharing, doc())
    .put("/v2/storage/buckets/{id}/share", sharing, doc())
    .delete("/v2/storage/buckets/{id}/share", sharing, doc())
    .get("/v2/storage/shared-buckets", sharing, doc())
}

async fn sharing(State(_): State<AppState>, StorageAuth(_): StorageAuth) -> Result<(), ApiError> {
    Err(stackport_stack::Error::not_implemented(
        "storage.buckets.sharingNotSupported",
        format!("this stack has no {SHARING}"),
    )
    .into())
}
