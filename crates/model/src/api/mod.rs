//! JSON shapes of the stack's HTTP API, one module per resource.

mod bucket;
mod component;
mod configuration;
mod error;
mod event;
mod file;
mod job;
mod json;
mod metadata;
mod orchestration;
mod project;
mod provisioned;
mod schema;
mod secrets;
mod stack;
mod table;
mod token;
mod user;

pub use bucket::*;
pub use component::*;
pub use configuration::*;
pub use error::*;
pub use event::*;
pub use file::*;
pub use job::*;
pub use json::*;
pub use metadata::*;
pub use orchestration::*;
pub use project::*;
pub use provisioned::*;
pub use schema::{openapi_schemas, RequestBody, REQUEST_BODIES};
pub use secrets::*;
pub use stack::*;
pub use table::*;
pub use token::*;
pub use user::*;
