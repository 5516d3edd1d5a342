//! Configurations, rows, state, versions, trash and configuration metadata. Every route is
//! served under `/v2/storage/components/…` and, the same, `/v2/storage/branch/default/components/…`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{
    ConfigMetadataWrite, ConfigRow, ConfigVersion, Configuration, ConfigurationUpdate,
    MetadataEntry, MetadataWrite, NewConfiguration, NewRow, Rollback, RowUpdate, SecretStatus,
    StateUpdate,
};
use stackport_model::{ComponentId, ConfigId, MetadataId, RowId};
use stackport_stack::{ConfigInclude, MetadataObject};

use crate::api::{Api, Content, Doc};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::extract::{AppJson, Id, Ids, StorageAuth, VersionNumber};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::ConfigListQuery;
use stackport_model::api::query::NoQuery;

/// Which parts a listing carries: all when `include` is absent (or `all` is set), else those
/// named.
pub(super) fn include(parts: Option<&[String]>, all: bool) -> ConfigInclude {
    if all && parts.is_none() {
        return ConfigInclude::ALL;
    }
    let has = |part: &str| parts.unwrap_or_default().iter().any(|p| p == part);
    ConfigInclude {
        configuration: has("configuration"),
        rows: has("rows"),
        state: has("state"),
    }
}

macro_rules! both {
    ($api:expr, $method:ident, $suffix:literal, $handler:expr, $doc:expr) => {
        $api.$method(
            concat!("/v2/storage/components/{component}", $suffix),
            $handler,
            $doc,
        )
        .$method(
            concat!("/v2/storage/branch/default/components/{component}", $suffix),
            $handler,
            $doc,
        )
    };
}

