//! Token secrets: generated from the OS's random source, stored only as SHA-256 hashes.
//!
//! A fast hash is right here: tokens carry 240 bits of randomness, so there is nothing to
//! guess, and every request has to look its token up.

use rand::Rng;
use sha2::{Digest, Sha256};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random string of `len` letters and digits.
pub fn random_string(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A Storage token: `<project>-<token id>-<40 random characters>`, like the reference platform's,
/// so a token tells which project it is for when it shows up in a log.
pub fn storage_token(project: u64, token_id: u64) -> String {
    format!("{project}-{token_id}-{}", random_string(40))
}

/// 32 random bytes, for keys.
pub fn random_key() -> [u8; 32] {
    rand::rng().random()
}
