//! What the binary's integration tests share.

pub use stackport_testkit::TempDir;

/// A fresh directory named after the test's `label`, removed when dropped.
pub fn temp(label: &str) -> TempDir {
    TempDir::new(&format!("cli-{label}"))
}
