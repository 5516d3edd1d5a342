use axum::extract::State;
use axum::Json;
use stackport_model::api::query::NoQuery;
use stackport_model::api::{Component, ComponentConfigurations, ComponentType};

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, ManageAuth, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::{ComponentListQuery, IncludeQuery};
use stackport_model::ComponentId;

pub fn routes(api: Api) -> Api {
    api.get(
        "/manage/components",
        list_registry,
        Doc::manage("The stack's component registry").ok(Content::JsonList("Component")),
    )
    .put(
        "/manage/components",
        replace_registry,
        Doc::manage("Replace the stack's component registry")
            .body(Content::JsonList("Component"))
            .ok(Content::JsonList("Component")),
    )
    .get(
        "/v2/storage/components",
        list_with_configs,
        Doc::storage("Components the project has configurations of, with them")
            .ok(Content::JsonList("ComponentConfigurations"))
            .query::<ComponentListQuery>(),
    )
    .get(
        "/v2/storage/branch/default/components",
        list_with_configs,
        Doc::storage("Same as /v2/storage/components")
            .ok(Content::JsonList("ComponentConfigurations"))
            .query::<ComponentListQuery>(),
    )
    .get(
        "/v2/storage/components/{component}",
        get_one,
        Doc::storage("One component with the project's configurations of it")
            .ok(Content::Json("ComponentConfigurations"))
            .query::<IncludeQuery>(),
    )
    .get(
        "/v2/storage/branch/default/components/{component}",
        get_one,
        Doc::storage("Same as /v2/storage/components/{component}")
            .ok(Content::Json("ComponentConfigurations"))
            .query::<IncludeQuery>(),
    )
}

async fn get_one(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(component): Id<ComponentId>,
    ApiQuery(query): ApiQuery<IncludeQuery>,
) -> Result<Json<ComponentConfigurations>, ApiError> {
    let include = super::configs::include(query.include.as_deref(), false);
    state
        .run(move |s| s.get_component(&auth, &component, include))
        .await
        .map(Json)
}

async fn list_registry(
    State(state): State<AppState>,
    _: ManageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<Component>>, ApiError> {
    state.run(|s| Ok(s.components())).await.map(Json)
}

async fn replace_registry(
    State(state): State<AppState>,
    _: ManageAuth,
    AppJson(components): AppJson<Vec<Component>>,
) -> Result<Json<Vec<Component>>, ApiError> {
    state
        .run(move |s| s.replace_components(components))
        .await
        .map(Json)
}

async fn list_with_configs(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<ComponentListQuery>,
) -> Result<Json<Vec<ComponentConfigurations>>, ApiError> {
    let include = super::configs::include(query.include.as_deref(), false);
    let deleted = query.is_deleted;
    let component_type = match query.component_type {
        None => None,
        Some(t) => Some(
            serde_json::from_value::<ComponentType>(serde_json::Value::String(t.clone())).map_err(
                |_| {
                    ApiError::bad_request(
                        "invalidQuery",
                        format!("componentType '{t}' is not one of extractor, writer, application, transformation, orchestrator"),
                    )
                },
            )?,
        ),
    };
    state
        .run(move |s| s.list_components(&auth, component_type, deleted, include))
        .await
        .map(Json)
}
