//! The command line: parse, then call one library function per command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use stackport_client::Client;
use stackport_model::api::NewProject;
use stackport_model::BackendName;
use stackport_stack::backend::BackendRegistry;
use stackport_stack::{BiAccount, Limits, Stack, StackSettings};

use crate::bench_cmd::{self, BenchArgs};
use crate::demo_cmd::{self, DemoArgs};
use crate::migrate_cmd::{self, MigrateCommand, SnapshotCommand};

/// Runs data-platform stacks and moves projects between them.
#[derive(Parser)]
#[command(name = "stackport", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a stack: the HTTP API over a data dir (created with defaults on first start).
    Serve(ServeArgs),
    /// Manage a stack's data dir.
    #[command(subcommand)]
    Stack(StackCommand),
    /// Manage projects on a running stack.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Move a project to another stack: plan, or run the whole migration.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Take, inspect and restore snapshots of a project.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Start two stacks in this process, seed a project on one and migrate it to the other.
    Demo(DemoArgs),
    /// Measure the data path against the sqlite3 shell, and a migration of many objects.
    Bench(BenchArgs),
    /// Run a component program shipped with stackport (a stack's job starts it).
    #[command(subcommand, hide = true)]
    Component(crate::components::ComponentCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// The stack's data dir.
    #[arg(long, default_value = "stackport-data")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8701")]
    listen: SocketAddr,
}

#[derive(Subcommand)]
enum StackCommand {
    /// Write a new stack's settings and master key into DIR.
    Init(InitArgs),
    /// Register one more PostgreSQL server in the stopped stack in DIR (its password sealed).
    AddPostgres(AddPostgresArgs),
}

#[derive(Args)]
struct AddPostgresArgs {
    /// The stack's data dir.
    dir: PathBuf,
    /// postgres://USER[:PASSWORD]@HOST:PORT/DATABASE; the password is sealed, never written
    /// in plaintext.
    url: String,
}

#[derive(Args)]
struct InitArgs {
    /// The data dir to create.
    dir: PathBuf,
    /// A short stable id, e.g. eu-central (letters, digits, '-', '_').
    #[arg(long)]
    name: String,
    /// A name for people; the id when left out.
    #[arg(long)]
    display_name: Option<String>,
    /// The BI service account the stack provisions BI projects in (none when left out).
    #[arg(long = "bi-account")]
    bi_account: Option<String>,
    /// The region the data lives in.
    #[arg(long, default_value = "local")]
    region: String,
    /// The public base URL clients use.
    #[arg(long)]
    url: String,
    /// An IP address the stack connects out from (repeat for more).
    #[arg(long = "ip")]
    ips: Vec<String>,
    /// A backend the stack offers (repeat for more).
    #[arg(long = "backend", default_value = "sqlite")]
    backends: Vec<BackendName>,
    /// The backend of new projects; the first backend when left out.
    #[arg(long)]
    default_backend: Option<BackendName>,
    /// A PostgreSQL server for `postgresql` projects (repeat for more), as
    /// postgres://USER[:PASSWORD]@HOST:PORT/DATABASE; registered as pg1, pg2, …, with its
    /// password sealed. The stack then offers `postgresql`.
    #[arg(long = "postgres")]
    postgres: Vec<String>,
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// Create a project and print its id and master Storage token.
    Create(CreateProjectArgs),
}

