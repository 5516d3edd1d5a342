//! A migration killed at any step finishes when the same command runs again, with the
//! destination as an uninterrupted run leaves it: no row twice, nothing missing, no object
//! twice. And a finished migration run again writes nothing. The real binary runs against two
//! real stacks served by this test.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use stackport_client::{Client, EventQuery};
use stackport_demo::{
    create_empty_project, seed_source_project, start_demo_stacks, EmbeddedStack, SeedOptions,
};
use stackport_migrate::{verify, Endpoint};

mod common;
use common::temp;

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
    let dir = temp("points");
    let (eu, us) = start_demo_stacks(&dir.0.join("stacks")).await.unwrap();
    let source = seed_source_project(&eu, "Sales", &SeedOptions { rows_scale: 0.02 })
        .await
        .unwrap();
    // An uninterrupted run lists every crash point it passes.
    let (_, traced_token) = create_empty_project(&us, "Sales traced").await.unwrap();
    let trace = dir.0.join("points.tsv");
    let mut cmd = migrate_run(
        &eu,
        &source.token,
        &us,
        &traced_token,
        &dir.0.join("work-traced"),
    );
    cmd.env("STACKPORT_CRASH_TRACE", &trace);
    let traced = output(cmd).await;
    assert!(traced.status.success(), "{}", text(&traced));
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
        let work = dir.0.join(format!("work-{point}"));
        let mut cmd = migrate_run(&eu, &source.token, &us, &dest_token, &work);
        cmd.env("STACKPORT_CRASH_AT", point.to_string());
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_killed_with_sigkill_finishes_on_the_next_run() {
    let dir = temp("sigkill");
    let (eu, us) = start_demo_stacks(&dir.0.join("stacks")).await.unwrap();
    let source = seed_source_project(&eu, "Sales", &SeedOptions { rows_scale: 0.05 })
        .await
        .unwrap();
    for (i, delay_ms) in [150u64, 400, 900].into_iter().enumerate() {
        let (_, dest_token) = create_empty_project(&us, &format!("Sales k{i}"))
            .await
            .unwrap();
        let work = dir.0.join(format!("work-k{i}"));
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
