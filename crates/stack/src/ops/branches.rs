//! The project's one branch. A stack has no development branches: every project has only its
//! main one, answered in the reference's development-branch shape because kbcstorage reads it
//! (`branches.branch_detail('default')`). Its id is the project's, unique on the stack as the
//! reference's branch ids are.

use stackport_model::api::Branch;

use super::auth::TokenAuth;
use crate::error::{Error, Result};
use crate::Stack;

impl Stack {
    /// The project's main branch.
    pub fn default_branch(&self, auth: &TokenAuth) -> Result<Branch> {
        let project = self.get_project(auth.project())?;
        let creator = self.store.read(|tx| {
            Ok(tx
                .tokens()
                .list_tokens(project.id)?
                .into_iter()
                .filter(|t| t.is_master)
                .min_by_key(|t| t.id.0)
                .map(|t| stackport_model::api::TokenRef {
                    id: t.id,
                    description: t.description,
                }))
        })?;
        Ok(Branch {
            id: project.id.0,
            name: "Main".into(),
            description: String::new(),
            is_default: true,
            created: project.created,
            creator_token: creator,
        })
    }

    /// The branch `id` names: `default` or the main branch's numeric id.
    pub fn branch(&self, auth: &TokenAuth, id: &str) -> Result<Branch> {
        let main = self.default_branch(auth)?;
        if id == "default" || id.parse::<u64>().ok() == Some(main.id) {
            return Ok(main);
        }
        Err(Error::not_found(
            "storage.devBranches.notFound",
            format!(
                "branch '{id}' not found: this stack has no development branches; the \
                 project's one branch is 'default' (id {})",
                main.id
            ),
        ))
    }
}
