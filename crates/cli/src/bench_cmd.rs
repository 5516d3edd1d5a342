//! `stackport bench`: the data path, measured. For each row count it builds a table of 8 mixed
//! columns in a fresh source stack, migrates it to a fresh destination stack with the real
//! binary as a child process (so its peak RSS is its own), and in the same run times the
//! `sqlite3` shell exporting the same table to CSV and importing it into a fresh database: the
//! baseline the data phase is compared with. A second case migrates 1,000 empty tables and
//! 5,000 configurations and counts the HTTP requests it takes. `--backend postgresql` runs the
//! data case between PostgreSQL-backed stacks instead, against PostgreSQL's tools (`bench_pg`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use futures_util::{StreamExt, TryStreamExt};
use stackport_demo::{create_empty_project, eu_central_settings, us_east_settings, EmbeddedStack};
use stackport_model::api::{NewConfiguration, NewTable, RawJson};

use crate::bench_child::{migrate_child, ServerCpu};
use crate::bench_data::{bucket, load_source, write_csv};

#[derive(Args)]
pub struct BenchArgs {
    /// Row counts of the data case, comma-separated (e.g. 100000,1000000,10000000).
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    pub(crate) rows: Vec<u64>,
    /// Skip the case of 1,000 empty tables and 5,000 configurations (SQLite only).
    #[arg(long)]
    skip_objects: bool,
    /// Working directory (stacks, data, snapshots); replaced.
    #[arg(long, default_value = "stackport-bench")]
    pub(crate) dir: PathBuf,
    /// Where both stacks keep their projects' tables; the baselines follow it.
    #[arg(long, value_enum, default_value_t = BenchBackend::Sqlite)]
    backend: BenchBackend,
    /// With `--backend postgresql`: the superuser URL of the PostgreSQL server (no password;
    /// `scripts/postgres` starts one and prints it). Given twice, the source stack's databases
    /// are on the first server and the destination's on the second. The bench drops and
    /// recreates the databases it names `stackport_bench_*` there.
    #[arg(long = "postgres", env = "STACKPORT_POSTGRES", value_delimiter = ',')]
    pub(crate) postgres: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchBackend {
    Sqlite,
    Postgresql,
}

pub(crate) const MANAGE: &str = "bench-manage-token-0123456789abcdefghij";

pub async fn bench(args: BenchArgs) -> Result<ExitCode> {
    if args.backend == BenchBackend::Postgresql {
        return crate::bench_pg::bench(&args).await;
    }
    if !args.postgres.is_empty() {
        bail!("--postgres is for --backend postgresql; add it, or leave --postgres out");
    }
    which_sqlite3()?;
    replace_dir(&args.dir)?;
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

/// Empties `dir` for a run, refusing one that an earlier run did not make.
pub(crate) fn replace_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        if !dir.join(".stackport-bench").exists() {
            bail!(
                "{} exists and was not made by `stackport bench`; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(".stackport-bench"), "made by stackport bench\n")?;
    Ok(())
}

/// SQLite stacks have no server processes of their own to measure.
fn no_servers() -> ServerCpu {
    std::sync::Arc::new(|| [0.0; 2])
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
    load_source(&eu.storage_client(&src_token), &csv).await?;

    let run = tokio::task::block_in_place(|| {
        migrate_child(
            &eu,
            &src_token,
            &us,
            &dst_token,
            &dir.join("work"),
            no_servers(),
        )
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
        migrate_child(
            &eu,
            &src_token,
            &us,
            &dst_token,
            &dir.join("work"),
            no_servers(),
        )
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
