//! Projects of the stack.

use stackport_model::api::Project;
use stackport_model::ProjectId;

use crate::error::Result;

/// A project to insert; the store mints its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProjectRecord<'a> {
    pub name: &'a str,
    pub backend: &'a str,
    /// The server of the backend the project's tables go to; none for the embedded one.
    pub placement: Option<&'a str>,
    pub created_micros: i64,
}

/// Projects of the stack.
pub trait ProjectStore {
    /// Inserts a project and returns the id the store minted for it; ids are never reused,
    /// also after the project is deleted.
    fn insert_project(&mut self, new: &NewProjectRecord<'_>) -> Result<ProjectId>;
    /// The project, if it exists.
    fn get_project(&mut self, id: ProjectId) -> Result<Option<Project>>;
    /// Every project, by id.
    fn list_projects(&mut self) -> Result<Vec<Project>>;
    /// Deletes the project and every record it holds in the metadata (tokens, buckets, the
    /// catalog, metadata, files' records, configurations, jobs, events, ...). Returns whether
    /// it existed.
    fn delete_project(&mut self, id: ProjectId) -> Result<bool>;
}
