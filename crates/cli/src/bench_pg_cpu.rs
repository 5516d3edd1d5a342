//! The CPU a PostgreSQL server on this machine used, read from `/proc`: the postmaster's own
//! time, that of the sessions it has reaped, and that of its live sessions. During a migration
//! between PostgreSQL-backed stacks most of the work is done by the servers, which the bench's
//! figures for its own processes do not show.

/// A server whose processes this machine's `/proc` shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalServer {
    postmaster: i32,
}

/// The fields of `/proc/<pid>/stat` after the command name (state first): the name may hold
/// spaces, the fields after its closing parenthesis do not. With the process's name.
fn stat(pid: i32) -> Option<(String, Vec<u64>)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = text.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_string();
    // The state is a letter; it stands as 0 so that the indices stay those of proc(5) - 3.
    let fields = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    Some((name, fields))
}

/// utime + stime + cutime + cstime, in clock ticks.
fn ticks(fields: &[u64]) -> u64 {
    fields.get(11..15).map(|f| f.iter().sum()).unwrap_or(0)
}

impl LocalServer {
    /// The server of the session whose process id is `backend_pid` (`pg_backend_pid()`), if
    /// that session and its parent are PostgreSQL processes here; a server elsewhere is `None`.
    pub(crate) fn of_session(backend_pid: i32) -> Option<LocalServer> {
        let (name, fields) = stat(backend_pid)?;
        let postmaster = i32::try_from(*fields.get(1)?).ok()?;
        let (parent, _) = stat(postmaster)?;
        (name.starts_with("postgres") && parent.starts_with("postgres"))
            .then_some(LocalServer { postmaster })
    }

    /// CPU seconds the server has used since it started.
    pub(crate) fn cpu_seconds(self) -> f64 {
        let Some((_, own)) = stat(self.postmaster) else {
            return 0.0;
        };
        let mut total = ticks(&own);
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            if let Some((_, fields)) = stat(pid) {
                if fields.get(1) == Some(&(self.postmaster as u64)) {
                    total += ticks(&fields);
                }
            }
        }
        // SAFETY: sysconf has no preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        if per_second > 0.0 {
            total as f64 / per_second
        } else {
            0.0
        }
    }
}
