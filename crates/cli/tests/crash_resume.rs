//! A migration killed at any step finishes when the same command runs again, with the
//! destination as an uninterrupted run leaves it: no row twice, nothing missing, no object
//! twice. And a finished migration run again writes nothing. A snapshot left in a work dir (or
//! given to `snapshot restore`) is files anyone could have changed: one that lies inside a chunk
//! or holds a named pipe is refused before the first write. The real binary runs against two
//! real stacks served by this test.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use stackport_client::{Client, EventQuery};
use stackport_demo::{
    create_empty_project, seed_source_project, start_demo_stacks_on, EmbeddedStack, SeedOptions,
};
use stackport_migrate::{verify, Endpoint};

mod common;
use common::{demo_backend, temp, Backend};
use stackport_testkit::snapshot::{copy_dir, read_json, relist, relist_as, sha256_hex, write_json};

fn migrate_run(
    eu: &EmbeddedStack,
    source_token: &str,
    us: &EmbeddedStack,
    dest_token: &str,
    work: &Path,
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackport"));
    // 16 KiB chunks: several per table, so a replayed full load of chunk 0 would show.
    cmd.args([
        "migrate",
        "run",
        "--json",
        "--chunk-kib",
        "16",
        "--source",
        &eu.url,
        "--dest",
        &us.url,
        "--work",
    ])
    .arg(work)
    .env("STACKPORT_SOURCE_TOKEN", source_token)
    .env("STACKPORT_DEST_TOKEN", dest_token)
    .env_remove("STACKPORT_CRASH_AT")
    .env_remove("STACKPORT_CRASH_ARM")
    .stdin(Stdio::null());
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn event_count(client: &Client) -> usize {
    client
        .list_events(&EventQuery {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

/// The destination holds exactly the source's project: verify finds no difference, and
/// nothing is there twice.
async fn assert_complete(
    eu: &EmbeddedStack,
    source_token: &str,
    us: &EmbeddedStack,
    dest_token: &str,
    label: &str,
) {
    let v = verify(
        &Endpoint::new(&eu.url, source_token),
        &Endpoint::new(&us.url, dest_token),
        None,
    )
    .await
    .unwrap();
    assert!(v.matches(), "{label}: {:#?}", v.differences);
    let src = eu.storage_client(source_token);
    let dst = us.storage_client(dest_token);
    assert_eq!(
        src.list_orchestrations().await.unwrap().len(),
        dst.list_orchestrations().await.unwrap().len(),
        "{label}: no orchestration twice"
    );
    assert_eq!(
        src.list_provisioned().await.unwrap().len(),
        dst.list_provisioned().await.unwrap().len(),
        "{label}: no workspace or BI project twice"
    );
}

/// The crash points of a traced run, each with its kind: the phase and the kind of object
/// (`restore: chunk`, `snapshot: table`, ...).
fn crash_points(trace: &str) -> Vec<(u64, String)> {
    trace
        .lines()
        .map(|line| {
            let (n, what) = line.split_once('\t').expect("n<TAB>what");
            let (phase, object) = what.split_once(": ").expect("phase: object");
            let noun = object.split_whitespace().next().unwrap_or("");
            (
                n.parse().expect("a point number"),
                format!("{phase}: {noun}"),
            )
        })
        .collect()
}

/// Which points to crash at: the first and the last of every run of one kind (where one step
/// of the migration hands over to the next, the riskiest places), and every 5th point between.
/// Tables and configurations are handled a few at a time, so numbers near a boundary may name
/// a neighbouring object in another run; the kind of step is what is covered.
fn chosen_points(points: &[(u64, String)]) -> Vec<u64> {
    points
        .iter()
        .enumerate()
        .filter(|(i, (n, kind))| {
            let differs =
                |j: Option<usize>| j.and_then(|j| points.get(j)).is_none_or(|p| &p.1 != kind);
            differs(i.checked_sub(1)) || differs(Some(i + 1)) || n % 5 == 0
        })
        .map(|(_, (n, _))| *n)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_killed_at_any_step_finishes_on_the_next_run() {
    for backend in Backend::ALL {
        eprintln!("-- projects on {backend:?}");
        killed_at_any_step(backend).await;
    }
}

async fn killed_at_any_step(backend: Backend) {
    let started = std::time::Instant::now();
    let dir = temp(&format!("points-{backend:?}"));
    let (eu, us) = start_demo_stacks_on(&dir.path().join("stacks"), &demo_backend(backend).await)
        .await
        .unwrap();
    let source = seed_source_project(&eu, "Sales", &SeedOptions { rows_scale: 0.02 })
        .await
        .unwrap();
    // An uninterrupted run lists every crash point it passes.
    let (_, traced_token) = create_empty_project(&us, "Sales traced").await.unwrap();
    let trace = dir.path().join("points.tsv");
    let mut cmd = migrate_run(
        &eu,
        &source.token,
        &us,
        &traced_token,
        &dir.path().join("work-traced"),
    );
    // A stray STACKPORT_CRASH_AT, without the switch that arms it, is ignored and said so.
    cmd.env("STACKPORT_CRASH_TRACE", &trace)
        .env("STACKPORT_CRASH_AT", "1");
    let traced = output(cmd).await;
    assert!(traced.status.success(), "{}", text(&traced));
    assert!(
        text(&traced).contains("STACKPORT_CRASH_AT=1 is set but ignored"),
        "{}",
        text(&traced)
    );
    assert!(
        !text(&traced).contains("\"phase\":\"checkSnapshot\""),
        "a snapshot this run wrote is not read through again: {}",
        text(&traced)
    );
    let points = crash_points(&std::fs::read_to_string(&trace).unwrap());
    let kinds: std::collections::BTreeSet<&str> = points.iter().map(|(_, k)| k.as_str()).collect();
    for kind in [
        "snapshot: table",
        "snapshot: manifest",
        "restore: chunk",
        "restore: table",
        "restore: configuration",
        "restore: orchestration",
    ] {
        assert!(kinds.contains(kind), "no '{kind}' crash point in {kinds:?}");
    }
    let chosen = chosen_points(&points);
    eprintln!(
        "{} crash points, {} kinds, crashing at {chosen:?}",
        points.len(),
        kinds.len()
    );
    assert!(chosen.len() >= 2 * kinds.len(), "{chosen:?} of {points:?}");

    let mut crashed_at = Vec::new();
    for point in chosen {
        let (_, dest_token) = create_empty_project(&us, &format!("Sales {point}"))
            .await
            .unwrap();
        let work = dir.path().join(format!("work-{point}"));
        let mut cmd = migrate_run(&eu, &source.token, &us, &dest_token, &work);
        cmd.env("STACKPORT_CRASH_AT", point.to_string())
            .env("STACKPORT_CRASH_ARM", "abort-migrations");
        let first = output(cmd).await;
        assert!(
            text(&first).contains(&format!("STACKPORT_CRASH_AT={point}")),
            "point {point}: the run failed for another reason: {}",
            text(&first)
        );
        crashed_at.push(point);
        let second = output(migrate_run(&eu, &source.token, &us, &dest_token, &work)).await;
        assert!(
            second.status.success(),
            "point {point}: the second run failed: {}",
            text(&second)
        );
        assert_complete(
            &eu,
            &source.token,
            &us,
            &dest_token,
            &format!("crash at point {point}"),
        )
        .await;
        // Each chunk was loaded exactly once over both runs: replays were recognised by their
        // idempotency keys (a replay records no import).
        let chunks: usize = stackport_migrate::snapshot::open(&work.join("snapshot"))
            .unwrap()
            .tables
            .iter()
            .filter_map(|t| t.data.as_ref())
            .map(|d| d.chunks.len())
            .sum();
        let loads = us
            .storage_client(&dest_token)
            .list_events(&EventQuery {
                limit: Some(1000),
                ..Default::default()
            })
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event == "storage.tableImportDone")
            .count();
        assert_eq!(
            loads, chunks,
            "point {point}: chunks loaded vs chunks in the snapshot"
        );

        if crashed_at.len() % 4 == 1 {
            // Once finished, the same command writes nothing and says so.
            let dst = us.storage_client(&dest_token);
            let events = event_count(&dst).await;
            let third = output(migrate_run(&eu, &source.token, &us, &dest_token, &work)).await;
            assert!(third.status.success(), "{}", text(&third));
            assert!(
                text(&third).contains("\"nothingWritten\":true"),
                "{}",
                text(&third)
            );
            assert_eq!(
                event_count(&dst).await,
                events,
                "point {point}: a finished migration wrote"
            );
        }
    }
    eu.stop().await.unwrap();
    us.stop().await.unwrap();
    eprintln!(
        "{backend:?}: crashed at {} points and resumed, in {:.1} s",
        crashed_at.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_killed_with_sigkill_finishes_on_the_next_run() {
    for backend in Backend::ALL {
        eprintln!("-- projects on {backend:?}");
        killed_with_sigkill(backend).await;
    }
}

async fn killed_with_sigkill(backend: Backend) {
    let dir = temp(&format!("sigkill-{backend:?}"));
    let (eu, us) = start_demo_stacks_on(&dir.path().join("stacks"), &demo_backend(backend).await)
        .await
        .unwrap();
    let source = seed_source_project(&eu, "Sales", &SeedOptions { rows_scale: 0.05 })
        .await
        .unwrap();
    for (i, delay_ms) in [150u64, 400, 900].into_iter().enumerate() {
        let (_, dest_token) = create_empty_project(&us, &format!("Sales k{i}"))
            .await
            .unwrap();
        let work = dir.path().join(format!("work-k{i}"));
        let mut child = migrate_run(&eu, &source.token, &us, &dest_token, &work)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.kill(); // SIGKILL on Unix
        let _ = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap();
        let again = output(migrate_run(&eu, &source.token, &us, &dest_token, &work)).await;
        assert!(
            again.status.success(),
            "killed after {delay_ms} ms: {}",
            text(&again)
        );
        assert_complete(
            &eu,
            &source.token,
            &us,
            &dest_token,
            &format!("SIGKILL after {delay_ms} ms"),
        )
        .await;
    }
    eu.stop().await.unwrap();
    us.stop().await.unwrap();
}

/// Runs `cmd`, failing the test if it has not exited within a minute: a guard for commands
/// that used to hang forever on a named pipe.
async fn output_within_a_minute(mut cmd: Command, what: &str) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    match tokio::time::timeout(Duration::from_secs(60), waiting).await {
        Ok(done) => done.unwrap().unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("{what} did not exit within a minute: it hangs");
        }
    }
}

fn stackport(args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackport"));
    cmd.args(args).arg(dir).stdin(Stdio::null());
    cmd
}

/// Makes the last chunk of `table` declare 5 rows more than it holds (the table and the
/// manifest agree with it, so only reading the chunk shows it); returns the chunk's path and
/// the rows of the chunks before it.
fn declare_five_more_rows(snapshot: &Path, table: &str) -> (String, u64) {
    let path = snapshot.join("storage/tables.json");
    let mut tables = read_json(&path);
    let entry = tables
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["table"]["id"] == table)
        .unwrap();
    let data = &mut entry["data"];
    let chunks = data["chunks"].as_array_mut().unwrap();
    assert!(chunks.len() >= 2, "{table} has several chunks");
    let before: u64 = chunks[..chunks.len() - 1]
        .iter()
        .map(|c| c["rows"].as_u64().unwrap())
        .sum();
    let last = chunks.last_mut().unwrap();
    let rel = last["path"].as_str().unwrap().to_string();
    last["rows"] = (last["rows"].as_u64().unwrap() + 5).into();
    data["rows"] = (data["rows"].as_u64().unwrap() + 5).into();
    write_json(&path, &tables);
    relist(snapshot, "storage/tables.json", "storage/tables.json");
    let manifest = snapshot.join("manifest.json");
    let mut m = read_json(&manifest);
    m["inventory"]["rows"] = (m["inventory"]["rows"].as_u64().unwrap() + 5).into();
    write_json(&manifest, &m);
    (rel, before)
}

/// Nothing was written to the project of `token`: no bucket, no mark of a restore.
async fn assert_untouched(us: &EmbeddedStack, token: &str, label: &str) {
    let dst = us.storage_client(token);
    assert!(
        dst.list_buckets(false).await.unwrap().is_empty(),
        "{label}: a bucket was created"
    );
    assert!(
        dst.project_metadata().await.unwrap().is_empty(),
        "{label}: the project was marked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_snapshot_that_lies_or_holds_a_pipe_is_refused_before_the_first_write() {
    for backend in Backend::ALL {
        eprintln!("-- projects on {backend:?}");
        tampered_snapshot_refused(backend).await;
    }
}

async fn tampered_snapshot_refused(backend: Backend) {
    let dir = temp(&format!("tampered-{backend:?}"));
    let (eu, us) = start_demo_stacks_on(&dir.path().join("stacks"), &demo_backend(backend).await)
        .await
        .unwrap();
    let source = seed_source_project(&eu, "Sales", &SeedOptions { rows_scale: 0.02 })
        .await
        .unwrap();
    let good = dir.path().join("good");
    stackport_migrate::snapshot::create(
        &Endpoint::new(&eu.url, &source.token),
        &good,
        &stackport_migrate::snapshot::SnapshotOptions {
            chunk_bytes: 16 * 1024,
            ..Default::default()
        },
        Arc::new(stackport_migrate::NoProgress),
    )
    .await
    .unwrap();
    let table = "in.c-shop.orders";

    // A work dir whose snapshot (from "an earlier run") has a chunk 5 rows short.
    let work = dir.path().join("work-short");
    let snapshot = work.join("snapshot");
    copy_dir(&good, &snapshot);
    let (chunk, rows_before) = declare_five_more_rows(&snapshot, table);
    let (_, token) = create_empty_project(&us, "Sales short").await.unwrap();
    let run = output_within_a_minute(
        migrate_run(&eu, &source.token, &us, &token, &work),
        "migrate run",
    )
    .await;
    assert!(!run.status.success(), "{}", text(&run));
    assert!(
        text(&run).contains("\"phase\":\"checkSnapshot\""),
        "the pass reports as a phase: {}",
        text(&run)
    );
    assert!(
        text(&run).contains(&chunk) && text(&run).contains("nothing was written"),
        "{}",
        text(&run)
    );
    assert_untouched(&us, &token, "migrate run").await;

    // `snapshot restore` reads it through the same way; with --skip-verify the load of that
    // chunk is refused and none of its rows are committed.
    let mut restore = stackport(&["snapshot", "restore", "--dest", &us.url], &snapshot);
    restore.env("STACKPORT_DEST_TOKEN", &token);
    let refused = output_within_a_minute(restore, "snapshot restore").await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains(&chunk), "{}", text(&refused));
    assert_untouched(&us, &token, "snapshot restore").await;
    let mut skipping = stackport(
        &["snapshot", "restore", "--skip-verify", "--dest", &us.url],
        &snapshot,
    );
    skipping.env("STACKPORT_DEST_TOKEN", &token);
    let partly = output_within_a_minute(skipping, "snapshot restore --skip-verify").await;
    assert!(!partly.status.success(), "{}", text(&partly));
    assert!(
        text(&partly).contains(&chunk) && text(&partly).contains("stopped part-way"),
        "{}",
        text(&partly)
    );
    let loaded = us
        .storage_client(&token)
        .list_tables()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id.to_string() == table)
        .expect("the table was created")
        .rows_count;
    assert_eq!(loaded, rows_before, "none of the short chunk's rows");

    // A work dir whose snapshot has a named pipe, listed as 0 bytes, in place of a chunk.
    let work = dir.path().join("work-pipe");
    let snapshot = work.join("snapshot");
    copy_dir(&good, &snapshot);
    let piped = "storage/data/in.c-shop.orders/0.csv.zst";
    std::fs::remove_file(snapshot.join(piped)).unwrap();
    let made = Command::new("mkfifo")
        .arg(snapshot.join(piped))
        .status()
        .unwrap();
    assert!(made.success());
    relist_as(&snapshot, piped, piped, 0, &sha256_hex(b""));
    let (_, token) = create_empty_project(&us, "Sales pipe").await.unwrap();
    let mut restore = stackport(&["snapshot", "restore", "--dest", &us.url], &snapshot);
    restore.env("STACKPORT_DEST_TOKEN", &token);
    for (what, cmd) in [
        (
            "migrate run",
            migrate_run(&eu, &source.token, &us, &token, &work),
        ),
        (
            "snapshot inspect",
            stackport(&["snapshot", "inspect"], &snapshot),
        ),
        (
            "snapshot verify",
            stackport(&["snapshot", "verify"], &snapshot),
        ),
        ("snapshot restore", restore),
    ] {
        let out = output_within_a_minute(cmd, what).await;
        assert!(!out.status.success(), "{what}: {}", text(&out));
        assert!(
            text(&out).contains(piped)
                && text(&out).contains("named pipe")
                && text(&out).contains("not trustworthy"),
            "{what}: {}",
            text(&out)
        );
        assert_untouched(&us, &token, what).await;
    }
    eu.stop().await.unwrap();
    us.stop().await.unwrap();
}
