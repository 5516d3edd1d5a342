//! Provisioned resources: `workspaces` and `bi_projects`, passwords kept sealed as given.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{BiProject, TokenRef, Workspace, WorkspaceConnection};
use stackport_model::{ComponentId, ConfigId, ProjectId, TokenId, WorkspaceId};
use stackport_stack::store::{
    NewBiProjectRecord, NewWorkspaceRecord, WorkspaceNames, WorkspaceStore,
};
use stackport_stack::Result;

use crate::row::{parse_column, parse_optional_column};
use crate::SqliteTx;

const WORKSPACE_COLUMNS: &str = "id, component_id, config_id, backend, host, database_name, \
    schema_name, user_name, sealed_password, created, creator_token_id, creator_description, \
    login_type, statement_timeout_seconds, read_only_storage_access";

fn workspace_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Workspace> {
    let schema: String = r.get(6)?;
    Ok(Workspace {
        id: WorkspaceId(r.get(0)?),
        name: schema.clone(),
        workspace_type: stackport_model::api::TABLE_WORKSPACE.to_string(),
        component_id: parse_optional_column(r, 1)?,
        configuration_id: parse_optional_column(r, 2)?,
        connection: WorkspaceConnection {
            backend: r.get(3)?,
            host: r.get(4)?,
            port: None,
            database: r.get(5)?,
            schema,
            user: r.get(7)?,
            login_type: r.get(12)?,
            password: None,
            sealed_password: r.get(8)?,
        },
        statement_timeout_seconds: r.get(13)?,
        read_only_storage_access: r.get(14)?,
        created: stackport_model::time::from_micros(r.get(9)?),
        creator_token: TokenRef {
            id: TokenId(r.get(10)?),
            description: r.get(11)?,
        },
    })
}

const BI_COLUMNS: &str =
    "id, name, account, component_id, config_id, login, sealed_password, created";

fn bi_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BiProject> {
    Ok(BiProject {
        id: r.get(0)?,
        name: r.get(1)?,
        account: r.get(2)?,
        component_id: parse_column(r, 3)?,
        configuration_id: parse_column(r, 4)?,
        login: r.get(5)?,
        password: r.get(6)?,
        created: stackport_model::time::from_micros(r.get(7)?),
    })
}

impl WorkspaceStore for SqliteTx<'_> {
    fn insert_workspace(&mut self, new: &NewWorkspaceRecord<'_>) -> Result<WorkspaceId> {
        self.conn.execute(
            "INSERT INTO workspaces (project_id, component_id, config_id, backend, host, \
             database_name, schema_name, user_name, sealed_password, created, \
             creator_token_id, creator_description, login_type, statement_timeout_seconds, \
             read_only_storage_access, public_key) \
             VALUES (?1, ?2, ?3, ?4, ?5, '', '', '', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                new.project.0,
                new.config.map(|(component, _)| component.as_str()),
                new.config.map(|(_, config)| config.as_str()),
                new.backend,
                new.host,
                new.sealed_password,
                new.created_micros,
                new.creator.id.0,
                new.creator.description,
                new.options.login_type,
                new.options.statement_timeout_seconds,
                new.options.read_only_storage_access,
                new.options.public_key
            ],
        )?;
        Ok(WorkspaceId(self.conn.last_insert_rowid() as u64))
    }

    fn name_workspace(&mut self, id: WorkspaceId, names: &WorkspaceNames<'_>) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE workspaces SET database_name = ?2, schema_name = ?3, user_name = ?4 \
             WHERE id = ?1",
            params![id.0, names.database, names.schema, names.user],
        )? > 0)
    }

    fn get_workspace(&mut self, project: ProjectId, id: WorkspaceId) -> Result<Option<Workspace>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE project_id = ?1 AND id = ?2"
            ))?
            .query_row(params![project.0, id.0], workspace_from_row)
            .optional()?)
    }

    fn list_workspaces(&mut self, project: ProjectId) -> Result<Vec<Workspace>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE project_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([project.0], workspace_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn delete_workspace(&mut self, project: ProjectId, id: WorkspaceId) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM workspaces WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.0],
        )? > 0)
    }

    fn set_workspace_password(
        &mut self,
        project: ProjectId,
        id: WorkspaceId,
        sealed_password: &str,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE workspaces SET sealed_password = ?3 WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.0, sealed_password],
        )? > 0)
    }

    fn set_workspace_public_key(
        &mut self,
        project: ProjectId,
        id: WorkspaceId,
        public_key: &str,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE workspaces SET public_key = ?3 WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.0, public_key],
        )? > 0)
    }

    fn workspace_public_key(
        &mut self,
        project: ProjectId,
        id: WorkspaceId,
    ) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT public_key FROM workspaces WHERE project_id = ?1 AND id = ?2",
                params![project.0, id.0],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    fn insert_bi_project(&mut self, new: &NewBiProjectRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO bi_projects (project_id, id, name, account, component_id, config_id, \
             login, sealed_password, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                new.project.0,
                new.pid,
                new.name,
                new.account,
                new.component.as_str(),
                new.config.as_str(),
                new.login,
                new.sealed_password,
                new.created_micros
            ],
        )?;
        Ok(())
    }

    fn get_bi_project(&mut self, project: ProjectId, pid: &str) -> Result<Option<BiProject>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {BI_COLUMNS} FROM bi_projects WHERE project_id = ?1 AND id = ?2"
            ))?
            .query_row(params![project.0, pid], bi_from_row)
            .optional()?)
    }

    fn bi_project_of_config(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM bi_projects \
                 WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
                params![project.0, component.as_str(), config.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn list_bi_projects(&mut self, project: ProjectId) -> Result<Vec<BiProject>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {BI_COLUMNS} FROM bi_projects WHERE project_id = ?1 ORDER BY created"
        ))?;
        let rows = stmt.query_map([project.0], bi_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
