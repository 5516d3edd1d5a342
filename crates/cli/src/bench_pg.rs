//! `stackport bench --backend postgresql`: the data path between two PostgreSQL-backed stacks,
//! beside the two things a PostgreSQL user would compare it with, measured in the same run on
//! the same source table:
//! - `pg_dump -Fc --schema=p<project>` piped into `pg_restore` into an empty database, the tool
//!   they would reach for;
//! - a binary `COPY (SELECT ...) TO STDOUT` streamed into `COPY ... FROM STDIN` between the two
//!   databases, nothing around it: the floor.
//!
//! The source is loaded through the Storage API like any client's data, so the table is exactly
//! what the backend makes of an import. The databases the bench uses are all named
//! `stackport_bench_*` and are dropped and recreated at each row count, then dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use postgres::{Client, NoTls};
use stackport_demo::{eu_central_settings, us_east_settings, EmbeddedStack};
use stackport_model::api::NewProject;
use stackport_model::BackendName;
use stackport_stack::table_servers::PostgresServer;
use stackport_stack::StackSettings;

use crate::bench_child::{migrate_child, ServerCpu};
use crate::bench_cmd::{replace_dir, BenchArgs, MANAGE};
use crate::bench_data::{load_source, write_csv, COLUMNS};
use crate::bench_pg_cpu::LocalServer;

/// Where the databases of a run live: the source stack's on one server, the destination
/// stack's and both baselines' targets on the other (which may be the same server).
#[derive(Clone)]
struct Servers {
    source: String,
    dest: String,
}

/// The databases of one row count, as superuser URLs.
struct Databases {
    source: String,
    dest: String,
    restored: String,
    copied: String,
}

const SOURCE_DB: &str = "stackport_bench_source";
const DEST_DB: &str = "stackport_bench_dest";
const RESTORED_DB: &str = "stackport_bench_pg_restore";
const COPIED_DB: &str = "stackport_bench_copy";

pub(crate) async fn bench(args: &BenchArgs) -> Result<ExitCode> {
    let servers = servers(&args.postgres)?;
    let bin = client_binaries()?;
    replace_dir(&args.dir)?;
    println!(
        "stackport bench --backend postgresql: {} cores, rows {:?}, source server {}, destination server {}, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        args.rows,
        without_user(&servers.source),
        without_user(&servers.dest),
        version(&bin.join("pg_dump"))?
    );
    println!(
        "{:>10} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8} {:>9} {:>7} {:>7} {:>7} {:>6} {:>6} {:>6} {:>7} {:>7} {:>8} {:>8}",
        "rows",
        "CSV MB",
        "snap s",
        "rest s",
        "data s",
        "rows/s",
        "RSS MB",
        "dump|rst",
        "×dump",
        "COPY s",
        "×COPY",
        "total",
        "cores",
        "rest c",
        "srcPG s",
        "dstPG s",
        "srcDB MB",
        "snap MB"
    );
    println!(
        "(data s = snap s + rest s: the migration's snapshot and its loading of the rows into the destination; \
         RSS MB: peak RSS of the migrating process; dump|rst: pg_dump -Fc of the source project's schema piped \
         into pg_restore into an empty database; ×dump = dump|rst / data s (target ≥ 3); COPY s: binary COPY \
         of the 8 columns from the source table into a table of the same columns in an empty database; \
         ×COPY = data s / COPY s (target ≤ 1.5); cores, rest c: CPU seconds of the migration, both stacks' \
         process and nothing else (not the PostgreSQL servers) / wall time, over the migration and over its \
         restore; srcPG s: CPU seconds the source's PostgreSQL server used during the snapshot, dstPG s: \
         the destination's during the restore (all the server's processes, from /proc; - for a server \
         not on this machine; with one server, each is that server's whole use); srcDB MB: pg_database_size of the source; snap MB: the snapshot on disk)"
    );
    for &n in &args.rows {
        data_case(&args.dir.join(format!("rows-{n}")), n, &servers, &bin).await?;
    }
    Ok(ExitCode::SUCCESS)
}

