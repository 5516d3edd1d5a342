//! A few open connections to one server, reused, so two projects' imports run side by side
//! instead of queueing on one connection, and a request does not pay for a new login.

use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, Config, NoTls};
use stackport_stack::Result;

use crate::error::pg;

/// Idle connections kept for reuse; more may be open while busy.
const MAX_IDLE: usize = 8;

/// How long an idle connection may take to answer before it is given up for a new one.
const VALIDATE_WITHIN: Duration = Duration::from_secs(10);

pub(crate) struct Pool {
    config: Config,
    idle: Mutex<Vec<Client>>,
}

/// A connection taken from the pool; back into it when dropped, unless it broke.
pub(crate) struct Conn<'p> {
    pool: &'p Pool,
    client: Option<Client>,
}

impl Pool {
    pub(crate) fn new(config: Config) -> Pool {
        Pool {
            config,
            idle: Mutex::new(Vec::new()),
        }
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
                None => break self.config.connect(NoTls).map_err(pg)?,
            }
        };
        Ok(Conn {
            pool: self,
            client: Some(client),
        })
    }
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
