//! OAuth credentials of components, their secrets sealed.

use stackport_stack::store::OAuthStore;

use crate::SqliteTx;

impl OAuthStore for SqliteTx<'_> {}
