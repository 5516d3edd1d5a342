//! Opens a snapshot for restore, treating it as untrusted input: every file is checked against
//! the manifest before anything is used, and every document parses into the API's types (which
//! check ids and names) or the snapshot is refused, naming the file and the problem.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component as PathPart, Path, PathBuf};

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use stackport_model::api::{Configuration, MetadataEntry};
use stackport_model::{ComponentId, ConfigId};

use super::chunker::hex;
use super::format::*;
use crate::error::{MigrateError, Result};
use crate::regular_file::{not_regular, open_regular, snapshot_refusal, OpenError};

/// The largest JSON document a snapshot may hold: a project's biggest file is its table list.
const MAX_JSON_BYTES: u64 = 256 * 1024 * 1024;
/// The largest configuration file: the stack caps a configuration and its state at 4 MB each,
/// and rows (each with its own two documents) are few.
const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// A checked snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Its directory.
    pub root: PathBuf,
    /// Names this snapshot: the first 16 hex digits of its manifest's SHA-256. A restore marks
    /// the destination with it, so a second run knows the half-filled project is its own.
    pub id: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// `project.json`.
    pub project: ProjectDoc,
    /// `storage/buckets.json`.
    pub buckets: BucketsDoc,
    /// `storage/tables.json`.
    pub tables: Vec<TableEntry>,
    /// Every configuration with its metadata.
    pub configurations: Vec<SnapshotConfig>,
    /// `orchestrations.json`.
    pub orchestrations: OrchestrationsDoc,
    /// `provisioned.json`.
    pub provisioned: ProvisionedDoc,
    /// `triggers.json`; empty in a version-1 snapshot.
    pub triggers: TriggersDoc,
    /// `secrets.json`.
    pub secrets: Vec<RemovedSecret>,
    /// `not-moved.json`.
    pub not_moved: NotMoved,
}

/// One configuration file and its metadata.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// The component.
    pub component_id: ComponentId,
    /// The configuration, secrets removed.
    pub configuration: Configuration,
    /// Its metadata entries.
    pub metadata: Vec<MetadataEntry>,
}

