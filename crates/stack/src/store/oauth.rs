//! OAuth credentials of components, their secrets sealed.

/// OAuth credentials of components, their secrets sealed.
pub trait OAuthStore {}
