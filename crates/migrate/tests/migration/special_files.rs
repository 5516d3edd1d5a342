//! A snapshot whose chunk or document is a named pipe or a symbolic link is refused at once by
//! everything that reads it (`snapshot inspect` and `verify`, which open it, and a restore),
//! naming the file. A pipe listed as 0 bytes used to pass every size check and then block its
//! reader forever, so each step runs under a hang guard: a regression fails instead of hanging.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;
use stackport_migrate::snapshot::{self, Snapshot};
use stackport_migrate::{restore, MigrateError, RestoreOptions};

use crate::fingerprint::fingerprint;
use crate::snapshot_defects::{
    copy_dir, files, manifest, restore_like_the_cli, sha256_hex, with_good_snapshot, write_manifest,
};
use crate::world::*;

/// Runs `f` on a thread of its own and fails the test if it has not returned within a minute.
/// A thread of its own: one stuck in `open` on a pipe would also keep a runtime from shutting
/// down, and the test from ending.
fn within_a_minute<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} did not return within a minute: it hangs"))
}

/// [`within_a_minute`] for the future `make` makes, on a runtime of the thread's own.
fn async_within_a_minute<T, Fut>(what: &str, make: impl FnOnce() -> Fut + Send + 'static) -> T
where
    T: Send + 'static,
    Fut: std::future::Future<Output = T>,
{
    within_a_minute(what, move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(make())
    })
}

pub fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Replaces `rel` with a named pipe, listed in the manifest as the empty file it reads as.
fn pipe_in_place_of(dir: &Path, rel: &str) {
    std::fs::remove_file(dir.join(rel)).unwrap();
    mkfifo(&dir.join(rel));
    let mut m = manifest(dir);
    let entry = files(&mut m).iter_mut().find(|f| f["path"] == rel).unwrap();
    *entry = json!({"path": rel, "bytes": 0, "sha256": sha256_hex(b"")});
    if rel.starts_with("storage/data/") {
        let stored = m["inventory"]["storedBytes"].as_u64().unwrap();
        let old = std::fs::metadata(dir.parent().unwrap().join("good").join(rel))
            .unwrap()
            .len();
        m["inventory"]["storedBytes"] = json!(stored - old);
    }
    write_manifest(dir, &m);
}

/// Replaces `rel` with a link to a copy of it outside the snapshot: followed, it would match
/// its manifest entry byte for byte.
fn link_in_place_of(dir: &Path, rel: &str) {
    let outside = dir
        .parent()
        .unwrap()
        .join(format!("outside-{}", rel.replace('/', "_")));
    std::fs::rename(dir.join(rel), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join(rel)).unwrap();
}

fn copy_of(world: &World, good: &Path, name: &str, damage: impl FnOnce(&Path)) -> PathBuf {
    let copy = world.work(name);
    copy_dir(good, &copy);
    damage(&copy);
    copy
}

fn assert_names_untrustworthy(error: &MigrateError, rel: &str, kind: &str) {
    match error {
        MigrateError::Snapshot { file, problem } => {
            assert_eq!(file, rel, "{problem}");
            assert!(
                problem.contains(kind) && problem.contains("not trustworthy"),
                "{problem}"
            );
        }
        other => panic!("expected a snapshot problem naming {rel}, got {other:#?}"),
    }
}