fn servers(urls: &[String]) -> Result<Servers> {
    let urls: Vec<&str> = urls
        .iter()
        .map(|u| u.trim())
        .filter(|u| !u.is_empty())
        .collect();
    if urls.is_empty() {
        bail!(
            "`stackport bench --backend postgresql` needs a PostgreSQL server: pass --postgres URL \
             (or set STACKPORT_POSTGRES) with a superuser URL such as postgres://postgres@127.0.0.1:5432/postgres. \
             `scripts/postgres DIR` starts a private server and prints its URL: \
             --postgres \"$(scripts/postgres /tmp/stackport-bench-pg)\""
        );
    }
    if urls.len() > 2 {
        bail!(
            "--postgres was given {} times; give one server (both stacks on it) or two (the source's, then the destination's)",
            urls.len()
        );
    }
    for url in &urls {
        let config = postgres::Config::from_str(url)
            .with_context(|| format!("--postgres {}: not a PostgreSQL URL", without_user(url)))?;
        if config.get_password().is_some() {
            bail!(
                "--postgres {}: the URL holds a password, which the bench would have to write into \
                 the stacks' settings; give a server that lets the superuser in without one over \
                 loopback, as `scripts/postgres` does",
                without_user(url)
            );
        }
    }
    Ok(Servers {
        source: urls[0].to_string(),
        dest: urls[urls.len() - 1].to_string(),
    })
}

/// `url` without its user part, for messages.
fn without_user(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// The directory of the newest `pg_dump` and `pg_restore` the distribution installed (a dump
/// needs a `pg_dump` at least as new as the server), else the `PATH`'s.
fn client_binaries() -> Result<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_restore").exists().then_some((major, bin))
        })
        .collect();
    dirs.sort();
    let bin = dirs.pop().map(|(_, d)| d).unwrap_or_default();
    for tool in ["pg_dump", "pg_restore"] {
        if version(&bin.join(tool)).is_err() {
            bail!(
                "{tool} is needed for the baseline and was found neither in /usr/lib/postgresql/*/bin \
                 nor on the PATH; install the PostgreSQL client (Debian/Ubuntu: apt-get install postgresql-client)"
            );
        }
    }
    Ok(bin)
}