pub fn routes(api: Api) -> Api {
    let api = both!(
        api,
        get,
        "/configs",
        list,
        Doc::storage("List configurations of a component")
            .ok(Content::JsonList("Configuration"))
            .query::<ConfigListQuery>()
    );
    let api = both!(
        api,
        post,
        "/configs",
        create,
        Doc::storage("Create a configuration")
            .body(Content::Json("NewConfiguration"))
            .created("Configuration")
    );
    let api = both!(
        api,
        get,
        "/configs/{config}",
        get,
        Doc::storage("One configuration with rows and state").ok(Content::Json("Configuration"))
    );
    let api = both!(
        api,
        put,
        "/configs/{config}",
        update,
        Doc::storage("Change a configuration (a new version)")
            .body(Content::Json("ConfigurationUpdate"))
            .ok(Content::Json("Configuration"))
    );
    let api = both!(
        api,
        delete,
        "/configs/{config}",
        delete,
        Doc::storage("Move a configuration to the trash; a second delete purges it").no_content()
    );
    let api = both!(
        api,
        post,
        "/configs/{config}/restore",
        restore,
        Doc::storage("Take a configuration out of the trash").ok(Content::Json("Configuration"))
    );
    let api = both!(
        api,
        put,
        "/configs/{config}/state",
        put_state,
        Doc::storage("Replace a configuration's state")
            .body(Content::Json("StateUpdate"))
            .ok(Content::Json("Configuration"))
    );
    let api = both!(
        api,
        get,
        "/configs/{config}/secrets",
        secrets,
        Doc::storage("Which secrets this stack can decrypt (never their values)")
            .ok(Content::JsonList("SecretStatus"))
    );
    let api = both!(
        api,
        get,
        "/configs/{config}/versions",
        versions,
        Doc::storage("Versions, newest first").ok(Content::JsonList("ConfigVersion"))
    );
    let api = both!(
        api,
        get,
        "/configs/{config}/versions/{version}",
        version,
        Doc::storage("One version with its documents and rows").ok(Content::Json("ConfigVersion"))
    );
    let api = both!(
        api,
        post,
        "/configs/{config}/versions/{version}/rollback",
        rollback,
        Doc::storage("Roll back to a version (a new version)")
            .body(Content::Json("Rollback"))
            .ok(Content::Json("Configuration"))
    );
    let api = both!(
        api,
        get,
        "/configs/{config}/rows",
        list_rows,
        Doc::storage("Rows of a configuration").ok(Content::JsonList("ConfigRow"))
    );
    let api = both!(
        api,
        post,
        "/configs/{config}/rows",
        create_row,
        Doc::storage("Add a row")
            .body(Content::Json("NewRow"))
            .created("ConfigRow")
    );
    let api = both!(
        api,
        get,
        "/configs/{config}/rows/{row}",
        get_row,
        Doc::storage("One row").ok(Content::Json("ConfigRow"))
    );
    let api = both!(
        api,
        put,
        "/configs/{config}/rows/{row}",
        update_row,
        Doc::storage("Change a row (a new configuration version)")
            .body(Content::Json("RowUpdate"))
            .ok(Content::Json("ConfigRow"))
    );
    let api = both!(
        api,
        delete,
        "/configs/{config}/rows/{row}",
        delete_row,
        Doc::storage("Delete a row (a new configuration version)").no_content()
    );
    let api = both!(
        api,
        put,
        "/configs/{config}/rows/{row}/state",
        put_row_state,
        Doc::storage("Replace a row's state")
            .body(Content::Json("StateUpdate"))
            .ok(Content::Json("ConfigRow"))
    );
    let api = both!(
        api,
        get,
        "/configs/{config}/metadata",
        list_metadata,
        Doc::storage("A configuration's metadata").ok(Content::JsonList("MetadataEntry"))
    );
    let api = both!(
        api,
        post,
        "/configs/{config}/metadata",
        write_metadata,
        Doc::storage("Write a configuration's metadata (provider `user` when left out)")
            .body(Content::Json("ConfigMetadataWrite"))
            .created("MetadataEntry")
    );
    both!(
        api,
        delete,
        "/configs/{config}/metadata/{metadataId}",
        delete_metadata,
        Doc::storage("Delete one metadata entry of a configuration").no_content()
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(component): Id<ComponentId>,
    ApiQuery(query): ApiQuery<ConfigListQuery>,
) -> Result<Json<Vec<Configuration>>, ApiError> {
    let include = include(query.include.as_deref(), true);
    let deleted = query.is_deleted;
    state
        .run(move |s| s.list_configs(&auth, &component, deleted, include))
        .await
        .map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(component): Id<ComponentId>,
    AppJson(new): AppJson<NewConfiguration>,
) -> Result<(StatusCode, Json<Configuration>), ApiError> {
    let config = state
        .run(move |s| s.create_config(&auth, &component, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(config)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Configuration>, ApiError> {
    state
        .run(move |s| s.get_config(&auth, &component, &config))
        .await
        .map(Json)
}

async fn update(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    AppJson(update): AppJson<ConfigurationUpdate>,
) -> Result<Json<Configuration>, ApiError> {
    state
        .run(move |s| s.update_config(&auth, &component, &config, &update))
        .await
        .map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_config(&auth, &component, &config))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn restore(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
) -> Result<Json<Configuration>, ApiError> {
    state
        .run(move |s| s.restore_config(&auth, &component, &config))
        .await
        .map(Json)
}

async fn put_state(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    AppJson(body): AppJson<StateUpdate>,
) -> Result<Json<Configuration>, ApiError> {
    state
        .run(move |s| s.update_config_state(&auth, &component, &config, &body.state))
        .await
        .map(Json)
}

async fn secrets(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<SecretStatus>>, ApiError> {
    state
        .run(move |s| s.config_secrets(&auth, &component, &config))
        .await
        .map(Json)
}

async fn versions(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<ConfigVersion>>, ApiError> {
    state
        .run(move |s| s.list_config_versions(&auth, &component, &config))
        .await
        .map(Json)
}

async fn version(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config, VersionNumber(version))): Ids<(ComponentId, ConfigId, VersionNumber)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<ConfigVersion>, ApiError> {
    state
        .run(move |s| s.get_config_version(&auth, &component, &config, version))
        .await
        .map(Json)
}

async fn rollback(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config, VersionNumber(version))): Ids<(ComponentId, ConfigId, VersionNumber)>,
    RawBody(body): RawBody,
) -> Result<Json<Configuration>, ApiError> {
    // The body is optional: an empty one rolls back with the default description.
    let change = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<Rollback>(&body)
            .map_err(crate::extract::invalid_body)?
            .change_description
    };
    state
        .run(move |s| s.rollback_config(&auth, &component, &config, version, change.as_deref()))
        .await
        .map(Json)
}

async fn list_rows(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<ConfigRow>>, ApiError> {
    state
        .run(move |s| s.list_rows(&auth, &component, &config))
        .await
        .map(Json)
}

async fn create_row(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    AppJson(new): AppJson<NewRow>,
) -> Result<(StatusCode, Json<ConfigRow>), ApiError> {
    let row = state
        .run(move |s| s.create_row(&auth, &component, &config, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

async fn get_row(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config, row)): Ids<(ComponentId, ConfigId, RowId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<ConfigRow>, ApiError> {
    state
        .run(move |s| s.get_row(&auth, &component, &config, &row))
        .await
        .map(Json)
}

async fn update_row(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config, row)): Ids<(ComponentId, ConfigId, RowId)>,
    AppJson(update): AppJson<RowUpdate>,
) -> Result<Json<ConfigRow>, ApiError> {
    state
        .run(move |s| s.update_row(&auth, &component, &config, &row, &update))
        .await
        .map(Json)
}

async fn delete_row(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config, row)): Ids<(ComponentId, ConfigId, RowId)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_row(&auth, &component, &config, &row))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_row_state(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config, row)): Ids<(ComponentId, ConfigId, RowId)>,
    AppJson(body): AppJson<StateUpdate>,
) -> Result<Json<ConfigRow>, ApiError> {
    state
        .run(move |s| s.update_row_state(&auth, &component, &config, &row, &body.state))
        .await
        .map(Json)
}

async fn list_metadata(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    let object = MetadataObject::Configuration(component, config);
    state
        .run(move |s| s.list_metadata(&auth, &object))
        .await
        .map(Json)
}

async fn write_metadata(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    AppJson(write): AppJson<ConfigMetadataWrite>,
) -> Result<(StatusCode, Json<Vec<MetadataEntry>>), ApiError> {
    let object = MetadataObject::Configuration(component, config);
    let write = MetadataWrite::from(write);
    let entries = state
        .run(move |s| s.write_metadata(&auth, &object, &write))
        .await?;
    Ok((StatusCode::CREATED, Json(entries)))
}

async fn delete_metadata(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config, id)): Ids<(ComponentId, ConfigId, MetadataId)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    let object = MetadataObject::Configuration(component, config);
    state
        .run(move |s| s.delete_metadata(&auth, &object, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
