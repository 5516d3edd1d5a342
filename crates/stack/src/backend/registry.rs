//! The backends a stack offers: the implementations its storage builder provides, matched to the
//! names its settings give, once at `Stack::open`.

use std::sync::Arc;

use stackport_model::BackendName;

use super::TableBackend;
use crate::error::{Error, Result};
use crate::settings::StackSettings;

/// The table backends of one stack, by name: exactly those `stack.json` offers.
pub struct BackendRegistry {
    offered: Vec<Arc<dyn TableBackend>>,
}

impl BackendRegistry {
    /// Matches `implementations` (what this build's storage provides) to `settings.backends`.
    /// A name the settings give that no implementation has is an error naming the setting and
    /// what the build has, so a mistyped `stack.json` stops the stack at start, not at the first
    /// request of a project.
    pub fn new(
        implementations: Vec<Arc<dyn TableBackend>>,
        settings: &StackSettings,
    ) -> Result<BackendRegistry> {
        let placed: Vec<(BackendName, Option<String>)> = implementations
            .iter()
            .map(|b| (b.name(), b.placement().map(str::to_string)))
            .collect();
        if let Some((name, placement)) = repeated(&placed) {
            return Err(Error::internal(
                "building the table backends",
                format!(
                    "the storage provides two backends named '{name}' placed on {}",
                    placement.as_deref().unwrap_or("(no server)")
                ),
            ));
        }
        let mut available: Vec<BackendName> = placed.into_iter().map(|(n, _)| n).collect();
        available.dedup();
        check(&available, settings)?;
        let offered = implementations
            .into_iter()
            .filter(|b| settings.backends.contains(&b.name()))
            .collect();
        Ok(BackendRegistry { offered })
    }

    /// Checks `settings` against the names of a build's implementations without opening
    /// anything, for `stack init`: what [`BackendRegistry::new`] would refuse at `Stack::open`.
    pub fn check(available: &[BackendName], settings: &StackSettings) -> Result<()> {
        check(available, settings)
    }

    /// The backend called `name` on the server `placement` (as a project's record holds
    /// them), if the stack offers one.
    pub fn get(&self, name: &str, placement: Option<&str>) -> Option<&dyn TableBackend> {
        self.offered
            .iter()
            .find(|b| b.name() == name && b.placement() == placement)
            .map(|b| b.as_ref())
    }
}

/// Checks that every backend `settings` name is in `available`, and that the default is one of
/// them; the error names the setting and what this build has.
fn check(available: &[BackendName], settings: &StackSettings) -> Result<()> {
    let has = || {
        available
            .iter()
            .map(BackendName::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(missing) = settings.backends.iter().find(|b| !available.contains(b)) {
        return Err(Error::invalid(
            "stack.invalidSettings",
            format!(
                "backends in stack.json names '{missing}', which this build has no \
                 implementation of; this build has: {}",
                has()
            ),
        ));
    }
    if !settings.backends.contains(&settings.default_backend) {
        return Err(Error::invalid(
            "stack.invalidSettings",
            format!(
                "defaultBackend in stack.json is '{}', which is not one of backends {:?}; \
                 this build has: {}",
                settings.default_backend,
                settings.backends,
                has()
            ),
        ));
    }
    Ok(())
}

fn repeated<T: PartialEq>(names: &[T]) -> Option<&T> {
    names
        .iter()
        .enumerate()
        .find_map(|(i, n)| names[..i].contains(n).then_some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(backends: &[&str], default: &str) -> StackSettings {
        StackSettings {
            backends: backends
                .iter()
                .map(|b| BackendName::parse(b).unwrap())
                .collect(),
            default_backend: BackendName::parse(default).unwrap(),
            ..StackSettings::local_default("127.0.0.1:0")
        }
    }

    fn names(names: &[&str]) -> Vec<BackendName> {
        names
            .iter()
            .map(|n| BackendName::parse(n).unwrap())
            .collect()
    }

    #[test]
    fn settings_naming_only_what_the_build_has_pass() {
        let build = names(&["sqlite", "postgres"]);
        check(&build, &settings(&["sqlite"], "sqlite")).unwrap();
        check(&build, &settings(&["postgres", "sqlite"], "postgres")).unwrap();
    }

    #[test]
    fn a_backend_the_build_lacks_is_named_with_what_it_has() {
        let err = check(
            &names(&["sqlite"]),
            &settings(&["sqlite", "postgres"], "sqlite"),
        )
        .unwrap_err();
        assert_eq!(err.code(), "stack.invalidSettings");
        let m = err.message();
        assert!(m.contains("backends in stack.json names 'postgres'"), "{m}");
        assert!(m.ends_with("this build has: sqlite"), "{m}");
    }

    #[test]
    fn a_default_outside_the_offered_backends_is_refused() {
        let err = check(
            &names(&["sqlite", "postgres"]),
            &settings(&["sqlite"], "postgres"),
        )
        .unwrap_err();
        assert_eq!(err.code(), "stack.invalidSettings");
        let m = err.message();
        assert!(
            m.contains("defaultBackend in stack.json is 'postgres'"),
            "{m}"
        );
        assert!(m.contains(r#"not one of backends ["sqlite"]"#), "{m}");
    }

    #[test]
    fn repeated_names_are_found() {
        assert_eq!(repeated(&names(&["a", "b"])), None);
        assert_eq!(
            repeated(&names(&["a", "b", "a"])).map(BackendName::as_str),
            Some("a")
        );
    }
}
