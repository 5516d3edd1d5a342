//! `stackport bench`: the data path, measured. For each row count it builds a table of 8 mixed
//! columns in a fresh source stack, migrates it to a fresh destination stack with the real
//! binary as a child process (so its peak RSS is its own), and in the same run times the
//! `sqlite3` shell exporting the same table to CSV and importing it into a fresh database: the
//! baseline the data phase is compared with. A second case migrates 1,000 empty tables and
//! 5,000 configurations and counts the HTTP requests it takes.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use futures_util::{StreamExt, TryStreamExt};
use stackport_client::{Client, ImportParams};
use stackport_demo::{create_empty_project, eu_central_settings, us_east_settings, EmbeddedStack};
use stackport_model::api::{NewBucket, NewConfiguration, NewTable, RawJson};
use stackport_model::Stage;

#[derive(Args)]
pub struct BenchArgs {
    /// Row counts of the data case, comma-separated (e.g. 100000,1000000,10000000).
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    rows: Vec<u64>,
    /// Skip the case of 1,000 empty tables and 5,000 configurations.
    #[arg(long)]
    skip_objects: bool,
    /// Working directory (stacks, data, snapshots); replaced.
    #[arg(long, default_value = "stackport-bench")]
    dir: PathBuf,
}

const MANAGE: &str = "bench-manage-token-0123456789abcdefghij";

pub async fn bench(args: BenchArgs) -> Result<ExitCode> {
    which_sqlite3()?;
    if args.dir.exists() {
        if !args.dir.join(".stackport-bench").exists() {
            bail!(
                "{} exists and was not made by `stackport bench`; choose another --dir",
                args.dir.display()
            );
        }
        std::fs::remove_dir_all(&args.dir)?;
    }
    std::fs::create_dir_all(&args.dir)?;
    std::fs::write(
        args.dir.join(".stackport-bench"),
        "made by stackport bench\n",
    )?;
    println!(
        "stackport bench: {} cores, data case rows {:?}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        args.rows
    );
    println!(
        "{:>10} {:>10} {:>10} {:>9} {:>10} {:>11} {:>9} {:>10} {:>7} {:>6} {:>10} {:>10}",
        "rows",
        "CSV MB",
        "data s",
        "rows/s",
        "MB/s",
        "peak RSS MB",
        "sqlite3 s",
        "ratio",
        "total s",
        "cores",
        "snap cores",
        "rest cores"
    );
    println!(
        "(data s: snapshot + loading the rows into the destination; sqlite3 s: the shell's CSV export + import of the same table; \
         ratio = sqlite3 s / data s, above 1 is faster than the baseline; cores: CPU seconds of the migration and both stacks / total s; \
         snap cores, rest cores: the same during the snapshot and the restore phase)"
    );
    for &n in &args.rows {
        data_case(&args.dir.join(format!("rows-{n}")), n).await?;
    }
    if !args.skip_objects {
        objects_case(&args.dir.join("objects")).await?;
    }
    Ok(ExitCode::SUCCESS)
}

fn bucket(name: String) -> NewBucket {
    NewBucket {
        name,
        stage: Stage::In,
        display_name: None,
        description: None,
        backend: None,
    }
}

fn which_sqlite3() -> Result<()> {
    let ok = Command::new("sqlite3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        bail!("the sqlite3 shell is needed for the baseline; scripts/bench.sh installs it");
    }
    Ok(())
}

async fn stacks(dir: &Path) -> Result<(EmbeddedStack, EmbeddedStack)> {
    let eu = EmbeddedStack::start(&dir.join("eu-central"), eu_central_settings, MANAGE).await?;
    let us = EmbeddedStack::start(&dir.join("us-east"), us_east_settings, MANAGE).await?;
    Ok((eu, us))
}

/// Writes `n` rows of 8 mixed columns, deterministic.
fn write_csv(path: &Path, n: u64) -> Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "id,customer,amount,quantity,created,active,note,category"
    )?;
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let categories = [
        "books", "garden", "tools", "toys", "food", "music", "sport", "office",
    ];
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        writeln!(
            out,
            "{i},customer-{},{}.{:02},{},2026-{:02}-{:02}T{:02}:{:02}:00Z,{},\"note {} with, a comma\",{}",
            x % 50_000,
            x % 100_000,
            x % 100,
            x % 20,
            1 + x % 12,
            1 + x % 28,
            x % 24,
            x % 60,
            x.is_multiple_of(2),
            x % 997,
            categories[(x % 8) as usize],
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

async fn import_file(client: &Client, table: &stackport_model::TableId, path: &Path) -> Result<()> {
    let file = tokio::fs::File::open(path).await?;
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 20];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    client
        .import_table(
            table,
            &ImportParams::default(),
            reqwest::Body::wrap_stream(stream),
        )
        .await
        .with_context(|| format!("loading {} into the source", path.display()))?;
    Ok(())
}

