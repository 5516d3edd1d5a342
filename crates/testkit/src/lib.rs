//! What the workspace's tests share: temporary directories, walking what a test wrote,
//! tampering with snapshots, a real stack to run against, and a real PostgreSQL server.
//! Only ever a dev-dependency; nothing here reaches a release binary.

pub mod postgres;
pub mod snapshot;
pub mod stack;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory under the system's temp dir, removed when dropped (also when the test
/// panics), so a failing run leaves nothing behind and parallel tests never share one.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory whose name starts with `stackport-{label}-`.
    pub fn new(label: &str) -> TempDir {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "stackport-{label}-{}-{nanos}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("creating the test directory {}: {e}", path.display()));
        TempDir(path)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Leaves the directory in place (to look into after a test) and returns its path.
    pub fn keep(self) -> PathBuf {
        let path = self.0.clone();
        std::mem::forget(self);
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// So a `&TempDir` goes wherever a `&Path` does.
impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

/// Every regular file under `dir`, recursively. Panics if `dir` cannot be read, so a test
/// that looks for something in files cannot pass by looking at none.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("reading the directory {}: {e}", d.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("reading the directory {}: {e}", d.display()))
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_dir_is_fresh_and_goes_away() {
        let a = TempDir::new("testkit");
        let b = TempDir::new("testkit");
        assert_ne!(a.path(), b.path());
        std::fs::create_dir_all(a.path().join("x/y")).unwrap();
        std::fs::write(a.path().join("x/y/z"), b"1").unwrap();
        std::fs::write(a.path().join("top"), b"2").unwrap();
        assert_eq!(
            files_under(a.path()),
            vec![a.path().join("top"), a.path().join("x/y/z")]
        );
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists());
    }

    #[test]
    #[should_panic(expected = "reading the directory")]
    fn files_under_a_missing_directory_panics() {
        files_under(Path::new("/nonexistent/stackport-testkit"));
    }
}