fn version(tool: &Path) -> Result<String> {
    let out = Command::new(tool).arg("--version").output()?;
    if !out.status.success() {
        bail!("{} --version failed", tool.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs blocking PostgreSQL work off the runtime: the `postgres` client drives its own.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a PostgreSQL step of the bench panicked")?
}

fn connect(url: &str) -> Result<Client> {
    Client::connect(url, NoTls).with_context(|| {
        format!(
            "cannot connect to PostgreSQL at {}; is the server running (scripts/postgres DIR starts one)?",
            without_user(url)
        )
    })
}

/// Drops the database `name` of the server `admin` is connected to, if it is there, with
/// whoever is connected to it.
fn drop_database(admin: &mut Client, name: &str) -> Result<()> {
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .with_context(|| format!("cannot drop the bench's database {name}"))
}

/// Creates the database `name` afresh on the server of `admin_url`; returns its URL.
fn recreate_database(admin_url: &str, name: &str) -> Result<String> {
    let mut admin = connect(admin_url)?;
    drop_database(&mut admin, name)?;
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .with_context(|| format!("cannot create the bench's database {name}"))?;
    Ok(stackport_stack::table_servers::with_database(
        admin_url, name,
    )?)
}

fn databases(servers: &Servers) -> Result<Databases> {
    Ok(Databases {
        source: recreate_database(&servers.source, SOURCE_DB)?,
        dest: recreate_database(&servers.dest, DEST_DB)?,
        restored: recreate_database(&servers.dest, RESTORED_DB)?,
        copied: recreate_database(&servers.dest, COPIED_DB)?,
    })
}

fn drop_databases(servers: &Servers) -> Result<()> {
    drop_database(&mut connect(&servers.source)?, SOURCE_DB)?;
    let mut dest = connect(&servers.dest)?;
    for name in [DEST_DB, RESTORED_DB, COPIED_DB] {
        drop_database(&mut dest, name)?;
    }
    Ok(())
}

/// `base` with the database at `url` registered as server `pg1` and PostgreSQL the default
/// backend, so the bench's projects keep their tables there.
fn on_postgres(base: fn(&str) -> StackSettings, url: String) -> impl FnOnce(&str) -> StackSettings {
    move |listen| {
        let mut settings = base(listen);
        settings.postgres = vec![PostgresServer {
            id: "pg1".into(),
            url,
            sealed_password: None,
            accepts_new_projects: true,
        }];
        if !settings.backends.contains(&BackendName::POSTGRESQL) {
            settings.backends.push(BackendName::POSTGRESQL);
        }
        settings.default_backend = BackendName::POSTGRESQL;
        settings
    }
}

/// Creates a project on PostgreSQL; returns the schema its tables are in and its master token.
async fn pg_project(stack: &EmbeddedStack) -> Result<(String, String)> {
    let created = stack
        .manage_client()
        .create_project(&NewProject {
            name: "bench".into(),
            backend: Some(BackendName::POSTGRESQL.to_string()),
        })
        .await
        .with_context(|| format!("cannot create a PostgreSQL project on {}", stack.id))?;
    if created.project.backend != BackendName::POSTGRESQL.as_str() {
        bail!(
            "the project on {} was created on backend {}, not postgresql",
            stack.id,
            created.project.backend
        );
    }
    Ok((format!("p{}", created.project.id.0), created.token))
}

/// The source table as PostgreSQL has it: its name in the project's schema and the 8 columns
/// with their types, found in the catalog rather than assumed from the backend's naming.
struct SourceTable {
    schema: String,
    name: String,
    columns: Vec<(String, String)>,
    database_bytes: i64,
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

impl SourceTable {
    fn find(url: &str, schema: &str) -> Result<SourceTable> {
        let mut db = connect(url)?;
        let tables: Vec<String> = db
            .query(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname NOT LIKE '\\_stackport%'",
                &[&schema],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let [name] = tables.as_slice() else {
            bail!(
                "schema {schema} of {} holds tables {tables:?}; the bench expected exactly its one table",
                without_user(url)
            );
        };
        let wanted: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        let relation = format!("{}.{}", quote(schema), quote(name));
        let columns: Vec<(String, String)> = db
            .query(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
                 WHERE a.attrelid = $1::text::regclass AND a.attname = ANY($2) ORDER BY a.attnum",
                &[&relation, &wanted],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        if columns.len() != COLUMNS.len() {
            bail!("table {schema}.{name} has columns {columns:?}, not the bench's {COLUMNS:?}");
        }
        let database_bytes = db
            .query_one("SELECT pg_database_size(current_database())", &[])?
            .get(0);
        Ok(SourceTable {
            schema: schema.to_string(),
            name: name.clone(),
            columns,
            database_bytes,
        })
    }

    fn qualified(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.name))
    }

    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn count_rows(url: &str, table: &str) -> Result<i64> {
    Ok(connect(url)?
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
        .get(0))
}

/// `pg_dump -Fc` of the source project's schema piped into `pg_restore` into an empty
/// database, as a user would move it; returns the seconds both took.
fn dump_restore(bin: &Path, source: &str, schema: &str, restored: &str) -> Result<f64> {
    let started = Instant::now();
    let mut dump = Command::new(bin.join("pg_dump"))
        .args(["--format=custom", "--schema", schema, "--dbname", source])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start pg_dump")?;
    let restore = Command::new(bin.join("pg_restore"))
        .args(["--exit-on-error", "--dbname", restored])
        .stdin(dump.stdout.take().expect("piped"))
        .status()
        .context("cannot start pg_restore")?;
    let dumped = dump.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    if !dumped.success() || !restore.success() {
        bail!("pg_dump | pg_restore failed (pg_dump {dumped}, pg_restore {restore})");
    }
    Ok(seconds)
}

/// The floor: the 8 columns in PostgreSQL's binary COPY format from the source table into a
/// table of the same columns and types, streamed through this process; returns the seconds
/// and the rows the destination took.
fn raw_copy(source: &str, table: &SourceTable, copied: &str) -> Result<(f64, u64)> {
    let mut src = connect(source)?;
    let mut dst = connect(copied)?;
    let ddl: Vec<String> = table
        .columns
        .iter()
        .map(|(c, ty)| format!("{} {ty}", quote(c)))
        .collect();
    dst.batch_execute(&format!("CREATE TABLE floor ({})", ddl.join(", ")))?;
    let cols = table.column_list();
    let started = Instant::now();
    let mut reader = src.copy_out(&format!(
        "COPY (SELECT {cols} FROM {}) TO STDOUT (FORMAT binary)",
        table.qualified()
    ))?;
    let mut writer = dst.copy_in(&format!("COPY floor ({cols}) FROM STDIN (FORMAT binary)"))?;
    std::io::copy(&mut reader, &mut writer).context("streaming the binary COPY")?;
    let rows = writer.finish()?;
    Ok((started.elapsed().as_secs_f64(), rows))
}

/// A figure that may be unknown, as printed.
fn seconds(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.2}"))
}

/// Bytes of the files under `dir`.
fn disk_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => disk_bytes(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

async fn data_case(dir: &Path, n: u64, servers: &Servers, bin: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let csv = dir.join("data.csv");
    let csv_bytes = write_csv(&csv, n)?;
    let dbs = {
        let servers = servers.clone();
        blocking(move || databases(&servers)).await?
    };
    let eu = EmbeddedStack::start(
        &dir.join("eu-central"),
        on_postgres(eu_central_settings, dbs.source.clone()),
        MANAGE,
    )
    .await?;
    let us = EmbeddedStack::start(
        &dir.join("us-east"),
        on_postgres(us_east_settings, dbs.dest.clone()),
        MANAGE,
    )
    .await?;
    let (schema, src_token) = pg_project(&eu).await?;
    let (dest_schema, dst_token) = pg_project(&us).await?;
    load_source(&eu.storage_client(&src_token), &csv).await?;
    // The source's CSV is in the database now; the disk it takes is better left to the snapshot.
    std::fs::remove_file(&csv)?;

    let (source_url, dest_url) = (dbs.source.clone(), dbs.dest.clone());
    let (source_server, dest_server) = blocking(move || {
        let of = |url: &str| -> Result<Option<LocalServer>> {
            let pid: i32 = connect(url)?
                .query_one("SELECT pg_backend_pid()", &[])?
                .get(0);
            Ok(LocalServer::of_session(pid))
        };
        Ok((of(&source_url)?, of(&dest_url)?))
    })
    .await?;
    let work = dir.join("work");
    let server_cpu: ServerCpu = Arc::new(move || {
        let cpu = |server: Option<LocalServer>| server.map_or(0.0, LocalServer::cpu_seconds);
        [cpu(source_server), cpu(dest_server)]
    });
    let run = tokio::task::block_in_place(|| {
        migrate_child(&eu, &src_token, &us, &dst_token, &work, server_cpu)
    })?;
    let source_cpu = source_server.map(|_| run.snapshot_servers[0]);
    let dest_cpu = dest_server.map(|_| run.restore_servers[1]);
    let timing = &run.finished["report"]["timing"];
    let snapshot_seconds = timing["snapshotSeconds"].as_f64().unwrap_or(0.0);
    let restore_seconds = timing["dataSeconds"].as_f64().unwrap_or(0.0);
    let data_seconds = snapshot_seconds + restore_seconds;
    let moved = run.finished["report"]["moved"]["rows"]
        .as_u64()
        .unwrap_or(0);
    if moved != n {
        bail!("the migration moved {moved} rows, not {n}");
    }
    let snapshot_bytes = disk_bytes(&work);
    eu.stop().await?;
    us.stop().await?;
    std::fs::remove_dir_all(&work)?;

    let (source_url, dest_url) = (dbs.source.clone(), dbs.dest.clone());
    let (table, migrated) = blocking(move || {
        let table = SourceTable::find(&source_url, &schema)?;
        let migrated = count_rows(
            &dest_url,
            &SourceTable::find(&dest_url, &dest_schema)?.qualified(),
        )?;
        Ok((table, migrated))
    })
    .await?;
    if migrated != n as i64 {
        bail!("the destination table holds {migrated} rows, not {n}");
    }

    // The baselines, one after the other on the same source table.
    let (bin, source_url, restored_url) =
        (bin.to_path_buf(), dbs.source.clone(), dbs.restored.clone());
    let (schema, qualified) = (table.schema.clone(), table.qualified());
    let dump_seconds = blocking(move || {
        let seconds = dump_restore(&bin, &source_url, &schema, &restored_url)?;
        let restored = count_rows(&restored_url, &qualified)?;
        if restored != n as i64 {
            bail!("pg_restore restored {restored} rows, not {n}");
        }
        Ok(seconds)
    })
    .await?;
    let (source_url, copied_url) = (dbs.source.clone(), dbs.copied.clone());
    let database_bytes = table.database_bytes;
    let (copy_seconds, copied) =
        blocking(move || raw_copy(&source_url, &table, &copied_url)).await?;
    if copied != n {
        bail!("the binary COPY moved {copied} rows, not {n}");
    }
    let servers = servers.clone();
    blocking(move || drop_databases(&servers)).await?;

    println!(
        "{:>10} {:>7.1} {:>7.2} {:>7.2} {:>7.2} {:>9.0} {:>8.1} {:>9.2} {:>7.2} {:>7.2} {:>7.2} {:>6.1} {:>6.2} {:>6.2} {:>7} {:>7} {:>8.0} {:>8.0}",
        n,
        csv_bytes as f64 / 1e6,
        snapshot_seconds,
        restore_seconds,
        data_seconds,
        n as f64 / data_seconds,
        run.peak_rss_kb as f64 / 1024.0,
        dump_seconds,
        dump_seconds / data_seconds,
        copy_seconds,
        data_seconds / copy_seconds,
        run.seconds,
        (run.cpu_seconds + run.stacks_cpu_seconds) / run.seconds,
        run.restore_cores,
        seconds(source_cpu),
        seconds(dest_cpu),
        database_bytes as f64 / 1e6,
        snapshot_bytes as f64 / 1e6,
    );
    Ok(())
}