struct ChildRun {
    seconds: f64,
    peak_rss_kb: i64,
    /// CPU seconds of the migrating process.
    cpu_seconds: f64,
    /// CPU seconds of this process (both stacks) while it ran.
    stacks_cpu_seconds: f64,
    /// Cores used (migration and both stacks) during the snapshot and the restore phases.
    snapshot_cores: f64,
    restore_cores: f64,
    finished: serde_json::Value,
}

/// CPU seconds of both processes at one moment, to measure each phase on its own.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    cpu: f64,
}

impl Sample {
    fn take(child: libc::pid_t) -> Sample {
        Sample {
            at: Instant::now(),
            cpu: self_cpu() + child_cpu(child),
        }
    }

    fn cores_until(self, end: Sample) -> f64 {
        let wall = end.at.duration_since(self.at).as_secs_f64();
        if wall > 0.0 {
            (end.cpu - self.cpu) / wall
        } else {
            0.0
        }
    }
}

/// CPU seconds a running child has used so far, from `/proc/<pid>/stat` (0 where there is none).
fn child_cpu(pid: libc::pid_t) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: f64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    if per_second > 0.0 {
        ticks / per_second
    } else {
        0.0
    }
}

fn cpu_seconds(u: &libc::rusage) -> f64 {
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn self_cpu() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: usage is valid for writes.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    cpu_seconds(&usage)
}

/// Runs `stackport migrate run` as a child and measures it.
fn migrate_child(
    eu: &EmbeddedStack,
    src_token: &str,
    us: &EmbeddedStack,
    dst_token: &str,
    work: &Path,
) -> Result<ChildRun> {
    let started = Instant::now();
    let stacks_before = self_cpu();
    let child = Command::new(std::env::current_exe()?)
        .args([
            "migrate", "run", "--json", "--source", &eu.url, "--dest", &us.url, "--work",
        ])
        .arg(work)
        .env("STACKPORT_SOURCE_TOKEN", src_token)
        .env("STACKPORT_DEST_TOKEN", dst_token)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("piped");
    // Reads the JSON events as they come, sampling CPU at each phase's start.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut phases: Vec<(String, Sample)> = Vec::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(&mut stdout)) {
            let Ok(line) = line else { break };
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) {
                if event["event"] == "phaseStarted" {
                    let phase = event["phase"].as_str().unwrap_or("").to_string();
                    phases.push((phase, Sample::take(pid)));
                }
            }
            text.push_str(&line);
            text.push('\n');
        }
        (text, phases)
    });
    // wait4 gives this child's own peak RSS (getrusage would mix all children).
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet reaped; status and usage are valid for writes.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        bail!("waiting for the migration failed");
    }
    let seconds = started.elapsed().as_secs_f64();
    let stacks_cpu_seconds = self_cpu() - stacks_before;
    let (text, phases) = reader.join().unwrap_or_default();
    let phase_cores = |name: &str| {
        let at = phases.iter().position(|(p, _)| p == name)?;
        let end = phases.get(at + 1)?.1;
        Some(phases[at].1.cores_until(end))
    };
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!(
            "the migration failed: {}",
            text.lines().last().unwrap_or("")
        );
    }
    let finished = text
        .lines()
        .rev()
        .find_map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .filter(|v| v["event"] == "finished")
        })
        .context("the migration printed no finished event")?;
    Ok(ChildRun {
        seconds,
        peak_rss_kb: usage.ru_maxrss,
        cpu_seconds: cpu_seconds(&usage),
        stacks_cpu_seconds,
        snapshot_cores: phase_cores("snapshot").unwrap_or(0.0),
        restore_cores: phase_cores("restore").unwrap_or(0.0),
        finished,
    })
}