/// Opens and checks the snapshot in `root`. Nothing is written anywhere.
pub fn open(root: &Path) -> Result<Snapshot> {
    let (manifest, id) = read_manifest(root)?;
    let listed = check_files(root, &manifest)?;
    let mut expected: BTreeSet<String> = [
        paths::PROJECT,
        paths::BUCKETS,
        paths::TABLES,
        paths::ORCHESTRATIONS,
        paths::PROVISIONED,
        paths::SECRETS,
        paths::NOT_MOVED,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if manifest.format_version >= 2 {
        expected.insert(paths::TRIGGERS.into());
    }
    let project: ProjectDoc = read_doc(root, paths::PROJECT, &listed, MAX_JSON_BYTES)?;
    let buckets: BucketsDoc = read_doc(root, paths::BUCKETS, &listed, MAX_JSON_BYTES)?;
    let tables: Vec<TableEntry> = read_doc(root, paths::TABLES, &listed, MAX_JSON_BYTES)?;
    for entry in &tables {
        for chunk in entry.data.iter().flat_map(|d| &d.chunks) {
            expected.insert(chunk.path.clone());
        }
    }
    let mut configurations = Vec::new();
    for path in listed
        .iter()
        .filter(|p| p.starts_with("components/") && p.ends_with("/configuration.json"))
    {
        let (component_id, config_id) = config_path(path)?;
        let configuration: Configuration = read_doc(root, path, &listed, MAX_CONFIG_BYTES)?;
        if configuration.id != config_id {
            return Err(MigrateError::snapshot(
                path,
                format!(
                    "holds configuration '{}', but its place says '{config_id}'",
                    configuration.id
                ),
            ));
        }
        let metadata_path = paths::configuration_metadata(&component_id, &config_id);
        let metadata: Vec<MetadataEntry> = read_doc(root, &metadata_path, &listed, MAX_JSON_BYTES)?;
        expected.insert(path.clone());
        expected.insert(metadata_path);
        configurations.push(SnapshotConfig {
            component_id,
            configuration,
            metadata,
        });
    }
    if let Some(missing) = expected.iter().find(|p| !listed.contains(*p)) {
        return Err(MigrateError::snapshot(
            missing,
            format!("is named in {} but not in the manifest", paths::TABLES),
        ));
    }
    if let Some(stray) = listed.iter().find(|p| !expected.contains(*p)) {
        return Err(MigrateError::snapshot(
            stray,
            "is listed in the manifest but is not a file a snapshot has (see docs/snapshot-format.md)",
        ));
    }
    let snapshot = Snapshot {
        root: root.to_path_buf(),
        id,
        project,
        buckets,
        tables,
        configurations,
        orchestrations: read_doc(root, paths::ORCHESTRATIONS, &listed, MAX_JSON_BYTES)?,
        provisioned: read_doc(root, paths::PROVISIONED, &listed, MAX_JSON_BYTES)?,
        triggers: if manifest.format_version >= 2 {
            read_doc(root, paths::TRIGGERS, &listed, MAX_JSON_BYTES)?
        } else {
            Vec::new()
        },
        secrets: read_doc(root, paths::SECRETS, &listed, MAX_JSON_BYTES)?,
        not_moved: read_doc(root, paths::NOT_MOVED, &listed, MAX_JSON_BYTES)?,
        manifest,
    };
    super::checks::check_structure(&snapshot)?;
    Ok(snapshot)
}

/// The manifest and the snapshot's id, from one read of the file.
fn read_manifest(root: &Path) -> Result<(Manifest, String)> {
    let path = root.join(paths::MANIFEST);
    let file = match open_regular(&path) {
        Ok(f) => f,
        Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(MigrateError::snapshot(
                paths::MANIFEST,
                format!(
                    "is missing in {}: the snapshot is incomplete (it was interrupted or is still being written); create it again",
                    root.display()
                ),
            ))
        }
        Err(e) => return Err(open_failed(root, paths::MANIFEST, e)),
    };
    let mut text = Vec::new();
    file.take(MAX_JSON_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| MigrateError::io(&path, "reading the manifest", e))?;
    if text.len() as u64 > MAX_JSON_BYTES {
        return Err(MigrateError::snapshot(
            paths::MANIFEST,
            format!("is over the {MAX_JSON_BYTES}-byte limit for a snapshot's JSON files"),
        ));
    }
    let id = hex(&Sha256::digest(&text))[..16].to_string();
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| MigrateError::snapshot(paths::MANIFEST, format!("is not JSON: {e}")))?;
    match value.get("formatVersion").and_then(|v| v.as_u64()) {
        Some(v) if (u64::from(OLDEST_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&v) => {}
        Some(v) => {
            return Err(MigrateError::snapshot(
                paths::MANIFEST,
                format!(
                    "has format version {v}; this stackport reads versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}: use a stackport that knows version {v}"
                ),
            ))
        }
        None => return Err(MigrateError::snapshot(paths::MANIFEST, "has no formatVersion")),
    }
    let manifest = serde_json::from_value(value).map_err(|e| {
        MigrateError::snapshot(paths::MANIFEST, format!("has the wrong shape: {e}"))
    })?;
    Ok((manifest, id))
}

/// Checks that the manifest's files are exactly the snapshot's files, with their sizes and
/// hashes; returns the listed paths.
fn check_files(root: &Path, manifest: &Manifest) -> Result<BTreeSet<String>> {
    let mut listed = BTreeSet::new();
    for entry in &manifest.files {
        check_relative(&entry.path)?;
        if !listed.insert(entry.path.clone()) {
            return Err(MigrateError::snapshot(
                &entry.path,
                "is listed twice in the manifest",
            ));
        }
    }
    let mut present = BTreeMap::new();
    walk(root, root, &mut present)?;
    for path in present.keys() {
        if path != paths::MANIFEST && !listed.contains(path) {
            return Err(MigrateError::snapshot(
                path,
                "is in the snapshot dir but not in the manifest; a snapshot holds only what its manifest lists",
            ));
        }
    }
    for entry in &manifest.files {
        let Some(&size) = present.get(&entry.path) else {
            return Err(MigrateError::snapshot(
                &entry.path,
                "is listed in the manifest but missing",
            ));
        };
        if size != entry.bytes {
            return Err(MigrateError::snapshot(
                &entry.path,
                format!(
                    "has {size} bytes, the manifest says {} (truncated or changed)",
                    entry.bytes
                ),
            ));
        }
        let sha = sha256_file(root, &entry.path)?;
        if sha != entry.sha256 {
            return Err(MigrateError::snapshot(
                &entry.path,
                "does not match its SHA-256 in the manifest (changed or damaged)",
            ));
        }
    }
    Ok(listed)
}

