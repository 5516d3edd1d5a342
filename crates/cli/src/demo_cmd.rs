//! `stackport demo`: two stacks in this process, a realistic project on one, and a migration
//! to the other, so the whole product can be seen with one command and nothing installed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use stackport_demo::{
    create_empty_project, demo_databases, seed_source_project, start_demo_stacks_on, DemoBackend,
    SeedOptions, EU_CENTRAL_DATABASE, US_EAST_DATABASE,
};

use crate::migrate_cmd::{self, DestArgs, RunArgs, SourceArgs};

#[derive(Args)]
pub struct DemoArgs {
    /// Where the two stacks, the snapshot and the report go (replaced if it holds an earlier demo).
    #[arg(long, default_value = "stackport-demo")]
    dir: PathBuf,
    /// Size of the seeded project: 1.0 is about 118,000 rows in 10 tables.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Keep both stacks serving after the migration, until Ctrl-C, to look around.
    #[arg(long)]
    keep_running: bool,
    /// JSON-lines events on stdout instead of bars.
    #[arg(long)]
    json: bool,
    /// Where the demo's projects keep their tables, on both stacks: SQLite files in --dir
    /// (nothing to install), or a database per stack on the PostgreSQL server of --postgres.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// For `--backend postgresql`: the server's superuser URL, postgres://USER[:PASSWORD]@HOST:PORT/DATABASE
    /// (`scripts/postgres` starts a private server and prints it); the demo (re)creates the
    /// databases stackport_demo_eu_central and stackport_demo_us_east there. Default: the
    /// environment variable STACKPORT_POSTGRES.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgresql,
}

/// Where `--postgres` is read from when it is not given.
const POSTGRES_VAR: &str = "STACKPORT_POSTGRES";

/// The superuser URL for a PostgreSQL demo: the flag, else the environment, else a refusal that
/// says how to get one; never a server guessed at.
fn postgres_url(flag: Option<String>) -> Result<String> {
    let from_env = || std::env::var(POSTGRES_VAR).ok();
    match flag.or_else(from_env).filter(|u| !u.trim().is_empty()) {
        Some(url) => Ok(url.trim().to_string()),
        None => anyhow::bail!(
            "`--backend postgresql` needs a PostgreSQL server: give its superuser URL with \
             --postgres URL or {POSTGRES_VAR}. `scripts/postgres` starts a private one and prints \
             the URL: stackport demo --backend postgresql --postgres \"$(scripts/postgres --watch $$)\""
        ),
    }
}

/// Marks a directory as the demo's own, so a later run may clear what it made there.
const MARKER: &str = ".stackport-demo";
/// What a demo run makes in its directory, and nothing else is ever removed.
const OWNED: [&str; 3] = ["eu-central", "us-east", "migration"];

/// A new or empty directory, or one an earlier demo made: then only the demo's own parts are
/// removed. Anything else is refused rather than deleted.
fn prepare_dir(dir: &std::path::Path) -> Result<()> {
    if dir.join(MARKER).is_file() {
        for part in OWNED {
            let path = dir.join(part);
            if path.exists() {
                std::fs::remove_dir_all(&path).with_context(|| {
                    format!("cannot clear the earlier demo's {}", path.display())
                })?;
            }
        }
    } else if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        anyhow::bail!(
            "{} is not empty and was not made by `stackport demo`; choose another --dir",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "made by stackport demo; its eu-central, us-east and migration dirs are replaced on the next run\n")
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    Ok(())
}

pub async fn demo(args: DemoArgs) -> Result<ExitCode> {
    let postgres = match args.backend {
        BackendArg::Sqlite => {
            anyhow::ensure!(
                args.postgres.is_none(),
                "--postgres is for `--backend postgresql`; the SQLite demo needs no server"
            );
            None
        }
        BackendArg::Postgresql => Some(postgres_url(args.postgres.clone())?),
    };
    prepare_dir(&args.dir)?;
    let say = |line: String| {
        if !args.json {
            eprintln!("{line}");
        }
    };
    let backend = match &postgres {
        None => DemoBackend::Sqlite,
        Some(url) => demo_databases(url, &args.dir)
            .await
            .context("cannot make the demo's PostgreSQL databases")?,
    };
    let (eu, us) = start_demo_stacks_on(&args.dir, &backend).await?;
    say(format!(
        "Started stack eu-central at {} and stack us-east at {}",
        eu.url, us.url
    ));
    if postgres.is_some() {
        say(format!(
            "Their projects keep their tables on PostgreSQL: eu-central in database \
             {EU_CENTRAL_DATABASE}, us-east in {US_EAST_DATABASE}"
        ));
    }
    let started = std::time::Instant::now();
    let source = seed_source_project(
        &eu,
        "Sales analytics",
        &SeedOptions {
            rows_scale: args.scale,
        },
    )
    .await
    .context("cannot seed the demo project")?;
    let s = &source.summary;
    say(format!(
        "Seeded project {} on eu-central in {:.1} s: {} buckets, {} tables ({} rows), {} aliases, {} configurations, {} orchestrations, {} jobs run, {} users, {} tokens",
        source.id,
        started.elapsed().as_secs_f64(),
        s.buckets,
        s.tables,
        s.rows,
        s.aliases,
        s.configurations,
        s.orchestrations,
        s.jobs,
        s.users,
        s.tokens
    ));

    let (dest_id, dest_token) = create_empty_project(&us, "Sales analytics")
        .await
        .context("cannot create the destination project")?;
    say(format!(
        "Created empty project {dest_id} on us-east; migrating…\n"
    ));
    let code = migrate_cmd::run(RunArgs {
        source: SourceArgs {
            url: eu.url.clone(),
            token: source.token.clone(),
        },
        dest: DestArgs {
            url: us.url.clone(),
            token: dest_token.clone(),
        },
        work: args.dir.join("migration"),
        chunk_kib: 64 * 1024,
        json: args.json,
        // The migrated transformations run in both projects, proving the copy works.
        run_transformations: true,
    })
    .await?;
    if args.keep_running {
        say(format!(
            "\nBoth stacks keep serving until Ctrl-C:\n  eu-central {}  project {}  token {}\n  us-east    {}  project {dest_id}  token {dest_token}",
            eu.url, source.id, source.token, us.url
        ));
        let _ = tokio::signal::ctrl_c().await;
    }
    eu.stop().await?;
    us.stop().await?;
    if postgres.is_some() {
        say(format!(
            "\nThe stacks' settings, metadata and files, the snapshot and the report are in {}; \
             their projects' tables stay in the databases {EU_CENTRAL_DATABASE} and \
             {US_EAST_DATABASE}",
            args.dir.display()
        ));
    } else {
        say(format!(
            "\nThe stacks' data, the snapshot and the report are in {}",
            args.dir.display()
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_demo_made_is_ever_removed() {
        let dir = stackport_testkit::TempDir::new("demo-dir");
        std::fs::create_dir_all(dir.join("migration")).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let err = prepare_dir(&dir).unwrap_err();
        assert!(
            err.to_string().contains("not made by `stackport demo`"),
            "{err}"
        );
        assert!(dir.join("notes.txt").exists() && dir.join("migration").exists());

        std::fs::write(dir.join(MARKER), "").unwrap();
        std::fs::create_dir_all(dir.join("eu-central")).unwrap();
        prepare_dir(&dir).unwrap();
        assert!(!dir.join("migration").exists() && !dir.join("eu-central").exists());
        assert!(
            dir.join("notes.txt").exists(),
            "what the demo did not make stays"
        );
    }
}
