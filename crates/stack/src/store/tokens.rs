//! Storage API tokens and manage tokens, stored hashed.

/// Storage API tokens and manage tokens, stored hashed.
pub trait TokenStore {}
