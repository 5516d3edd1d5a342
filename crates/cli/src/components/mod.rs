//! The component programs shipped with stackport, run by a stack's jobs through the common
//! interface (`docs/common-interface.md`): `stackport component ex-http` and
//! `stackport component wr-csv-file`. Each reads `$KBC_DATADIR/config.json`, prints what it
//! does, and exits 0 on success, 1 on a user's error (bad parameters, a refused download) and 2
//! on anything else.

mod ex_http;
mod wr_csv_file;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum ComponentCommand {
    /// Download a CSV file over HTTP(S) into out/tables (keboola.ex-http).
    ExHttp,
    /// Write each input table to a CSV file in a directory (stackport.wr-csv-file).
    WrCsvFile {
        /// The directory every configuration's `directory` is inside of.
        #[arg(long)]
        root: PathBuf,
    },
}

/// A mistake of the configuration: exit code 1, the message for the job's log.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

pub async fn run(command: ComponentCommand) -> Result<ExitCode> {
    let result = match command {
        ComponentCommand::ExHttp => ex_http::run(&data_dir()?).await,
        ComponentCommand::WrCsvFile { root } => wr_csv_file::run(&data_dir()?, &root),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.downcast_ref::<UserError>().is_some() => {
            eprintln!("{e:#}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e),
    }
}

fn data_dir() -> Result<PathBuf> {
    std::env::var_os("KBC_DATADIR")
        .map(PathBuf::from)
        .context("KBC_DATADIR is not set; a component runs inside a job of a stack")
}

/// `parameters` of `config.json`.
fn parameters(dir: &std::path::Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("config.json")).context("reading config.json")?;
    let config: serde_json::Value =
        serde_json::from_str(&text).context("config.json is not JSON")?;
    Ok(config["parameters"].clone())
}
