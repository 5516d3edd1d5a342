//! Sealing secrets: the encrypt endpoint, sealing `#` values when configurations are saved, and
//! telling which secrets of a configuration this stack can open. Nothing here returns plaintext;
//! [`Stack::open_secrets`] is for the stack's own job runner.

use stackport_model::api::{RawJson, SecretState, SecretStatus};
use stackport_model::{ComponentId, ConfigId, ProjectId};

use crate::error::{Error, Result};
use crate::secrets::{is_encrypted, rewrite_secrets, secret_values, Binding, OpenError, Scope};
use crate::Stack;

/// Largest body the encrypt endpoint takes.
pub const MAX_ENCRYPT_BYTES: usize = 4 * 1024 * 1024;

fn scan_error(what: &str, e: crate::secrets::ScanError) -> Error {
    Error::invalid(
        "encryption.invalidJson",
        format!("{what} is not valid JSON: {}", e.0),
    )
}

impl Stack {
    /// Refuses a document nested deeper than `limits.maxJsonDepth`, before anything recurses
    /// over it.
    pub fn check_json_depth(&self, doc: &str, what: &str) -> Result<()> {
        stackport_model::json_depth::check(doc.as_bytes(), self.settings.limits.max_json_depth)
            .map_err(|e| {
                Error::invalid(
                    "invalidBody.tooDeep",
                    format!(
                        "{what}: {e}; this stack's limit is limits.maxJsonDepth = {}",
                        self.settings.limits.max_json_depth
                    ),
                )
            })
    }

    fn binding_for(
        project: Option<ProjectId>,
        component: Option<&ComponentId>,
        config: Option<&ConfigId>,
    ) -> Binding {
        Binding {
            project: project.map(|p| p.0),
            component: component.map(|c| c.to_string()),
            config: config.map(|c| c.to_string()),
        }
    }

