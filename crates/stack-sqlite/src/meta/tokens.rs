//! Storage API tokens and manage tokens, stored hashed.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::TokenRef;
use stackport_model::{ProjectId, TokenId};
use stackport_stack::store::{
    NewManageTokenRecord, NewTokenRecord, TokenHash, TokenRecord, TokenStore,
};
use stackport_stack::Result;

use crate::row::{from_json, to_json};
use crate::SqliteTx;

const COLUMNS: &str = "id, project_id, description, created, expires, is_master, \
    can_manage_buckets, can_manage_tokens, can_read_all_file_uploads, bucket_permissions, \
    component_access, creator_token_id, creator_description";

/// The hash a token holds between its insert and the moment its id, and so its secret, is
/// known. Not a hex SHA-256, so no secret hashes to it; the insert replaces it before it
/// returns, in the same transaction.
const PENDING_HASH: &str = "pending";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    let creator_id: Option<u64> = r.get(11)?;
    let creator_description: Option<String> = r.get(12)?;
    Ok(TokenRecord {
        id: TokenId(r.get(0)?),
        project: ProjectId(r.get(1)?),
        description: r.get(2)?,
        created: r.get(3)?,
        expires: r.get(4)?,
        is_master: r.get(5)?,
        can_manage_buckets: r.get(6)?,
        can_manage_tokens: r.get(7)?,
        can_read_all_file_uploads: r.get(8)?,
        bucket_permissions: from_json(&r.get::<_, String>(9)?)?,
        component_access: r
            .get::<_, Option<String>>(10)?
            .map(|s| from_json(&s))
            .transpose()?,
        creator: creator_id.map(|id| TokenRef {
            id: TokenId(id),
            description: creator_description.unwrap_or_default(),
        }),
    })
}

impl TokenStore for SqliteTx<'_> {
    fn insert_token(
        &mut self,
        new: &NewTokenRecord<'_>,
        hash_of: &mut dyn FnMut(TokenId) -> TokenHash,
    ) -> Result<TokenId> {
        self.conn
            .prepare_cached(
                "INSERT INTO tokens (project_id, hash, description, created, expires, is_master, \
                 can_manage_buckets, can_manage_tokens, can_read_all_file_uploads, \
                 bucket_permissions, component_access, creator_token_id, creator_description) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                new.project.0,
                PENDING_HASH,
                new.description,
                new.created_micros,
                new.expires_micros,
                new.is_master,
                new.can_manage_buckets,
                new.can_manage_tokens,
                new.can_read_all_file_uploads,
                to_json(new.bucket_permissions),
                new.component_access.map(|c| to_json(&c)),
                new.creator.map(|c| c.id.0),
                new.creator.map(|c| c.description.as_str()),
            ])?;
        let id = TokenId(self.conn.last_insert_rowid() as u64);
        let hash = hash_of(id);
        self.conn.execute(
            "UPDATE tokens SET hash = ?2 WHERE id = ?1",
            params![id.0, hash.as_str()],
        )?;
        Ok(id)
    }

    fn token_by_hash(&mut self, hash: &TokenHash) -> Result<Option<TokenRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM tokens WHERE hash = ?1"))?
            .query_row([hash.as_str()], from_row)
            .optional()?)
    }

    fn get_token(&mut self, project: ProjectId, id: TokenId) -> Result<Option<TokenRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM tokens WHERE id = ?1 AND project_id = ?2"
            ))?
            .query_row(params![id.0, project.0], from_row)
            .optional()?)
    }

    fn list_tokens(&mut self, project: ProjectId) -> Result<Vec<TokenRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM tokens WHERE project_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([project.0], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn delete_token(&mut self, project: ProjectId, id: TokenId) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM tokens WHERE id = ?1 AND project_id = ?2",
            params![id.0, project.0],
        )? > 0)
    }

    fn insert_manage_token(&mut self, new: &NewManageTokenRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO manage_tokens (hash, description, created) VALUES (?1, ?2, ?3)",
            params![new.hash.as_str(), new.description, new.created_micros],
        )?;
        Ok(())
    }

    fn manage_token_exists(&mut self, hash: &TokenHash) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM manage_tokens WHERE hash = ?1")?
            .query_row([hash.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn any_manage_token(&mut self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM manage_tokens LIMIT 1", [], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn delete_manage_tokens(&mut self) -> Result<u64> {
        Ok(self.conn.execute("DELETE FROM manage_tokens", [])? as u64)
    }
}
