//! A snapshot is untrusted input: `snapshot::open` refuses a damaged one before anything uses
//! it, naming the file and the problem, so a restore never starts from it.
//!
//! Each test takes one good snapshot of the seeded project, copies it, damages the copy in one
//! way, and opens the copy.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use stackport_migrate::snapshot::{self, SnapshotOptions};
use stackport_migrate::{restore, MigrateError, RestoreOptions};

pub use stackport_testkit::snapshot::{copy_dir, manifest, relist, sha256_hex, write_manifest};

use crate::fingerprint::fingerprint;
use crate::world::*;

/// A world with a good snapshot of its source project in `work("good")`.
pub async fn with_good_snapshot(label: &str) -> (World, PathBuf) {
    let world = World::new(label).await;
    let good = world.work("good");
    snapshot::create(
        &world.source_endpoint(),
        &good,
        &SnapshotOptions {
            chunk_bytes: 32 * 1024,
            ..Default::default()
        },
        quiet(),
    )
    .await
    .unwrap();
    (world, good)
}

/// A copy of the good snapshot, damaged by `damage`.
pub fn damaged(world: &World, good: &Path, damage: impl FnOnce(&Path)) -> PathBuf {
    let copy = world.work("damaged");
    copy_dir(good, &copy);
    damage(&copy);
    copy
}

/// Opening `dir` must fail as a snapshot problem; returns the file and the problem.
pub fn refusal(dir: &Path) -> (String, String) {
    match snapshot::open(dir) {
        Ok(_) => panic!("{} opened, but it is damaged", dir.display()),
        Err(MigrateError::Snapshot { file, problem }) => (file, problem),
        Err(other) => panic!("expected a snapshot problem, got: {other:#?}"),
    }
}

pub fn files(manifest: &mut Value) -> &mut Vec<Value> {
    manifest["files"].as_array_mut().unwrap()
}

/// The first listed path that `pick` accepts.
pub fn listed(dir: &Path, pick: impl Fn(&str) -> bool) -> String {
    manifest(dir)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .find(|p| pick(p))
        .expect("the snapshot lists such a file")
}

fn is_configuration(path: &str) -> bool {
    path.starts_with("components/") && path.ends_with("/configuration.json")
}