#[derive(Args)]
struct CreateProjectArgs {
    /// The stack's URL.
    #[arg(long)]
    url: String,
    /// The stack's manage token.
    #[arg(long, env = "STACKPORT_MANAGE_TOKEN", hide_env_values = true)]
    manage_token: String,
    /// The project's name.
    #[arg(long)]
    name: String,
    /// The table backend; the stack's default when left out.
    #[arg(long)]
    backend: Option<String>,
    /// Print JSON: {"id": …, "token": "…"}.
    #[arg(long)]
    json: bool,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        // Off the async threads: registering a PostgreSQL server connects to it with a
        // blocking client, which runs a small runtime of its own.
        Command::Stack(StackCommand::Init(args)) => {
            tokio::task::spawn_blocking(move || init(args)).await?
        }
        Command::Stack(StackCommand::AddPostgres(args)) => {
            tokio::task::spawn_blocking(move || add_postgres(args)).await?
        }
        Command::Project(ProjectCommand::Create(args)) => create_project(args).await,
        Command::Migrate(command) => migrate_cmd::migrate(command).await,
        Command::Snapshot(command) => migrate_cmd::snapshot(command).await,
        Command::Demo(args) => demo_cmd::demo(args).await,
        Command::Bench(args) => bench_cmd::bench(args).await,
        Command::Component(command) => crate::components::run(command).await,
    }
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STACKPORT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let data = args.data.clone();
    let listen = args.listen;
    let stack = tokio::task::spawn_blocking(move || {
        stackport_engines::open(&data, || StackSettings::local_default(&listen.to_string()))
    })
    .await?
    .with_context(|| format!("cannot open the stack in {}", args.data.display()))?;
    let from_env = std::env::var("STACKPORT_MANAGE_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    if let Some(token) = stack
        .ensure_manage_token(from_env.as_deref())
        .context("cannot set up the manage token")?
    {
        eprintln!("New stack: its manage token is shown this once, keep it safe (only its hash is stored):");
        println!("{token}");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let settings = stack.settings().clone();
    tracing::info!(
        stack = %settings.id,
        data = %args.data.display(),
        address = %listener.local_addr()?,
        "stack serving"
    );
    stackport_server::serve(listener, Arc::new(stack), shutdown_signal())
        .await
        .context("the server stopped")?;
    Ok(ExitCode::SUCCESS)
}

fn init(args: InitArgs) -> Result<ExitCode> {
    let mut backends = args.backends;
    if !args.postgres.is_empty() && !backends.contains(&BackendName::POSTGRESQL) {
        backends.push(BackendName::POSTGRESQL);
    }
    let settings = StackSettings {
        id: args.name.clone(),
        name: args.display_name.unwrap_or_else(|| args.name.clone()),
        region: args.region,
        url: args.url,
        ip_addresses: args.ips,
        default_backend: args.default_backend.unwrap_or_else(|| backends[0].clone()),
        backends,
        limits: Limits::default(),
        quotas: Default::default(),
        jobs: Default::default(),
        network: Default::default(),
        bi_account: args.bi_account.map(|id| BiAccount {
            name: format!("{id} (BI account of stack {})", args.name),
            id,
        }),
        postgres: Vec::new(),
    };
    for url in &args.postgres {
        stackport_engines::check_postgres(&settings.id, url)
            .context("a PostgreSQL server given with --postgres cannot hold table data")?;
    }
    BackendRegistry::check(&[BackendName::SQLITE, BackendName::POSTGRESQL], &settings)
        .and_then(|()| Stack::init(&args.dir, &settings, &args.postgres))
        .with_context(|| format!("cannot initialise a stack in {}", args.dir.display()))?;
    println!(
        "stack {} initialised in {}",
        settings.id,
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn add_postgres(args: AddPostgresArgs) -> Result<ExitCode> {
    let settings = StackSettings::load(&args.dir.join("stack.json"))
        .with_context(|| format!("cannot read the stack in {}", args.dir.display()))?;
    stackport_engines::check_postgres(&settings.id, &args.url)
        .context("the PostgreSQL server cannot hold table data")?;
    let id = Stack::add_postgres_server(&args.dir, &args.url)
        .with_context(|| format!("cannot register the server in {}", args.dir.display()))?;
    println!(
        "PostgreSQL server {id} registered in {}; new postgresql projects may be placed on it \
         once the stack restarts",
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn create_project(args: CreateProjectArgs) -> Result<ExitCode> {
    let client = Client::new(&args.url).with_manage_token(args.manage_token);
    let created = client
        .create_project(&NewProject {
            name: args.name.clone(),
            backend: args.backend,
        })
        .await
        .with_context(|| format!("cannot create project '{}' on {}", args.name, args.url))?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "id": created.project.id, "token": created.token })
        );
    } else {
        println!(
            "project {} ({}) created on {}",
            created.project.id, created.project.name, args.url
        );
        println!("master token (shown once): {}", created.token);
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM from a service manager: both stop the server gracefully, so the stack
/// closes its databases before the process ends.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap checks argument definitions only when a command is parsed; this checks them all.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
