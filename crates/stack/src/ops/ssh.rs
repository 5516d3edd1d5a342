//! SSH key pairs for tunnels: generated here, the private key sealed for the project before it
//! leaves this function, so it is never stored or shown in plaintext.

use ssh_key::private::{Ed25519Keypair, RsaKeypair};
use ssh_key::rand_core::OsRng;
use ssh_key::{HashAlg, LineEnding, PrivateKey};
use stackport_model::api::{NewSshKey, SshKeyPair, SshKeyType};

use super::auth::TokenAuth;
use crate::error::{Error, Result};
use crate::Stack;

/// RSA size for servers that take nothing newer than RSA.
const RSA_BITS: usize = 3072;

impl Stack {
    /// Generates a key pair; the private key comes back sealed (`KBC::ProjectWideSecure::`), to
    /// be put in a configuration's `parameters.db.ssh.keys.#private`.
    pub fn generate_ssh_key(&self, auth: &TokenAuth, new: &NewSshKey) -> Result<SshKeyPair> {
        let failed = |e: ssh_key::Error| Error::internal("generating an SSH key", e);
        let mut key = match new.key_type {
            SshKeyType::Ed25519 => PrivateKey::from(Ed25519Keypair::random(&mut OsRng)),
            SshKeyType::Rsa => {
                PrivateKey::from(RsaKeypair::random(&mut OsRng, RSA_BITS).map_err(failed)?)
            }
        };
        let comment = new
            .comment
            .clone()
            .unwrap_or_else(|| format!("stackport project {}", auth.project()));
        if comment.contains(['\n', '\r']) {
            return Err(Error::invalid(
                "ssh.invalidComment",
                "the key comment must be one line",
            ));
        }
        key.set_comment(comment);
        let public = key.public_key();
        let private = key.to_openssh(LineEnding::LF).map_err(failed)?;
        Ok(SshKeyPair {
            key_type: new.key_type,
            public_key: public.to_openssh().map_err(failed)?,
            fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
            private_key: self.seal_project_wide(auth.project(), &private),
        })
    }
}