/// What `stackport snapshot restore` does: open, and restore only what opened. Returns the
/// open error; the destination must be as it was.
pub async fn restore_like_the_cli(world: &World, dir: &Path) -> MigrateError {
    let dst = world.dest_client();
    let before = fingerprint(&dst).await;
    let result = match snapshot::open(dir) {
        Ok(snap) => restore(
            &snap,
            &world.dest_endpoint(),
            &RestoreOptions::default(),
            quiet(),
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    let error = result.expect_err("a damaged snapshot must not restore");
    assert!(
        matches!(error, MigrateError::Snapshot { .. }),
        "refused by open, not by the restore: {error:#?}"
    );
    assert_eq!(before, fingerprint(&dst).await, "the destination changed");
    assert!(dst.list_buckets(false).await.unwrap().is_empty());
    assert!(dst.list_components("", true).await.unwrap().is_empty());
    error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_snapshot_opens_and_restores_into_the_empty_destination() {
    let (world, good) = with_good_snapshot("snap-good").await;
    let copy = damaged(&world, &good, |_| {});
    let snap = snapshot::open(&copy).unwrap();
    assert!(snap
        .tables
        .iter()
        .any(|t| t.data.as_ref().is_some_and(|d| d.chunks.len() > 1)));
    let outcome = restore(
        &snap,
        &world.dest_endpoint(),
        &RestoreOptions::default(),
        quiet(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.tables, snap.manifest.inventory.tables);
    assert_eq!(outcome.rows, snap.manifest.inventory.rows);
    assert_eq!(
        outcome.configurations,
        snap.manifest.inventory.configurations
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_without_its_manifest_is_incomplete() {
    let (world, good) = with_good_snapshot("snap-no-manifest").await;
    let copy = damaged(&world, &good, |dir| {
        std::fs::remove_file(dir.join("manifest.json")).unwrap()
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "manifest.json");
    assert!(problem.contains("incomplete"), "{problem}");
    // The CLI's flow stops there too: the destination sees nothing.
    let error = restore_like_the_cli(&world, &copy).await;
    assert!(error.to_string().contains("manifest.json"), "{error}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_byte_in_a_chunk_fails_its_sha256() {
    let (world, good) = with_good_snapshot("snap-chunk-byte").await;
    let chunk = listed(&good, |p| p.starts_with("storage/data/"));
    let copy = damaged(&world, &good, |dir| {
        let path = dir.join(&chunk);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, chunk);
    assert!(problem.contains("SHA-256"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_configuration_fails_its_size() {
    let (world, good) = with_good_snapshot("snap-truncated").await;
    let config = listed(&good, is_configuration);
    let copy = damaged(&world, &good, |dir| {
        let path = dir.join(&config);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, config);
    assert!(
        problem.contains("bytes") && problem.contains("truncated"),
        "{problem}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_listed_file_is_named() {
    let (world, good) = with_good_snapshot("snap-missing").await;
    let copy = damaged(&world, &good, |dir| {
        std::fs::remove_file(dir.join("orchestrations.json")).unwrap()
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "orchestrations.json");
    assert!(problem.contains("missing"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extra_unlisted_file_is_named() {
    let (world, good) = with_good_snapshot("snap-extra").await;
    let copy = damaged(&world, &good, |dir| {
        std::fs::write(dir.join("storage/notes.txt"), "added by hand\n").unwrap()
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "storage/notes.txt");
    assert!(problem.contains("not in the manifest"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_format_version_is_named() {
    let (world, good) = with_good_snapshot("snap-version").await;
    let copy = damaged(&world, &good, |dir| {
        let mut m = manifest(dir);
        m["formatVersion"] = json!(99);
        write_manifest(dir, &m);
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "manifest.json");
    assert!(problem.contains("version 99"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_path_that_leaves_the_snapshot_is_refused() {
    let (world, good) = with_good_snapshot("snap-dotdot").await;
    let copy = damaged(&world, &good, |dir| {
        // The file exists where the path points, with the listed size and hash.
        let outside = dir.parent().unwrap().join("escape.json");
        std::fs::write(&outside, "{}").unwrap();
        let mut m = manifest(dir);
        files(&mut m)
            .push(json!({"path": "../escape.json", "bytes": 2, "sha256": sha256_hex(b"{}")}));
        write_manifest(dir, &m);
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "../escape.json");
    assert!(problem.contains("not a valid snapshot path"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absolute_manifest_path_is_refused() {
    let (world, good) = with_good_snapshot("snap-absolute").await;
    let copy = damaged(&world, &good, |dir| {
        let mut m = manifest(dir);
        files(&mut m).push(json!({"path": "/etc/passwd", "bytes": 0, "sha256": sha256_hex(b"")}));
        write_manifest(dir, &m);
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "/etc/passwd");
    assert!(
        problem.contains("not a valid snapshot path") && problem.contains("absolute"),
        "{problem}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_of_the_wrong_shape_is_named() {
    let (world, good) = with_good_snapshot("snap-shape").await;
    let config = listed(&good, is_configuration);
    let copy = damaged(&world, &good, |dir| {
        std::fs::write(dir.join(&config), "[]").unwrap();
        // Listed with its new size and hash: only the shape check can catch it.
        relist(dir, &config, &config);
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, config);
    assert!(problem.contains("wrong shape"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_file_named_for_another_id_is_refused() {
    let (world, good) = with_good_snapshot("snap-renamed").await;
    let config = listed(&good, is_configuration);
    let config_dir = config.strip_suffix("/configuration.json").unwrap();
    let (component_dir, old_id) = config_dir.rsplit_once('/').unwrap();
    let old_id = old_id.to_string();
    let renamed = format!("{component_dir}/renamed-config/configuration.json");
    let copy = damaged(&world, &good, |dir| {
        // The whole directory moves, metadata too, so the name is the only thing wrong.
        std::fs::rename(
            dir.join(config_dir),
            dir.join(format!("{component_dir}/renamed-config")),
        )
        .unwrap();
        relist(dir, &config, &renamed);
        let metadata = format!("{config_dir}/metadata.json");
        let new_metadata = format!("{component_dir}/renamed-config/metadata.json");
        relist(dir, &metadata, &new_metadata);
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, renamed);
    assert!(
        problem.contains(&old_id) && problem.contains("renamed-config"),
        "{problem}"
    );
    world.stop().await;
}

/// Rewrites a JSON file of the copy and updates its manifest entry, so only the content check
/// can catch what changed.
pub fn rewrite_json(dir: &Path, rel: &str, change: impl FnOnce(&mut Value)) {
    let mut doc: Value = serde_json::from_slice(&std::fs::read(dir.join(rel)).unwrap()).unwrap();
    change(&mut doc);
    std::fs::write(dir.join(rel), serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    relist(dir, rel, rel);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_without_its_source_table_is_refused_before_any_write() {
    let (world, good) = with_good_snapshot("snap-alias").await;
    let copy = damaged(&world, &good, |dir| {
        rewrite_json(dir, "storage/tables.json", |tables| {
            let list = tables.as_array_mut().unwrap();
            let alias = list
                .iter_mut()
                .find(|e| e["table"]["isAlias"] == true)
                .unwrap();
            alias["table"]["sourceTable"] = json!("in.c-crm.not-in-the-snapshot");
        });
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "storage/tables.json", "{problem}");
    assert!(
        problem.contains("in.c-crm.not-in-the-snapshot"),
        "{problem}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inventory_that_does_not_match_the_documents_is_refused() {
    let (world, good) = with_good_snapshot("snap-inventory").await;
    let copy = damaged(&world, &good, |dir| {
        let mut m = manifest(dir);
        let rows = m["inventory"]["rows"].as_u64().unwrap();
        m["inventory"]["rows"] = json!(rows + 1);
        write_manifest(dir, &m);
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "manifest.json");
    assert!(problem.contains("inventory"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orchestration_cycle_is_refused_before_any_write() {
    let (world, good) = with_good_snapshot("snap-cycle").await;
    let copy = damaged(&world, &good, |dir| {
        rewrite_json(dir, "orchestrations.json", |list| {
            let list = list.as_array_mut().unwrap();
            // The parent runs the child; make the child run the parent too.
            let parent = list
                .iter()
                .find(|o| {
                    o["tasks"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t["orchestrationId"].is_number())
                })
                .unwrap()
                .clone();
            let child_id = parent["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|t| t["orchestrationId"].as_u64())
                .unwrap();
            let child = list.iter_mut().find(|o| o["id"] == child_id).unwrap();
            let mut task = child["tasks"][0].clone();
            task["orchestrationId"] = parent["id"].clone();
            task.as_object_mut().unwrap().remove("componentId");
            task.as_object_mut().unwrap().remove("configId");
            child["tasks"].as_array_mut().unwrap().push(task);
        });
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "orchestrations.json");
    assert!(problem.contains("cycle"), "{problem}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_changed_after_the_snapshot_was_opened_is_caught_while_it_loads() {
    let (world, good) = with_good_snapshot("snap-late-change").await;
    let opened = snapshot::open(&good).unwrap();
    // Changed between the check and the load: the streaming check must still catch it.
    let chunk = listed(&good, |p| p.starts_with("storage/data/in.c-shop.orders/"));
    let path = good.join(&chunk);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    // The read-through before the first write finds it, and the destination stays as it was.
    let dst = world.dest_client();
    let before = fingerprint(&dst).await;
    let err = restore(
        &opened,
        &world.dest_endpoint(),
        &RestoreOptions::default(),
        quiet(),
    )
    .await
    .expect_err("a changed chunk must not load");
    assert!(
        matches!(&err, MigrateError::Snapshot { file, problem }
            if *file == chunk && problem.contains("nothing was written")),
        "{err:#?}"
    );
    assert_eq!(before, fingerprint(&dst).await, "the destination changed");
    // Without it, the load's own checks do.
    let options = RestoreOptions {
        skip_verify: true,
        ..Default::default()
    };
    let err = restore(&opened, &world.dest_endpoint(), &options, quiet())
        .await
        .expect_err("a changed chunk must not load");
    let MigrateError::PartlyRestored { source, .. } = &err else {
        panic!("expected a partly-restored error, got {err}");
    };
    match source.as_ref() {
        MigrateError::Snapshot { file, problem } => {
            assert!(file.starts_with("storage/data/"), "{file}");
            assert!(
                problem.contains("SHA-256")
                    || problem.contains("decompress")
                    || problem.contains("header"),
                "{problem}"
            );
        }
        other => panic!("expected a snapshot problem naming the chunk, got {other}"),
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_verify_reads_every_chunk_and_catches_rows_changed_with_the_manifest() {
    let (world, good) = with_good_snapshot("snap-verify").await;
    let opened = snapshot::open(&good).unwrap();
    let check = snapshot::verify_data(&opened).unwrap();
    assert_eq!(check.rows, opened.manifest.inventory.rows);
    assert_eq!(check.bytes, opened.manifest.inventory.data_bytes);
    assert!(
        check.chunks > check.tables,
        "several chunks per table: {check:?}"
    );

    // A chunk re-compressed with one value changed and relisted: every file matches the
    // manifest, so only reading the rows finds it.
    let chunk = listed(&good, |p| p.starts_with("storage/data/in.c-crm.customers/"));
    let copy = damaged(&world, &good, |dir| {
        let raw = std::fs::read(dir.join(&chunk)).unwrap();
        let text = String::from_utf8(zstd::decode_all(&raw[..]).unwrap()).unwrap();
        let changed = text.replacen("\"1\"", "\"7\"", 1);
        assert_ne!(changed, text);
        let old_size = raw.len() as u64;
        let recompressed = zstd::encode_all(changed.as_bytes(), 1).unwrap();
        let new_size = recompressed.len() as u64;
        std::fs::write(dir.join(&chunk), recompressed).unwrap();
        relist(dir, &chunk, &chunk);
        let mut m = manifest(dir);
        let stored = m["inventory"]["storedBytes"].as_u64().unwrap();
        m["inventory"]["storedBytes"] = json!(stored - old_size + new_size);
        write_manifest(dir, &m);
    });
    let opened = snapshot::open(&copy).expect("the manifest matches the files");
    match snapshot::verify_data(&opened) {
        Err(MigrateError::Snapshot { file, problem }) => {
            assert_eq!(file, "storage/tables.json");
            assert!(
                problem.contains("in.c-crm.customers") && problem.contains("sha256"),
                "{problem}"
            );
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    world.stop().await;
}
