//! Deliberate crashes for the resume tests: with `STACKPORT_CRASH_AT=n` the process aborts at
//! the n-th crash point it reaches (a point after each durable step: a table read, a chunk
//! loaded, an object created), exactly as a SIGKILL there would. Unset, a point costs one
//! atomic increment. With `STACKPORT_CRASH_TRACE=FILE` each point reached is appended to FILE
//! as `n<TAB>what`, so a test can learn every point of a run and choose which to crash at.
//!
//! A stray `STACKPORT_CRASH_AT` on an operator's machine must not kill a real migration: it
//! arms only together with `STACKPORT_CRASH_ARM=abort-migrations` (the crash tests set both);
//! alone it is ignored with a warning saying so.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static REACHED: AtomicU64 = AtomicU64::new(0);

/// The value of `STACKPORT_CRASH_ARM` that arms `STACKPORT_CRASH_AT`.
pub const ARM: &str = "abort-migrations";

fn target() -> Option<u64> {
    static TARGET: OnceLock<Option<u64>> = OnceLock::new();
    *TARGET.get_or_init(|| {
        let at = std::env::var("STACKPORT_CRASH_AT").ok()?;
        if std::env::var("STACKPORT_CRASH_ARM").as_deref() != Ok(ARM) {
            eprintln!(
                "warning: STACKPORT_CRASH_AT={at} is set but ignored: it would abort this migration on \
                 purpose; it is for stackport's crash tests, which also set STACKPORT_CRASH_ARM={ARM}"
            );
            return None;
        }
        at.parse().ok()
    })
}

/// A point where a crash must be survivable.
pub(crate) fn point(what: std::fmt::Arguments<'_>) {
    let n = REACHED.fetch_add(1, Ordering::SeqCst) + 1;
    static TRACE: OnceLock<Option<std::ffi::OsString>> = OnceLock::new();
    if let Some(trace) = TRACE.get_or_init(|| std::env::var_os("STACKPORT_CRASH_TRACE")) {
        use std::io::Write;
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(trace)
            .and_then(|mut f| writeln!(f, "{n}\t{what}"));
        if let Err(e) = written {
            eprintln!("STACKPORT_CRASH_TRACE: {e}");
        }
    }
    if target() == Some(n) {
        eprintln!("STACKPORT_CRASH_AT={n}: aborting after {what}");
        std::process::abort();
    }
}

/// How many points this process has passed.
pub fn points_reached() -> u64 {
    REACHED.load(Ordering::SeqCst)
}
