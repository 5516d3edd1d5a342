//! Projects of the stack.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::Project;
use stackport_model::ProjectId;
use stackport_stack::store::{NewProjectRecord, ProjectStore};
use stackport_stack::Result;

use crate::row::from_json;
use crate::SqliteTx;

const COLUMNS: &str = "id, name, backend, features, created, placement";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    let backend: String = r.get(2)?;
    Ok(Project {
        id: ProjectId(r.get(0)?),
        name: r.get(1)?,
        // A project's workspaces live in its one backend.
        default_backend: backend.clone(),
        backend,
        placement: r.get(5)?,
        features: from_json(&r.get::<_, String>(3)?)?,
        created: stackport_model::time::from_micros(r.get(4)?),
    })
}

/// Tables holding a project's records, children before parents. Configurations, jobs and the
/// rest go with the project through their foreign keys' `ON DELETE CASCADE`.
const PROJECT_TABLES: &[&str] = &["events", "metadata", "files", "tables", "buckets", "tokens"];

impl ProjectStore for SqliteTx<'_> {
    fn insert_project(&mut self, new: &NewProjectRecord<'_>) -> Result<ProjectId> {
        self.conn.execute(
            "INSERT INTO projects (name, backend, placement, created) VALUES (?1, ?2, ?3, ?4)",
            params![new.name, new.backend, new.placement, new.created_micros],
        )?;
        Ok(ProjectId(self.conn.last_insert_rowid() as u64))
    }

    fn get_project(&mut self, id: ProjectId) -> Result<Option<Project>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM projects WHERE id = ?1"),
                [id.0],
                from_row,
            )
            .optional()?)
    }

    fn list_projects(&mut self) -> Result<Vec<Project>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM projects ORDER BY id"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn delete_project(&mut self, id: ProjectId) -> Result<bool> {
        for table in PROJECT_TABLES {
            self.conn.execute(
                &format!("DELETE FROM {table} WHERE project_id = ?1"),
                [id.0],
            )?;
        }
        Ok(self
            .conn
            .execute("DELETE FROM projects WHERE id = ?1", [id.0])?
            > 0)
    }
}
