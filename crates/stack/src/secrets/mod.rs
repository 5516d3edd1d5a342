//! Secret values of configurations: sealed with keys that never leave the stack, found in JSON
//! documents by their `#` keys.

mod cipher;

pub use cipher::{is_encrypted, Binding, Keyring, OpenError, Scope};
pub use stackport_model::secret_json::{
    rewrite_secrets, secret_values, JsonPath, ScanError, SecretValue,
};
