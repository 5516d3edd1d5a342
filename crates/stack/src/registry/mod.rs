//! The stack's component registry: which components exist here, which are deprecated, and what
//! the stack provisions or authorizes for them. Kept in `components.json` in the data dir, so an
//! administrator can edit it by hand or through `PUT /manage/components`; two stacks may differ.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use stackport_model::api::Component;
use stackport_model::ComponentId;

use crate::error::{Error, Result};

/// What a fresh stack starts with.
const DEFAULT: &str = include_str!("default-components.json");

/// The registry file name in a data dir.
pub const REGISTRY_FILE: &str = "components.json";

pub(crate) struct Registry {
    path: PathBuf,
    components: RwLock<Vec<Component>>,
}

impl Registry {
    /// Reads the registry of the data dir, writing the default one first if there is none.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(REGISTRY_FILE);
        if !path.exists() {
            crate::fsutil::write_atomic(&path, DEFAULT.as_bytes(), false)?;
        }
        let text = std::fs::read_to_string(&path)?;
        let components = parse(&text).map_err(|e| e.context(path.display()))?;
        Ok(Registry {
            path,
            components: RwLock::new(components),
        })
    }

    /// All components, in registry order.
    pub fn all(&self) -> Vec<Component> {
        self.components
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// One component, if the stack has it.
    pub fn get(&self, id: &ComponentId) -> Option<Component> {
        self.components
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|c| &c.id == id)
            .cloned()
    }

    /// One component, or a 400 naming it.
    pub fn require(&self, id: &ComponentId) -> Result<Component> {
        self.get(id).ok_or_else(|| {
            Error::invalid(
                "components.unknown",
                format!(
                    "component {id} does not exist on this stack; see GET /v2/storage for the \
                     components it has"
                ),
            )
        })
    }

    /// Replaces the whole registry, on disk first.
    pub fn replace(&self, components: Vec<Component>) -> Result<()> {
        validate(&components)?;
        let mut current = self.components.write().unwrap_or_else(|e| e.into_inner());
        let text = serde_json::to_string_pretty(&components)?;
        crate::fsutil::write_atomic(&self.path, format!("{text}\n").as_bytes(), false)?;
        *current = components;
        Ok(())
    }
}

fn parse(text: &str) -> Result<Vec<Component>> {
    let components: Vec<Component> = serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            "components.invalidRegistry",
            format!("the component registry is not valid: {e}"),
        )
    })?;
    validate(&components)?;
    Ok(components)
}

fn validate(components: &[Component]) -> Result<()> {
    let bad = |m: String| Err(Error::invalid("components.invalidRegistry", m));
    let mut seen = HashSet::new();
    for c in components {
        if !seen.insert(&c.id) {
            return bad(format!("component {} is listed twice", c.id));
        }
        if c.name.trim().is_empty() {
            return bad(format!("component {} has no name", c.id));
        }
        if c.runner.as_ref().and_then(|r| r.timeout_seconds()) == Some(0) {
            return bad(format!(
                "component {}: runner.timeoutSeconds must be at least 1; leave it out for the \
                 stack's jobs.timeLimitSeconds",
                c.id
            ));
        }
    }
    for c in components {
        if let Some(to) = &c.replaced_by {
            if !seen.contains(to) {
                return bad(format!(
                    "component {} is replaced by {to}, which is not in the registry",
                    c.id
                ));
            }
            if to == &c.id {
                return bad(format!("component {} cannot replace itself", c.id));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_registry_is_valid_and_varied() {
        let all = parse(DEFAULT).unwrap();
        assert!(all.len() >= 30);
        assert!(all
            .iter()
            .any(|c| c.is_deprecated() && c.replaced_by.is_some()));
        assert!(all.iter().any(|c| c.provisions.is_some()));
        assert!(all.iter().any(|c| c.oauth.is_some()));
    }
}
