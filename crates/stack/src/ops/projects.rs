//! Projects: created and removed by the stack administrator.

use serde_json::json;
use stackport_model::api::{CreatedProject, NewProject, NewToken, Project, Token};
use stackport_model::{BackendName, ProjectId};

use super::events::{record, NewEvent};
use super::tokens::insert_token;
use crate::error::{Error, Result};
use crate::store::NewProjectRecord;
use crate::Stack;

fn project_not_found(id: ProjectId) -> Error {
    Error::not_found(
        "manage.projects.notFound",
        format!("project {id} not found"),
    )
}

impl Stack {
    /// Creates a project and its first master token.
    pub fn create_project(&self, new: &NewProject) -> Result<CreatedProject> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::invalid(
                "manage.projects.invalidName",
                "name is required and may have at most 200 characters",
            ));
        }
        let backend = new
            .backend
            .clone()
            .unwrap_or_else(|| self.settings.default_backend.to_string());
        if !self.settings.backends.iter().any(|b| *b == backend) {
            return Err(Error::invalid(
                "manage.projects.unknownBackend",
                format!(
                    "backend '{backend}' is not offered by stack {}; it offers {:?}",
                    self.settings.id, self.settings.backends
                ),
            ));
        }
        let now = self.now_micros();
        self.store.write(|tx| {
            let placement = self.place_project(&backend, &tx.projects().list_projects()?)?;
            let id = tx.projects().insert_project(&NewProjectRecord {
                name,
                backend: &backend,
                placement: placement.as_deref(),
                created_micros: now,
            })?;
            record(
                tx,
                id,
                None,
                NewEvent {
                    event: "storage.projectCreated",
                    message: format!("Project {id} ({name}) created"),
                    object_type: "project",
                    object_id: id.to_string(),
                    params: json!({ "name": name, "backend": backend, "placement": placement }),
                },
            )?;
            let token = insert_token(tx, id, &master_token_request("Master token"), true, None)?;
            let project = tx
                .projects()
                .get_project(id)?
                .ok_or_else(|| project_not_found(id))?;
            Ok(CreatedProject {
                project,
                token: token.token.unwrap_or_default(),
            })
        })
    }

    /// The server a new project of `backend` goes to: for PostgreSQL, of the registered servers
    /// that accept new projects, the one holding the fewest projects (the first on a tie), so
    /// a server added to a full stack takes the new projects until it holds as many. None for a
    /// backend with one place only.
    fn place_project(&self, backend: &str, existing: &[Project]) -> Result<Option<String>> {
        if backend != BackendName::POSTGRESQL.as_str() {
            return Ok(None);
        }
        let open = self
            .settings
            .postgres
            .iter()
            .filter(|s| s.accepts_new_projects);
        let chosen = open.min_by_key(|server| {
            existing
                .iter()
                .filter(|p| p.backend == backend && p.placement.as_deref() == Some(&server.id))
                .count()
        });
        match chosen {
            Some(server) => Ok(Some(server.id.clone())),
            None => Err(Error::new(
                crate::ErrorKind::Unavailable,
                "manage.projects.noServer",
                format!(
                    "no PostgreSQL server of stack {} accepts new projects (every one has \
                     acceptsNewProjects: false in stack.json); register another with \
                     `stackport stack add-postgres` or let one accept new projects",
                    self.settings.id
                ),
            )),
        }
    }

    /// All projects of the stack.
    pub fn list_projects(&self) -> Result<Vec<Project>> {
        self.store.read(|tx| tx.projects().list_projects())
    }

    /// One project.
    pub fn get_project(&self, id: ProjectId) -> Result<Project> {
        self.store
            .read(|tx| tx.projects().get_project(id))?
            .ok_or_else(|| project_not_found(id))
    }

    /// Deletes a project with all it holds: metadata, tokens, table data and files.
    pub fn delete_project(&self, id: ProjectId) -> Result<()> {
        let project = self.get_project(id)?;
        self.store.write(|tx| tx.projects().delete_project(id))?;
        self.project_backend(&project)?.drop_project(id)?;
        self.files.delete_project(id)?;
        match std::fs::remove_dir_all(self.dir.join("workspaces").join(id.to_string())) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Issues a new master token for a project, shown once.
    pub fn create_master_token(&self, id: ProjectId, description: Option<&str>) -> Result<Token> {
        self.get_project(id)?;
        let request = master_token_request(description.unwrap_or("Master token"));
        self.store
            .write(|tx| insert_token(tx, id, &request, true, None))
    }
}

fn master_token_request(description: &str) -> NewToken {
    NewToken {
        description: description.into(),
        can_manage_buckets: true,
        can_manage_tokens: true,
        can_read_all_file_uploads: true,
        ..Default::default()
    }
}
