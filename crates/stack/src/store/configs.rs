//! Component configurations with rows, state, versions and the trash.

/// Component configurations with rows, state, versions and the trash.
pub trait ConfigStore {}
