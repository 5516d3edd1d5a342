use axum::extract::State;
use axum::Json;
use stackport_model::api::Event;
use stackport_stack::EventFilter;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::StorageAuth;
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::EventListQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/events",
        list,
        Doc::storage("Events of the project, newest first")
            .ok(Content::JsonList("Event"))
            .query::<EventListQuery>(),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<EventListQuery>,
) -> Result<Json<Vec<Event>>, ApiError> {
    let filter = EventFilter {
        object_type: query.object_type,
        object_id: query.object_id,
        since_id: query.since_id,
        limit: query.limit,
    };
    state
        .run(move |s| s.list_events(&auth, &filter))
        .await
        .map(Json)
}