/// `snapshot inspect`, `snapshot verify` and `snapshot restore` on `dir`: each refuses, promptly,
/// naming `rel`; the destination is as it was.
async fn every_reader_refuses(world: &World, dir: &Path, rel: &str, kind: &str) {
    let d = dir.to_path_buf();
    let inspected = within_a_minute("snapshot inspect", move || snapshot::open(&d).map(|_| ()));
    assert_names_untrustworthy(&inspected.expect_err("inspect"), rel, kind);
    let d = dir.to_path_buf();
    let verified = within_a_minute("snapshot verify", move || {
        snapshot::open(&d).and_then(|s| snapshot::verify_data(&s))
    });
    assert_names_untrustworthy(&verified.expect_err("verify"), rel, kind);
    let restored = tokio::time::timeout(Duration::from_secs(60), restore_like_the_cli(world, dir))
        .await
        .expect("snapshot restore hangs");
    assert_names_untrustworthy(&restored, rel, kind);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipe_or_a_link_in_place_of_a_chunk_or_a_document_is_refused_at_once() {
    let (world, good) = with_good_snapshot("special-files").await;
    let chunk = crate::snapshot_defects::listed(&good, |p| p.starts_with("storage/data/"));
    for (name, rel) in [("chunk", chunk.as_str()), ("json", "storage/tables.json")] {
        let piped = copy_of(&world, &good, &format!("pipe-{name}"), |d| {
            pipe_in_place_of(d, rel)
        });
        every_reader_refuses(&world, &piped, rel, "named pipe").await;
        let linked = copy_of(&world, &good, &format!("link-{name}"), |d| {
            link_in_place_of(d, rel)
        });
        every_reader_refuses(&world, &linked, rel, "symbolic link").await;
    }
    world.stop().await;
}

/// A chunk swapped for a pipe or a link after the snapshot was opened (and checked): the read
/// through before the restore, and the load itself when that is skipped, refuse it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_swapped_for_a_pipe_or_a_link_after_the_open_is_refused_at_once() {
    let (world, good) = with_good_snapshot("special-swapped").await;
    let chunk =
        crate::snapshot_defects::listed(&good, |p| p.starts_with("storage/data/in.c-shop.orders/"));
    for (kind, swap) in [
        ("named pipe", mkfifo as fn(&Path)),
        ("symbolic link", |p: &Path| {
            let outside = p.parent().unwrap().join("elsewhere");
            std::fs::write(&outside, b"").unwrap();
            std::os::unix::fs::symlink(&outside, p).unwrap();
        }),
    ] {
        let copy = copy_of(
            &world,
            &good,
            &format!("swapped-{}", kind.replace(' ', "-")),
            |_| {},
        );
        let opened: Snapshot = snapshot::open(&copy).unwrap();
        std::fs::remove_file(copy.join(&chunk)).unwrap();
        swap(&copy.join(&chunk));

        let s = opened.clone();
        let verified = within_a_minute("snapshot verify", move || snapshot::verify_data(&s));
        assert_names_untrustworthy(&verified.expect_err("verify"), &chunk, kind);

        let dst = world.dest_client();
        let before = fingerprint(&dst).await;
        let (s, dest) = (opened.clone(), world.dest_endpoint());
        let restored = async_within_a_minute("restore", move || async move {
            restore(&s, &dest, &RestoreOptions::default(), quiet()).await
        });
        let error = restored.expect_err("restore");
        assert!(error.to_string().contains("nothing was written"), "{error}");
        assert_names_untrustworthy(&error, &chunk, kind);
        assert_eq!(before, fingerprint(&dst).await, "the destination changed");

        // Without the read-through, the load of that chunk refuses it.
        let (_, token) = stackport_demo::create_empty_project(&world.us, &format!("skip {kind}"))
            .await
            .unwrap();
        let dest = stackport_migrate::Endpoint::new(&world.us.url, &token);
        let s = opened.clone();
        let skipped = async_within_a_minute("restore --skip-verify", move || async move {
            let options = RestoreOptions {
                skip_verify: true,
                ..Default::default()
            };
            restore(&s, &dest, &options, quiet()).await
        });
        match skipped.expect_err("restore --skip-verify") {
            MigrateError::PartlyRestored { source, .. } => match *source {
                MigrateError::Snapshot { file, problem } => {
                    assert_eq!(file, chunk);
                    assert!(
                        problem.contains(kind) && problem.contains("not trustworthy"),
                        "{problem}"
                    );
                }
                other => panic!("expected the chunk named, got {other:#?}"),
            },
            other => panic!("expected a partly restored error, got {other:#?}"),
        }
    }
    world.stop().await;
}
