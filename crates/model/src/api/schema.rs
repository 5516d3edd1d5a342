//! JSON schemas of the request bodies, derived from the types serde reads them with, so the
//! OpenAPI document cannot describe a body the server would refuse (or the other way round).
//! Typed ids are strings with an example a generator can send; `configuration` and `state`
//! documents are any JSON object.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::component::Component;
use super::configuration::*;
use super::json::RawJson;
use super::{
    ConfigMetadataWrite, MetadataWrite, NewAlias, NewBiProject, NewBucket, NewColumn,
    NewExternalEvent, NewJob, NewOAuthCredentials, NewOrchestration, NewProject, NewProjectUser,
    NewSshKey, NewTable, NewToken, NewWorkspace, OrchestrationUpdate, PrepareFile, PrimaryKey,
    ProjectUserUpdate, WorkspaceLoadRequest, WorkspacePublicKey,
};
use super::{NewTrigger, TriggerUpdate};
use crate::ids::*;

/// One request body type: the name the route table gives it, its schema, and a parse through
/// the real type (for tests that check the two agree).
pub struct RequestBody {
    /// The type's name, as in `Content::Json("NewBucket")`.
    pub name: &'static str,
    /// Adds the type's schema (and those it refers to) to `generator`; returns a `$ref` to it.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// Deserializes `text` as the type, dropping the value.
    pub parse: fn(&str) -> Result<(), serde_json::Error>,
}

macro_rules! request_bodies {
    ($($ty:ident),* $(,)?) => {
        /// Every type the API reads a JSON request body into.
        pub const REQUEST_BODIES: &[RequestBody] = &[$(RequestBody {
            name: stringify!($ty),
            schema: |generator| generator.subschema_for::<$ty>(),
            parse: |text| serde_json::from_str::<$ty>(text).map(drop),
        }),*];
    };
}

request_bodies!(
    NewBucket,
    NewTable,
    NewAlias,
    NewColumn,
    PrimaryKey,
    MetadataWrite,
    ConfigMetadataWrite,
    NewToken,
    NewConfiguration,
    ConfigurationUpdate,
    NewRow,
    RowUpdate,
    StateUpdate,
    Rollback,
    NewOrchestration,
    OrchestrationUpdate,
    NewTrigger,
    TriggerUpdate,
    NewJob,
    NewProject,
    NewProjectUser,
    ProjectUserUpdate,
    NewWorkspace,
    WorkspacePublicKey,
    WorkspaceLoadRequest,
    NewExternalEvent,
    NewBiProject,
    NewOAuthCredentials,
    NewSshKey,
    Component,
    PrepareFile,
);

/// The `components/schemas` of an OpenAPI 3.0 document holding the schemas of the request
/// bodies `names` and of every type they refer to.
pub fn openapi_schemas<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
    for name in names {
        if let Some(body) = REQUEST_BODIES.iter().find(|b| b.name == name) {
            (body.schema)(&mut generator);
        }
    }
    generator.take_definitions(true)
}

/// A string id: its schema has the rule in words and an example that parses.
macro_rules! string_schema {
    ($ty:ty, $description:literal, $example:literal) => {
        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": $description,
                    "examples": [$example],
                })
            }
        }
    };
}

string_schema!(
    BucketId,
    "`in.c-<name>` or `out.c-<name>`; name of letters, digits, `_` and `-`",
    "in.c-sales"
);
string_schema!(TableId, "`<bucketId>.<name>`", "in.c-sales.orders");
string_schema!(
    ColumnName,
    "letters of any script, digits, `_` and `-`, at most 64 characters",
    "id"
);
string_schema!(
    ComponentId,
    "1 to 128 letters, digits, `_`, `-` and `.` (not first)",
    "keboola.ex-db-mysql"
);
string_schema!(
    ConfigId,
    "1 to 128 letters, digits, `_`, `-` and `.` (not first)",
    "orders-db"
);
string_schema!(
    RowId,
    "1 to 128 letters, digits, `_`, `-` and `.` (not first)",
    "orders"
);
string_schema!(
    CredentialsId,
    "1 to 128 letters, digits, `_`, `-` and `.` (not first)",
    "main"
);

impl JsonSchema for OrchestrationId {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "OrchestrationId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "examples": [1] })
    }
}

impl JsonSchema for TokenId {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "TokenId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "examples": [1] })
    }
}

impl JsonSchema for Stage {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Stage".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": ["in", "out"] })
    }
}

impl JsonSchema for RawJson {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "RawJson".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "the component's document, stored and returned byte for byte",
        })
    }
}

/// Hand-written: `component.rs` derives no schema yet. `openapi.rs`'s tests compare it with
/// what serde reads.
impl JsonSchema for Component {
    fn schema_name() -> Cow<'static, str> {
        "Component".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let text_id = json_schema!({ "type": "string", "examples": ["keboola.ex-db-mysql"] });
        json_schema!({
            "type": "object",
            "description": "one entry of the stack's component registry",
            "required": ["id", "type", "name"],
            "properties": {
                "id": text_id,
                "type": {
                    "type": "string",
                    "enum": ["extractor", "writer", "application", "transformation", "orchestrator"]
                },
                "name": { "type": "string" },
                "description": { "type": "string" },
                "flags": { "type": "array", "items": { "type": "string" } },
                "replacedBy": text_id,
                "provisions": { "type": "string", "enum": ["workspace", "bi-project"] },
                "oauth": {
                    "type": "object",
                    "required": ["appKey"],
                    "properties": {
                        "appKey": { "type": "string" },
                        "version": { "type": "string" },
                        "authorizeUrl": { "type": "string" }
                    }
                },
                "runner": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {
                        "kind": { "type": "string", "enum": ["sql", "program"] },
                        "command": { "type": "array", "items": { "type": "string" } },
                        "timeoutSeconds": { "type": "integer", "minimum": 0 }
                    }
                }
            }
        })
    }
}
