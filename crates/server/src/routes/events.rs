use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{Event, NewExternalEvent};
use stackport_stack::EventFilter;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, StorageAuth};
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
    .post(
        "/v2/storage/events",
        create,
        Doc::storage("Record an event a component or script reports about its run")
            .body(Content::Json("NewExternalEvent"))
            .created("Event"),
    )
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewExternalEvent>,
) -> Result<(StatusCode, Json<Event>), ApiError> {
    let event = state
        .run(move |s| s.create_external_event(&auth, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(event)))
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
