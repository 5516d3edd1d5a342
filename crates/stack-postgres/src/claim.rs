//! One database, one stack. Project ids are the stack's own (every stack's first project is 1),
//! so two stacks on one database would name the same schema `p1`: one's orphan sweep would
//! drop the other's tables, one's project deletion the other's schema and accounts. The first
//! session of a stack writes its id into the database (`_stackport.stack`), and every session
//! refuses a database holding another stack's id.

use postgres::Client;
use stackport_stack::{Error, Result};

use crate::error::pg;

/// Claims the database for `stack`, or refuses it when another stack holds it.
pub(crate) fn claim(client: &mut Client, stack: &str) -> Result<()> {
    let holder = match held_by(client)? {
        Some(holder) => holder,
        None => {
            let mut tx = client.transaction().map_err(pg)?;
            // Two first sessions at once: the lock orders them, the second finds the first's.
            tx.batch_execute(
                "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('stackport.claim', 0::bigint)); \
                 CREATE SCHEMA IF NOT EXISTS _stackport; \
                 CREATE TABLE IF NOT EXISTS _stackport.stack \
                   (id text NOT NULL, one boolean NOT NULL DEFAULT true UNIQUE CHECK (one))",
            )
            .map_err(pg)?;
            tx.execute(
                "INSERT INTO _stackport.stack (id) VALUES ($1) ON CONFLICT (one) DO NOTHING",
                &[&stack],
            )
            .map_err(pg)?;
            let holder: String = tx
                .query_one("SELECT id FROM _stackport.stack", &[])
                .map_err(pg)?
                .get(0);
            tx.commit().map_err(pg)?;
            holder
        }
    };
    if holder == stack {
        return Ok(());
    }
    let database: String = client
        .query_one("SELECT pg_catalog.current_database()::text", &[])
        .map_err(pg)?
        .get(0);
    Err(Error::conflict(
        "storage.backend.claimed",
        format!(
            "database '{database}' holds the tables of stack '{holder}', not of stack \
             '{stack}': two stacks on one database would overwrite each other's projects; give \
             each stack a database of its own"
        ),
    ))
}

/// The stack the database belongs to, if any has claimed it yet.
fn held_by(client: &mut Client) -> Result<Option<String>> {
    let exists: bool = client
        .query_one(
            "SELECT pg_catalog.to_regclass('_stackport.stack') IS NOT NULL",
            &[],
        )
        .map_err(pg)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    Ok(client
        .query_opt("SELECT id FROM _stackport.stack", &[])
        .map_err(pg)?
        .map(|row| row.get(0)))
}