/// A manifest path must stay inside the snapshot: relative, `/`-separated, no `..`.
fn check_relative(path: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(MigrateError::snapshot(
            path,
            format!("is not a valid snapshot path: {why}"),
        ))
    };
    if path.is_empty() {
        return Err(MigrateError::snapshot(
            paths::MANIFEST,
            "lists a file with an empty path",
        ));
    }
    if path.contains('\\') || path.contains('\0') {
        return bad("it has a backslash or NUL");
    }
    let p = Path::new(path);
    if p.is_absolute() {
        return bad("it is absolute");
    }
    for part in p.components() {
        match part {
            PathPart::Normal(_) => {}
            _ => return bad("it has '..', '.' or a root"),
        }
    }
    Ok(())
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| MigrateError::io(dir, "listing the snapshot", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| MigrateError::io(dir, "listing the snapshot", e))?;
        let path = entry.path();
        let meta =
            std::fs::symlink_metadata(&path).map_err(|e| MigrateError::io(&path, "reading", e))?;
        let rel = path
            .strip_prefix(root)
            .expect("walked paths are under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if meta.is_dir() {
            walk(root, &path, out)?;
        } else if let Some(kind) = not_regular(meta.file_type()) {
            return Err(MigrateError::snapshot(rel, snapshot_refusal(kind)));
        } else {
            out.insert(rel, meta.len());
        }
    }
    Ok(())
}

/// Opens the snapshot file `rel` only if it is a regular file (see [`crate::regular_file`]).
pub(crate) fn open_in(root: &Path, rel: &str) -> Result<File> {
    open_regular(&root.join(rel)).map_err(|e| open_failed(root, rel, e))
}

fn open_failed(root: &Path, rel: &str, e: OpenError) -> MigrateError {
    match e {
        OpenError::NotRegular(kind) => MigrateError::snapshot(rel, snapshot_refusal(kind)),
        OpenError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
            MigrateError::snapshot(rel, "is listed in the manifest but missing")
        }
        OpenError::Io(e) => MigrateError::io(&root.join(rel), "reading", e),
    }
}

fn sha256_file(root: &Path, rel: &str) -> Result<String> {
    let path = &root.join(rel);
    let mut file = open_in(root, rel)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| MigrateError::io(path, "reading", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn read_doc<T: DeserializeOwned>(
    root: &Path,
    rel: &str,
    listed: &BTreeSet<String>,
    max_bytes: u64,
) -> Result<T> {
    if !listed.contains(rel) {
        return Err(MigrateError::snapshot(rel, "is missing from the manifest"));
    }
    let file = open_in(root, rel)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max_bytes {
        return Err(MigrateError::snapshot(
            rel,
            format!("is {len} bytes, over the {max_bytes}-byte limit for this kind of file"),
        ));
    }
    serde_json::from_reader(BufReader::new(file.take(max_bytes)))
        .map_err(|e| MigrateError::snapshot(rel, format!("has the wrong shape: {e}")))
}

/// `components/<component>/<config>/configuration.json` → the two ids, checked.
fn config_path(path: &str) -> Result<(ComponentId, ConfigId)> {
    let bad = || {
        MigrateError::snapshot(
            path,
            "is not components/<componentId>/<configId>/configuration.json",
        )
    };
    let rest = path.strip_prefix("components/").ok_or_else(bad)?;
    let rest = rest.strip_suffix("/configuration.json").ok_or_else(bad)?;
    let (component, config) = rest.split_once('/').ok_or_else(bad)?;
    let component: ComponentId = component
        .parse()
        .map_err(|e| MigrateError::snapshot(path, format!("component id: {e}")))?;
    let config: ConfigId = config
        .parse()
        .map_err(|e| MigrateError::snapshot(path, format!("configuration id: {e}")))?;
    Ok((component, config))
}
