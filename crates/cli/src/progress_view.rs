//! Shows migration events: bars on a terminal, plain lines in a log, JSON lines with `--json`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use stackport_migrate::{Event, Phase, Progress};

/// One JSON object per line on stdout, for programs.
pub struct JsonLines;

impl Progress for JsonLines {
    fn event(&self, event: Event) {
        if let Ok(line) = serde_json::to_string(&event) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        }
    }
}

struct PhaseBar {
    bar: ProgressBar,
    rows: u64,
    by_bytes: bool,
}

/// Bars on stderr when it is a terminal; one line per finished phase otherwise.
pub struct Bars {
    multi: MultiProgress,
    phases: Mutex<HashMap<Phase, PhaseBar>>,
    terminal: bool,
}

impl Bars {
    pub fn new() -> Self {
        let terminal = std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Bars {
            multi,
            phases: Mutex::new(HashMap::new()),
            terminal,
        }
    }
}

impl Progress for Bars {
    fn event(&self, event: Event) {
        let mut phases = self.phases.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            Event::PhaseStarted {
                phase,
                total_bytes,
                total_items,
                ..
            } => {
                let by_bytes = total_bytes > 0
                    && matches!(
                        phase,
                        Phase::Snapshot | Phase::CheckSnapshot | Phase::Restore
                    );
                let bar = self.multi.add(ProgressBar::new(if by_bytes {
                    total_bytes
                } else {
                    total_items.max(1)
                }));
                let template = if by_bytes {
                    "{prefix:>9} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}  {msg}"
                } else {
                    "{prefix:>9} [{bar:30}] {pos}/{len}  {msg}"
                };
                bar.set_style(
                    ProgressStyle::with_template(template)
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                bar.set_prefix(phase.label());
                phases.insert(
                    phase,
                    PhaseBar {
                        bar,
                        rows: 0,
                        by_bytes,
                    },
                );
            }
            Event::Advanced {
                phase,
                bytes,
                rows,
                items,
            } => {
                if let Some(p) = phases.get_mut(&phase) {
                    let step = if p.by_bytes { bytes } else { items };
                    if p.bar.position() + step > p.bar.length().unwrap_or(0) {
                        // Stored sizes are estimates of CSV sizes: grow rather than overflow.
                        p.bar.set_length(p.bar.position() + step);
                    }
                    p.bar.inc(step);
                    p.rows += rows;
                }
            }
            Event::ItemDone { phase, object } => {
                if let Some(p) = phases.get(&phase) {
                    p.bar.set_message(format!("{} rows · {object}", p.rows));
                }
            }
            Event::Warning { message, .. } => {
                let _ = self.multi.println(format!("warning: {message}"));
                if !self.terminal {
                    eprintln!("warning: {message}");
                }
            }
            Event::PhaseFinished { phase, seconds } => {
                if let Some(p) = phases.get(&phase) {
                    let rows = if p.rows > 0 {
                        format!(", {} rows", p.rows)
                    } else {
                        String::new()
                    };
                    p.bar
                        .finish_with_message(format!("done in {seconds:.1} s{rows}"));
                    if !self.terminal {
                        eprintln!("{}: done in {seconds:.1} s{rows}", phase.label());
                    }
                }
            }
        }
    }
}
