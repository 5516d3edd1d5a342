//! Ciphertexts of secret values: `KBC::<Scope>::<base64>`, sealed with XChaCha20-Poly1305 under a
//! key derived from the stack's master key for exactly one binding (stack, project, component,
//! config). A ciphertext moved to another project, component, config or stack fails to open.
//!
//! The binding is not written into the ciphertext; whoever opens it must know where it belongs.
//! That is what makes a copy useless: the reader supplies its own binding, and the tag does not
//! match.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::Rng;
use sha2::Sha256;

/// How widely a ciphertext may be opened, as in the reference platform's prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere on the stack.
    Stack,
    /// By one component in every project.
    Component,
    /// By one component in one project (what configurations get).
    Project,
    /// By one configuration.
    Config,
    /// By every component of one project (SSH keys).
    ProjectWide,
}

impl Scope {
    const ALL: [Scope; 5] = [
        Scope::Stack,
        Scope::Component,
        Scope::Project,
        Scope::Config,
        Scope::ProjectWide,
    ];

    /// The ciphertext prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Scope::Stack => "KBC::Secure::",
            Scope::Component => "KBC::ComponentSecure::",
            Scope::Project => "KBC::ProjectSecure::",
            Scope::Config => "KBC::ConfigSecure::",
            Scope::ProjectWide => "KBC::ProjectWideSecure::",
        }
    }
}

/// Where a secret belongs. Fields a scope does not bind are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Binding {
    pub project: Option<u64>,
    pub component: Option<String>,
    pub config: Option<String>,
}

impl Binding {
    /// The narrowest scope these fields allow; `None` when they do not form one (a config
    /// without a project, say).
    pub fn scope(&self) -> Option<Scope> {
        match (&self.project, &self.component, &self.config) {
            (None, None, None) => Some(Scope::Stack),
            (None, Some(_), None) => Some(Scope::Component),
            (Some(_), Some(_), None) => Some(Scope::Project),
            (Some(_), Some(_), Some(_)) => Some(Scope::Config),
            (Some(_), None, None) => Some(Scope::ProjectWide),
            _ => None,
        }
    }

    /// The authenticated context of `scope`: only the fields the scope binds.
    fn context(&self, stack: &str, scope: Scope) -> String {
        let project = self.project.map(|p| p.to_string()).unwrap_or_default();
        let component = self.component.as_deref().unwrap_or("");
        let config = self.config.as_deref().unwrap_or("");
        let (project, component, config) = match scope {
            Scope::Stack => ("", "", ""),
            Scope::Component => ("", component, ""),
            Scope::Project => (project.as_str(), component, ""),
            Scope::Config => (project.as_str(), component, config),
            Scope::ProjectWide => (project.as_str(), "", ""),
        };
        // Lengths make the fields unambiguous whatever characters the ids contain.
        let mut out = format!("stackport-secret-v1|{}", scope.prefix());
        for field in [stack, project, component, config] {
            out.push_str(&format!("|{}:{field}", field.len()));
        }
        out
    }
}

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// Whether a value is already a ciphertext (ours or a form the reference platform produced) or a
/// placeholder resolved at run time; such values are never encrypted again.
pub fn is_encrypted(value: &str) -> bool {
    const LEGACY: [&str; 3] = [
        "KBC::Encrypted==",
        "KBC::ComponentEncrypted==",
        "KBC::ComponentProjectEncrypted==",
    ];
    if LEGACY.iter().any(|p| value.starts_with(p)) {
        return true;
    }
    let trimmed = value.trim();
    if trimmed.starts_with("{{") && trimmed.ends_with("}}") {
        return true;
    }
    let Some(rest) = value.strip_prefix("KBC::") else {
        return false;
    };
    match rest.split_once("::") {
        Some((name, body)) => {
            name.contains("Secure")
                && name.bytes().all(|b| b.is_ascii_alphabetic())
                && !body.is_empty()
        }
        None => false,
    }
}

/// Seals and opens secrets with one stack's master key.
pub struct Keyring {
    stack_id: String,
    master: [u8; 32],
}

/// Why a ciphertext could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Not one of our ciphertexts at all (or damaged beyond reading).
    Malformed,
    /// A ciphertext of ours, but not for this place (another project, component, config or
    /// stack), or tampered with.
    WrongBinding,
    /// The scope is one this binding cannot open at all (a config cipher read without a config).
    OutOfScope,
}

impl Keyring {
    pub fn new(stack_id: &str, master: [u8; 32]) -> Self {
        Keyring {
            stack_id: stack_id.to_string(),
            master,
        }
    }