    /// `POST /v2/encryption/encrypt` with a JSON body: seals every plaintext `#` value for the
    /// narrowest scope the ids give. The ids need not exist, as on the reference platform: the
    /// caller only ever gets ciphertexts.
    pub fn encrypt_json(
        &self,
        project: Option<ProjectId>,
        component: Option<&ComponentId>,
        config: Option<&ConfigId>,
        body: &str,
    ) -> Result<String> {
        let binding = Self::binding_for(project, component, config);
        let scope = encrypt_scope(&binding)?;
        self.check_json_depth(body, "the body")?;
        serde_json::from_str::<&serde_json::value::RawValue>(body).map_err(|e| {
            Error::invalid(
                "encryption.invalidJson",
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        let sealed = rewrite_secrets::<Error>(body, &mut |s| {
            // An empty value is "not set": sealing it would make it look like a secret is there.
            Ok((!is_encrypted(&s.value) && !s.value.is_empty())
                .then(|| self.keyring.seal(scope, &binding, &s.value)))
        })
        .map_err(|e| scan_error("the body", e))??;
        Ok(sealed)
    }

    /// `POST /v2/encryption/encrypt` with a text body: seals the whole text (unless it is a
    /// ciphertext already).
    pub fn encrypt_text(
        &self,
        project: Option<ProjectId>,
        component: Option<&ComponentId>,
        config: Option<&ConfigId>,
        text: &str,
    ) -> Result<String> {
        let binding = Self::binding_for(project, component, config);
        let scope = encrypt_scope(&binding)?;
        if is_encrypted(text) {
            return Ok(text.to_string());
        }
        Ok(self.keyring.seal(scope, &binding, text))
    }

    /// Seals the plaintext `#` values of a configuration document before it is stored, for the
    /// component in the project (`KBC::ProjectSecure::`). Ciphertexts pass as they are.
    pub(crate) fn seal_document(
        &self,
        project: ProjectId,
        component: &ComponentId,
        doc: &RawJson,
    ) -> Result<RawJson> {
        let binding = Self::binding_for(Some(project), Some(component), None);
        let mut changed = false;
        let sealed = rewrite_secrets::<Error>(doc.get(), &mut |s| {
            if is_encrypted(&s.value) || s.value.is_empty() {
                return Ok(None);
            }
            changed = true;
            Ok(Some(self.keyring.seal(Scope::Project, &binding, &s.value)))
        })
        .map_err(|e| scan_error("the configuration", e))??;
        if !changed {
            return Ok(doc.clone());
        }
        RawJson::from_string(sealed).map_err(|e| Error::internal("sealing secrets", e))
    }

    /// Seals one value for the whole project (`KBC::ProjectWideSecure::`): SSH keys and
    /// credentials the stack generates.
    pub(crate) fn seal_project_wide(&self, project: ProjectId, plaintext: &str) -> String {
        let binding = Self::binding_for(Some(project), None, None);
        self.keyring.seal(Scope::ProjectWide, &binding, plaintext)
    }

    /// What only the stack's own storage jobs open: bound to a component no configuration is
    /// of, so no component's job (which opens its own configuration's secrets, and the
    /// project-wide ones) can be handed one to open.
    fn storage_job_binding(project: ProjectId) -> Binding {
        Binding {
            project: Some(project.0),
            component: Some("stackport.storage-jobs".into()),
            config: Some("params".into()),
        }
    }

    /// Seals a storage job's parameter (a `dataUrl` whose query is a credential).
    pub(crate) fn seal_for_storage_job(&self, project: ProjectId, plaintext: &str) -> String {
        self.keyring.seal(
            Scope::Config,
            &Self::storage_job_binding(project),
            plaintext,
        )
    }

    /// Opens what [`Stack::seal_for_storage_job`] sealed for `project`.
    pub(crate) fn open_for_storage_job(&self, project: ProjectId, sealed: &str) -> Result<String> {
        let binding = Self::storage_job_binding(project);
        self.keyring.open(&binding, sealed).map_err(|e| {
            Error::invalid(
                "storage.jobs.invalidParams",
                format!("a sealed value of the job does not open ({e:?}); ask again"),
            )
        })
    }

    /// Opens a value [`Stack::seal_for_config`] (with `config`) or
    /// [`Stack::seal_project_wide`] (without) sealed: a workspace's password, for the stack to
    /// log in as the workspace's own user.
    pub(crate) fn open_sealed(
        &self,
        project: ProjectId,
        config: Option<(&ComponentId, &ConfigId)>,
        sealed: &str,
    ) -> Result<String> {
        let binding = match config {
            Some((component, config)) => {
                Self::binding_for(Some(project), Some(component), Some(config))
            }
            None => Self::binding_for(Some(project), None, None),
        };
        self.keyring.open(&binding, sealed).map_err(|e| {
            Error::internal(
                "opening a sealed value of the stack's own",
                format!("it does not open on this stack ({e:?})"),
            )
        })
    }

    /// Seals one value for one configuration (`KBC::ConfigSecure::`).
    pub(crate) fn seal_for_config(
        &self,
        project: ProjectId,
        component: &ComponentId,
        config: &ConfigId,
        plaintext: &str,
    ) -> String {
        let binding = Self::binding_for(Some(project), Some(component), Some(config));
        self.keyring.seal(Scope::Config, &binding, plaintext)
    }

    /// Which secrets of a document this stack could open for the configuration; `prefix` goes
    /// in front of each path.
    pub(crate) fn secret_statuses(
        &self,
        project: ProjectId,
        component: &ComponentId,
        config: &ConfigId,
        doc: &RawJson,
        prefix: &str,
    ) -> Result<Vec<SecretStatus>> {
        let binding = Self::binding_for(Some(project), Some(component), Some(config));
        let values = secret_values(doc.get()).map_err(|e| scan_error("a stored document", e))?;
        Ok(values
            .into_iter()
            .map(|(path, value)| {
                let status = if value.is_empty() {
                    SecretState::Empty
                } else if value.trim_start().starts_with("{{") {
                    SecretState::Reference
                } else {
                    match self.keyring.open(&binding, &value) {
                        Ok(_) => SecretState::Ok,
                        Err(OpenError::Malformed)
                        | Err(OpenError::WrongBinding)
                        | Err(OpenError::OutOfScope) => SecretState::Undecryptable,
                    }
                };
                SecretStatus {
                    path: format!("{prefix}{path}"),
                    status,
                }
            })
            .collect())
    }

    /// The document with its secrets opened, for a job of the stack itself; never for an API
    /// answer. A secret that does not open fails the whole document, naming its path.
    pub fn open_secrets(
        &self,
        project: ProjectId,
        component: &ComponentId,
        config: &ConfigId,
        doc: &RawJson,
    ) -> Result<String> {
        let binding = Self::binding_for(Some(project), Some(component), Some(config));
        rewrite_secrets::<Error>(doc.get(), &mut |s| {
            if s.value.is_empty() || s.value.trim_start().starts_with("{{") {
                return Ok(None);
            }
            self.keyring
                .open(&binding, &s.value)
                .map(Some)
                .map_err(|_| {
                    Error::invalid(
                        "encryption.cannotDecrypt",
                        format!(
                        "secret {} of configuration {config} ({component}) cannot be decrypted on \
                         this stack; enter the value again",
                        s.path
                    ),
                    )
                })
        })
        .map_err(|e| scan_error("the configuration", e))?
    }
}

fn encrypt_scope(binding: &Binding) -> Result<Scope> {
    binding.scope().ok_or_else(|| {
        Error::invalid(
            "encryption.invalidScope",
            "configId needs both projectId and componentId; give componentId, projectId, or both",
        )
    })
}
