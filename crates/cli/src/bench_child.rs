//! The migration of a data case, run as `stackport migrate run` in a child process and measured
//! from outside: wall time, its own peak RSS (`wait4`), and the cores it and both stacks used.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use stackport_demo::EmbeddedStack;

pub(crate) struct ChildRun {
    pub(crate) seconds: f64,
    pub(crate) peak_rss_kb: i64,
    /// CPU seconds of the migrating process.
    pub(crate) cpu_seconds: f64,
    /// CPU seconds of this process (both stacks) while it ran.
    pub(crate) stacks_cpu_seconds: f64,
    /// Cores used (migration and both stacks) during the snapshot and the restore phases.
    pub(crate) snapshot_cores: f64,
    pub(crate) restore_cores: f64,
    /// What the [`ServerCpu`] counted during the snapshot and during the restore.
    pub(crate) snapshot_servers: [f64; 2],
    pub(crate) restore_servers: [f64; 2],
    pub(crate) finished: serde_json::Value,
}

/// CPU seconds used so far by two processes outside the bench's own (the PostgreSQL servers
/// of the source and the destination), sampled at each phase's start like the bench's.
pub(crate) type ServerCpu = Arc<dyn Fn() -> [f64; 2] + Send + Sync>;

/// CPU seconds of both processes at one moment, to measure each phase on its own.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    cpu: f64,
    servers: [f64; 2],
}

impl Sample {
    fn take(child: libc::pid_t, servers: &ServerCpu) -> Sample {
        Sample {
            at: Instant::now(),
            cpu: self_cpu() + child_cpu(child),
            servers: servers(),
        }
    }

    fn servers_until(self, end: Sample) -> [f64; 2] {
        [
            end.servers[0] - self.servers[0],
            end.servers[1] - self.servers[1],
        ]
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
pub(crate) fn migrate_child(
    eu: &EmbeddedStack,
    src_token: &str,
    us: &EmbeddedStack,
    dst_token: &str,
    work: &Path,
    servers: ServerCpu,
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
                    phases.push((phase, Sample::take(pid, &servers)));
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
    let phase = |name: &str| {
        let at = phases.iter().position(|(p, _)| p == name)?;
        Some((phases[at].1, phases.get(at + 1)?.1))
    };
    let phase_cores = |name: &str| phase(name).map(|(start, end)| start.cores_until(end));
    let phase_servers = |name: &str| phase(name).map(|(start, end)| start.servers_until(end));
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
        snapshot_servers: phase_servers("snapshot").unwrap_or_default(),
        restore_servers: phase_servers("restore").unwrap_or_default(),
        finished,
    })
}
