//! `stackport demo`: two stacks in this process, a realistic project on one, and a migration
//! to the other, so the whole product can be seen with one command and nothing installed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use stackport_demo::{create_empty_project, seed_source_project, start_demo_stacks, SeedOptions};

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
}

pub async fn demo(args: DemoArgs) -> Result<ExitCode> {
    if args.dir.join("eu-central").exists() || args.dir.join("migration").exists() {
        std::fs::remove_dir_all(&args.dir)
            .with_context(|| format!("cannot clear the earlier demo in {}", args.dir.display()))?;
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let say = |line: String| {
        if !args.json {
            eprintln!("{line}");
        }
    };
    let (eu, us) = start_demo_stacks(&args.dir).await?;
    say(format!(
        "Started stack eu-central at {} and stack us-east at {}",
        eu.url, us.url
    ));
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
        "Seeded project {} on eu-central in {:.1} s: {} buckets, {} tables ({} rows), {} aliases, {} configurations, {} orchestrations, {} users, {} tokens",
        source.id,
        started.elapsed().as_secs_f64(),
        s.buckets,
        s.tables,
        s.rows,
        s.aliases,
        s.configurations,
        s.orchestrations,
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
        json: args.json,
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
    say(format!(
        "\nThe stacks' data, the snapshot and the report are in {}",
        args.dir.display()
    ));
    Ok(code)
}
