//! Storage API tokens and manage tokens, stored hashed.

use stackport_stack::store::TokenStore;

use crate::SqliteTx;

impl TokenStore for SqliteTx<'_> {}
