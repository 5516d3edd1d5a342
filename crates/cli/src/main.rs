//! `stackport`: runs stacks and moves projects between them. A thin layer over the libraries.

mod bench_child;
mod bench_cmd;
mod bench_data;
mod bench_pg;
mod bench_pg_cpu;
mod commands;
mod components;
mod demo_cmd;
mod migrate_cmd;
mod progress_view;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            // anyhow's alternate form prints the whole chain of causes on one line.
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