    fn cipher(&self, context: &str) -> XChaCha20Poly1305 {
        let hk = Hkdf::<Sha256>::new(Some(b"stackport secrets"), &self.master);
        let mut key = [0u8; 32];
        hk.expand(context.as_bytes(), &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        XChaCha20Poly1305::new_from_slice(&key).expect("the key is 32 bytes")
    }

    /// A key of its own for `purpose` (signing blob access signatures), derived from the master
    /// key: what it signs can be checked only by this stack, and it opens no secret.
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        let hk = Hkdf::<Sha256>::new(Some(b"stackport keys"), &self.master);
        let mut key = [0u8; 32];
        hk.expand(format!("{}\n{purpose}", self.stack_id).as_bytes(), &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        key
    }

    /// Seals `plaintext` for `binding` at `scope`.
    pub fn seal(&self, scope: Scope, binding: &Binding, plaintext: &str) -> String {
        let context = binding.context(&self.stack_id, scope);
        let nonce_bytes: [u8; NONCE_LEN] = rand::rng().random();
        let nonce = XNonce::try_from(&nonce_bytes[..]).expect("nonce length");
        let sealed = self
            .cipher(&context)
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 sealing cannot fail for in-memory input");
        let mut body = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        body.push(VERSION);
        body.extend_from_slice(&nonce_bytes);
        body.extend_from_slice(&sealed);
        format!(
            "{}{}",
            scope.prefix(),
            base64::engine::general_purpose::STANDARD.encode(body)
        )
    }

    /// Opens a ciphertext as read from `binding` (the place it is used in).
    pub fn open(&self, binding: &Binding, ciphertext: &str) -> Result<String, OpenError> {
        let (scope, body) = Scope::ALL
            .iter()
            .find_map(|s| ciphertext.strip_prefix(s.prefix()).map(|b| (*s, b)))
            .ok_or(OpenError::Malformed)?;
        let needed = match scope {
            Scope::Stack => true,
            Scope::Component => binding.component.is_some(),
            Scope::Project => binding.component.is_some() && binding.project.is_some(),
            Scope::Config => binding.scope() == Some(Scope::Config),
            Scope::ProjectWide => binding.project.is_some(),
        };
        if !needed {
            return Err(OpenError::OutOfScope);
        }
        let body = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| OpenError::Malformed)?;
        if body.len() < 1 + NONCE_LEN + 16 || body[0] != VERSION {
            return Err(OpenError::Malformed);
        }
        let nonce = XNonce::try_from(&body[1..1 + NONCE_LEN]).map_err(|_| OpenError::Malformed)?;
        let context = binding.context(&self.stack_id, scope);
        let plain = self
            .cipher(&context)
            .decrypt(
                &nonce,
                Payload {
                    msg: &body[1 + NONCE_LEN..],
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError::WrongBinding)?;
        String::from_utf8(plain).map_err(|_| OpenError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(project: u64, component: &str, config: Option<&str>) -> Binding {
        Binding {
            project: Some(project),
            component: Some(component.into()),
            config: config.map(String::from),
        }
    }

    #[test]
    fn opens_only_where_it_was_sealed() {
        let ring = Keyring::new("eu", [7; 32]);
        let c = ring.seal(Scope::Project, &at(1, "ex-db", None), "hunter2");
        assert!(c.starts_with("KBC::ProjectSecure::"));
        assert!(is_encrypted(&c));
        assert_eq!(
            ring.open(&at(1, "ex-db", Some("42")), &c).unwrap(),
            "hunter2"
        );
        assert_eq!(
            ring.open(&at(2, "ex-db", None), &c),
            Err(OpenError::WrongBinding)
        );
        assert_eq!(
            ring.open(&at(1, "ex-other", None), &c),
            Err(OpenError::WrongBinding)
        );
        let other_stack = Keyring::new("us", [7; 32]);
        assert_eq!(
            other_stack.open(&at(1, "ex-db", None), &c),
            Err(OpenError::WrongBinding)
        );
        let other_key = Keyring::new("eu", [8; 32]);
        assert_eq!(
            other_key.open(&at(1, "ex-db", None), &c),
            Err(OpenError::WrongBinding)
        );
    }

    #[test]
    fn config_scope_stops_copies_between_configs() {
        let ring = Keyring::new("eu", [1; 32]);
        let c = ring.seal(Scope::Config, &at(1, "wr", Some("a")), "s");
        assert_eq!(ring.open(&at(1, "wr", Some("a")), &c).unwrap(), "s");
        assert_eq!(
            ring.open(&at(1, "wr", Some("b")), &c),
            Err(OpenError::WrongBinding)
        );
        assert_eq!(
            ring.open(&at(1, "wr", None), &c),
            Err(OpenError::OutOfScope)
        );
    }

    #[test]
    fn project_wide_opens_in_every_component_of_the_project() {
        let ring = Keyring::new("eu", [1; 32]);
        let wide = Binding {
            project: Some(5),
            ..Binding::default()
        };
        let c = ring.seal(Scope::ProjectWide, &wide, "key");
        assert_eq!(ring.open(&at(5, "a", None), &c).unwrap(), "key");
        assert_eq!(ring.open(&at(5, "b", Some("x")), &c).unwrap(), "key");
        assert_eq!(
            ring.open(&at(6, "a", None), &c),
            Err(OpenError::WrongBinding)
        );
    }

    #[test]
    fn a_flipped_byte_or_garbage_does_not_open() {
        let ring = Keyring::new("eu", [1; 32]);
        let c = ring.seal(Scope::Project, &at(1, "x", None), "value");
        let mut bytes = c.into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(ring.open(&at(1, "x", None), &tampered).is_err());
        assert_eq!(
            ring.open(&at(1, "x", None), "KBC::ProjectSecure::bm90IG91cnM="),
            Err(OpenError::Malformed)
        );
    }

    #[test]
    fn recognises_ciphertexts_and_placeholders() {
        assert!(is_encrypted("KBC::ProjectSecureKV::abc"));
        assert!(is_encrypted("KBC::Encrypted==abc"));
        assert!(is_encrypted("{{ vault.db_password }}"));
        assert!(!is_encrypted("KBC::"));
        assert!(!is_encrypted("KBC::Plain::abc"));
        assert!(!is_encrypted("hunter2"));
        assert!(!is_encrypted("KBC::ProjectSecure::"));
    }
}