fn sqlite3(db: &Path, commands: &[&str]) -> Result<f64> {
    let started = Instant::now();
    let status = Command::new("sqlite3").arg(db).args(commands).status()?;
    if !status.success() {
        bail!("sqlite3 {commands:?} failed");
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn data_case(dir: &Path, n: u64) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let csv = dir.join("data.csv");
    let csv_bytes = write_csv(&csv, n)?;
    let (eu, us) = stacks(dir).await?;
    let (_, src_token) = create_empty_project(&eu, "bench").await?;
    let (_, dst_token) = create_empty_project(&us, "bench").await?;
    let src = eu.storage_client(&src_token);
    let bucket = src.create_bucket(&bucket("bench".into())).await?;
    let table = src
        .create_table(
            &bucket.id,
            &NewTable {
                name: "wide".into(),
                columns: [
                    "id", "customer", "amount", "quantity", "created", "active", "note", "category",
                ]
                .iter()
                .map(|c| c.parse().expect("a column name"))
                .collect(),
                ..Default::default()
            },
        )
        .await?;
    import_file(&src, &table.id, &csv).await?;

    let run = tokio::task::block_in_place(|| {
        migrate_child(&eu, &src_token, &us, &dst_token, &dir.join("work"))
    })?;
    let timing = &run.finished["report"]["timing"];
    let data_seconds = timing["snapshotSeconds"].as_f64().unwrap_or(0.0)
        + timing["dataSeconds"].as_f64().unwrap_or(0.0);
    let bytes = run.finished["report"]["moved"]["bytes"]
        .as_u64()
        .unwrap_or(0);
    eu.stop().await?;
    us.stop().await?;

    // The baseline on the same data: the sqlite3 shell's CSV export and import.
    let src_db = dir.join("baseline-src.sqlite");
    sqlite3(
        &src_db,
        &[".mode csv", &format!(".import {} t", csv.display())],
    )?;
    let out_csv = dir.join("baseline-out.csv");
    let export = sqlite3(
        &src_db,
        &[
            ".headers on",
            ".mode csv",
            &format!(".output {}", out_csv.display()),
            "SELECT * FROM t;",
        ],
    )?;
    let import = sqlite3(
        &dir.join("baseline-dst.sqlite"),
        &[".mode csv", &format!(".import {} t", out_csv.display())],
    )?;
    let baseline = export + import;
    println!(
        "{:>10} {:>10.1} {:>10.2} {:>9.0} {:>10.1} {:>11.1} {:>9.2} {:>10.2} {:>7.1} {:>6.2} {:>10.2} {:>10.2}",
        n,
        csv_bytes as f64 / 1e6,
        data_seconds,
        n as f64 / data_seconds,
        bytes as f64 / 1e6 / data_seconds,
        run.peak_rss_kb as f64 / 1024.0,
        baseline,
        baseline / data_seconds,
        run.seconds,
        (run.cpu_seconds + run.stacks_cpu_seconds) / run.seconds,
        run.snapshot_cores,
        run.restore_cores
    );
    Ok(())
}

async fn objects_case(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let (eu, us) = stacks(dir).await?;
    let (_, src_token) = create_empty_project(&eu, "objects").await?;
    let (_, dst_token) = create_empty_project(&us, "objects").await?;
    let src = eu.storage_client(&src_token);
    let setup = Instant::now();
    for b in 0..10 {
        src.create_bucket(&bucket(format!("b{b}"))).await?;
    }
    futures_util::stream::iter((0..1000).map(|i| {
        let src = src.clone();
        async move {
            let bucket = format!("in.c-b{}", i % 10).parse().expect("a bucket id");
            src.create_table(
                &bucket,
                &NewTable {
                    name: format!("t{i}"),
                    columns: vec!["id".parse().expect("a column")],
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
        }
    }))
    .buffer_unordered(4)
    .try_collect::<Vec<_>>()
    .await?;
    let components = [
        "keboola.ex-db-mysql",
        "keboola.ex-db-pgsql",
        "keboola.wr-db-pgsql",
        "keboola.ex-http",
        "keboola.python-transformation-v2",
    ];
    futures_util::stream::iter((0..5000).map(|i| {
        let src = src.clone();
        async move {
            let component = components[i % components.len()]
                .parse()
                .expect("a component id");
            src.create_config(
                &component,
                &NewConfiguration {
                    name: format!("config {i}"),
                    configuration: Some(
                        RawJson::from_string(format!(r#"{{"parameters": {{"n": {i}}}}}"#))
                            .expect("JSON"),
                    ),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
        }
    }))
    .buffer_unordered(4)
    .try_collect::<Vec<_>>()
    .await?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    let run = tokio::task::block_in_place(|| {
        migrate_child(&eu, &src_token, &us, &dst_token, &dir.join("work"))
    })?;
    eu.stop().await?;
    us.stop().await?;
    println!(
        "\n1,000 empty tables and 5,000 configurations: migrated in {:.1} s with {} HTTP requests (peak RSS {:.1} MB; setting them up took {:.1} s)",
        run.seconds,
        run.finished["httpRequests"].as_u64().unwrap_or(0),
        run.peak_rss_kb as f64 / 1024.0,
        setup_seconds
    );
    Ok(())
}
