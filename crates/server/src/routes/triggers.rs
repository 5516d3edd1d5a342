use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::query::{NoQuery, TriggerListQuery};
use stackport_model::api::{NewTrigger, Trigger, TriggerUpdate};
use stackport_model::TriggerId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, AppJsonLists, FormLists, Id, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;

impl FormLists for TriggerUpdate {
    const LIST_FIELDS: &'static [&'static str] = TriggerUpdate::LIST_FIELDS;
}

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/triggers",
        list,
        Doc::storage("The project's triggers, optionally of one component or configuration")
            .ok(Content::JsonList("Trigger"))
            .query::<TriggerListQuery>(),
    )
    .post(
        "/v2/storage/triggers",
        create,
        Doc::storage(
            "Create a trigger: run a configuration once all its tables have been imported into",
        )
        .body(Content::Json("NewTrigger"))
        .created("Trigger"),
    )
    .get(
        "/v2/storage/triggers/{id}",
        get,
        Doc::storage("One trigger").ok(Content::Json("Trigger")),
    )
    .put(
        "/v2/storage/triggers/{id}",
        update,
        Doc::storage("Change a trigger")
            .body(Content::Json("TriggerUpdate"))
            .ok(Content::Json("Trigger")),
    )
    .delete(
        "/v2/storage/triggers/{id}",
        delete,
        Doc::storage("Delete a trigger").no_content(),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<TriggerListQuery>,
) -> Result<Json<Vec<Trigger>>, ApiError> {
    state
        .run(move |s| {
            s.list_triggers(
                &auth,
                query.component.as_deref(),
                query.configuration_id.as_deref(),
            )
        })
        .await
        .map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewTrigger>,
) -> Result<(StatusCode, Json<Trigger>), ApiError> {
    let created = state.run(move |s| s.create_trigger(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TriggerId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Trigger>, ApiError> {
    state.run(move |s| s.get_trigger(&auth, id)).await.map(Json)
}

async fn update(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TriggerId>,
    AppJsonLists(update): AppJsonLists<TriggerUpdate>,
) -> Result<Json<Trigger>, ApiError> {
    state
        .run(move |s| s.update_trigger(&auth, id, &update))
        .await
        .map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TriggerId>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_trigger(&auth, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
