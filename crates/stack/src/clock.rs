//! The one clock a stack goes by: every time it records or compares (`created`, expiry, events,
//! imports, schedules) comes from here. A stack runs on the system clock; a test holds a
//! [`ManualClock`] and moves it, so a schedule firing or a token expiring can be seen without
//! waiting. `ManualClock` exists only with the `test-clock` feature, never in a release binary.

#[cfg(any(test, feature = "test-clock"))]
use std::sync::atomic::{AtomicI64, Ordering};

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    /// Microseconds since the Unix epoch.
    fn now_micros(&self) -> i64;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        chrono::Utc::now().timestamp_micros()
    }
}

/// A clock that stands still until it is set or advanced.
#[cfg(any(test, feature = "test-clock"))]
#[derive(Debug)]
pub struct ManualClock {
    micros: AtomicI64,
}

#[cfg(any(test, feature = "test-clock"))]
impl ManualClock {
    /// A clock showing `micros` since the epoch.
    pub fn at(micros: i64) -> Self {
        ManualClock {
            micros: AtomicI64::new(micros),
        }
    }

    /// Shows `micros` from now on.
    pub fn set(&self, micros: i64) {
        self.micros.store(micros, Ordering::SeqCst);
    }

    /// Moves the clock on by `seconds`.
    pub fn advance_seconds(&self, seconds: i64) {
        self.micros.fetch_add(seconds * 1_000_000, Ordering::SeqCst);
    }
}

#[cfg(any(test, feature = "test-clock"))]
impl Clock for ManualClock {
    fn now_micros(&self) -> i64 {
        self.micros.load(Ordering::SeqCst)
    }
}
