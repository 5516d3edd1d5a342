//! The orphan sweep: physical tables no catalog entry names.
//!
//! The metadata and the table rows live in different databases, with no transaction across
//! both. A table's DDL runs last inside the catalog's write transaction, so a failure rolls
//! the catalog back; but a crash after the backend committed and before the catalog did leaves
//! a physical table nothing names, and so does a failed drop after a table was deleted. Such a
//! table holds no rows anyone can reach, only disk: the stack drops it when it opens.

use std::collections::HashSet;

use crate::error::Result;
use crate::Stack;

impl Stack {
    /// Drops every physical table the catalog does not name; returns how many. A project
    /// whose sweep fails is logged and left for the next start.
    pub(crate) fn sweep_orphaned_tables(&self) -> Result<usize> {
        let projects = self.store.read(|tx| tx.projects().list_projects())?;
        let mut dropped = 0;
        for project in projects {
            let Ok(backend) = self.project_backend(&project) else {
                // Not this stack's to judge: its tables are not reachable from here at all.
                tracing::warn!(
                    project = %project.id,
                    backend = %project.backend,
                    "not sweeping a project whose backend is not configured"
                );
                continue;
            };
            // As the project's writer and inside a write transaction: a writer creating a table
            // holds both from the DDL to the catalog's commit, so every table found here is
            // either named or orphaned, also when another process serves the same stack.
            let swept = self.as_project_writer(project.id, || {
                self.store.write(|tx| {
                    let named: HashSet<String> = tx
                        .tables()
                        .physical_names(project.id)?
                        .into_iter()
                        .map(|(_, physical)| physical.as_str().to_string())
                        .collect();
                    let mut n = 0;
                    for name in orphans(backend.list_physical(project.id)?, &named) {
                        tracing::warn!(
                            project = %project.id,
                            table = %name,
                            "dropping a physical table the catalog does not name (left by a crash)"
                        );
                        backend.drop_physical(project.id, &name)?;
                        n += 1;
                    }
                    Ok(n)
                })
            });
            match swept {
                Ok(n) => dropped += n,
                // An orphan costs disk, not correctness: the stack opens, the next start retries.
                Err(e) => tracing::warn!(
                    project = %project.id,
                    error = %e,
                    "sweeping orphaned physical tables failed"
                ),
            }
        }
        Ok(dropped)
    }
}

/// The names in `found` that `named` does not hold.
fn orphans(found: Vec<String>, named: &HashSet<String>) -> Vec<String> {
    found.into_iter().filter(|n| !named.contains(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_the_catalog_does_not_hold_are_orphans() {
        let named: HashSet<String> = ["t_a".to_string(), "t_b".to_string()].into();
        let found = vec!["t_a".into(), "t_x".into(), "t_b".into(), "t_y".into()];
        assert_eq!(orphans(found, &named), ["t_x", "t_y"]);
        assert!(orphans(vec!["t_a".into()], &named).is_empty());
        assert!(orphans(Vec::new(), &HashSet::new()).is_empty());
    }
}
