//! Tampering with a snapshot directory the way an attacker or a broken disk would: the tests of
//! the migration and of the binary both damage copies of good snapshots and expect a refusal.

use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Copies the tree `from` into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The JSON document at `path`.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Writes `value` to `path`, pretty, as the snapshot writer does.
pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// The manifest of the snapshot in `dir`.
pub fn manifest(dir: &Path) -> Value {
    read_json(&dir.join("manifest.json"))
}

/// Replaces the manifest of the snapshot in `dir`.
pub fn write_manifest(dir: &Path, manifest: &Value) {
    write_json(&dir.join("manifest.json"), manifest);
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Rewrites the manifest entry of `path` (renamed to `new_path`) with the size and hash of the
/// file now at `new_path`, so only a check of the content itself can tell.
pub fn relist(dir: &Path, path: &str, new_path: &str) {
    let bytes = std::fs::read(dir.join(new_path)).unwrap();
    relist_as(dir, path, new_path, bytes.len() as u64, &sha256_hex(&bytes));
}

/// Rewrites the manifest entry of `path` (renamed to `new_path`) to declare `bytes` and
/// `sha256`, whatever the file holds (or for a file that cannot be read, such as a pipe).
pub fn relist_as(dir: &Path, path: &str, new_path: &str, bytes: u64, sha256: &str) {
    let mut m = manifest(dir);
    let entry = m["files"]
        .as_array_mut()
        .expect("the manifest lists files")
        .iter_mut()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("the manifest lists {path}"));
    *entry = json!({"path": new_path, "bytes": bytes, "sha256": sha256});
    write_manifest(dir, &m);
}
