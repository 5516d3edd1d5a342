//! A few open connections to one server, reused, so two projects' imports run side by side
//! instead of queueing on one connection, and a request does not pay for a new login.

use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, Config, NoTls};
use stackport_stack::{Error, ErrorKind, Result};

use crate::error::pg;

/// Idle connections kept for reuse; more may be open while busy.
const MAX_IDLE: usize = 8;

/// How long an idle connection may take to answer before it is given up for a new one.
const VALIDATE_WITHIN: Duration = Duration::from_secs(10);

/// See [`Pool::new`].
/// `search_path` too: the stack's sessions are a superuser's, and every name in their SQL is
/// qualified, so no function or table another role put in a schema on the path (PostgreSQL
/// before 15 lets anyone create in `public`) is ever picked in place of the system's.
const SESSION_OPTIONS: &str = concat!(
    "-c DateStyle=ISO,YMD -c extra_float_digits=1 -c TimeZone=UTC",
    " -c search_path=pg_catalog,pg_temp"
);

/// What the text forms of typed values depend on, for sessions of an account's own, which keep
/// the account's `search_path` (its schema).
pub(crate) const TEXT_OPTIONS: &str =
    "-c DateStyle=ISO,YMD -c extra_float_digits=1 -c TimeZone=UTC";

pub(crate) struct Pool {
    config: Config,
    idle: Mutex<Vec<Client>>,
    /// The stack whose database this is; checked by every new session (see `crate::claim`).
    stack: Option<String>,
}

/// A connection taken from the pool; back into it when dropped, unless it broke.
pub(crate) struct Conn<'p> {
    pool: &'p Pool,
    client: Option<Client>,
}

impl Pool {
    /// Every connection gets the settings the text forms of typed values depend on (ISO dates,
    /// the shortest float that reads back the same, times without an offset read as UTC as
    /// the stack reads them), after any options of the URL so that those cannot change them.
    pub(crate) fn new(mut config: Config) -> Pool {
        let options = match config.get_options() {
            Some(own) => format!("{own} {SESSION_OPTIONS}"),
            None => SESSION_OPTIONS.to_string(),
        };
        config.options(&options);
        Pool {
            config,
            idle: Mutex::new(Vec::new()),
            stack: None,
        }
    }

    /// Makes every new session claim the database for `stack`, or refuse another stack's.
    pub(crate) fn claim_for(&mut self, stack: &str) {
        self.stack = Some(stack.to_string());
    }

    /// How the pool logs in: the base of a login as another role.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn get(&self) -> Result<Conn<'_>> {
        let client = loop {
            let reused = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match reused {
                // One round trip, so a session the server ended while idle (a restart, a
                // terminated backend) is replaced instead of failing the caller's call.
                Some(mut c) => {
                    if !c.is_closed() && c.is_valid(VALIDATE_WITHIN).is_ok() {
                        break c;
                    }
                }
                None => break self.open()?,
            }
        };
        Ok(Conn {
            pool: self,
            client: Some(client),
        })
    }
}

impl Pool {
    /// A new session, checked to be one table data can live in: sizes are bytes of UTF-8
    /// (`octet_length`) and values must come back byte for byte.
    fn open(&self) -> Result<Client> {
        let mut client = self.config.connect(NoTls).map_err(|e| {
            let host = self.config.get_hosts().first().map(|h| match h {
                postgres::config::Host::Tcp(h) => h.clone(),
                postgres::config::Host::Unix(p) => p.display().to_string(),
            });
            let port = self.config.get_ports().first().copied().unwrap_or(5432);
            Error::new(
                ErrorKind::Unavailable,
                "storage.backend.unavailable",
                format!(
                    "cannot reach the PostgreSQL server at {}:{port}: {}",
                    host.unwrap_or_default(),
                    crate::error::chain(&e)
                ),
            )
        })?;
        let encoding: String = client
            .query_one("SHOW server_encoding", &[])
            .map_err(pg)?
            .get(0);
        if encoding != "UTF8" {
            return Err(Error::invalid(
                "storage.backend.encoding",
                format!(
                    "the database's encoding is {encoding}; table data needs a UTF8 database \
                     (CREATE DATABASE ... ENCODING 'UTF8')"
                ),
            ));
        }
        if let Some(stack) = &self.stack {
            crate::claim::claim(&mut client, stack)?;
        }
        Ok(client)
    }
}

impl Drop for Pool {
    /// A blocking client owns a small runtime, and tokio refuses to drop a runtime on one of
    /// its async threads, where the last reference to a stack may well go: the idle sessions
    /// are then closed on a thread of their own.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        if idle.is_empty() {
            return;
        }
        if tokio_context() {
            let _ = std::thread::Builder::new()
                .name("stackport-pg-close".into())
                .spawn(move || drop(idle));
        } else {
            drop(idle);
        }
    }
}

/// Whether this thread belongs to a tokio runtime (also its blocking pool, where dropping
/// would be allowed; telling the two apart is not worth a thread's start).
fn tokio_context() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until dropped")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if client.is_closed() {
                return;
            }
            let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(client);
            }
        }
    }
}
