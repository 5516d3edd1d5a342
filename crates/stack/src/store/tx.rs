//! The stack's side of a metadata transaction: the store's transaction and the time it began,
//! by the stack's clock. Like PostgreSQL's `now()`, everything one operation records
//! (`created`, `lastChange`, its events) carries that one time.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::{MetaTx, MetadataStore};
use crate::error::Result;
use crate::Clock;

/// A transaction as the rules see it.
pub struct Tx<'a> {
    inner: Box<dyn MetaTx + 'a>,
    now_micros: i64,
}

impl Tx<'_> {
    /// When the transaction began, by the stack's clock.
    pub fn now_micros(&self) -> i64 {
        self.now_micros
    }
}

impl<'a> Deref for Tx<'a> {
    type Target = dyn MetaTx + 'a;
    fn deref(&self) -> &Self::Target {
        self.inner.as_ref()
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.inner.as_mut()
    }
}

/// The stack's metadata store with the stack's clock: the one its transactions, and every other
/// "now" of the stack, go by.
pub(crate) struct Meta {
    store: Box<dyn MetadataStore>,
    clock: Arc<dyn Clock>,
}

impl Meta {
    pub(crate) fn new(store: Box<dyn MetadataStore>, clock: Arc<dyn Clock>) -> Meta {
        Meta { store, clock }
    }

    /// See [`MetadataStore::lock_project_writer`].
    pub(crate) fn lock_project_writer(
        &self,
        project: stackport_model::ProjectId,
    ) -> Result<Box<dyn super::WriterGuard + '_>> {
        self.store.lock_project_writer(project)
    }

    /// Now, by the stack's clock.
    pub(crate) fn now_micros(&self) -> i64 {
        self.clock.now_micros()
    }

    pub(crate) fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// Runs `f` over a read view.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut tx = Tx {
            inner: self.store.begin_read()?,
            now_micros: self.clock.now_micros(),
        };
        let out = f(&mut tx)?;
        tx.inner.commit()?;
        Ok(out)
    }

    /// Runs `f` in a write transaction, committed only if `f` succeeds.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut tx = Tx {
            inner: self.store.begin_write()?,
            now_micros: self.clock.now_micros(),
        };
        let out = f(&mut tx)?;
        tx.inner.commit()?;
        Ok(out)
    }
}
