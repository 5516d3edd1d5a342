//! Uncommitted blocks of blob uploads (Put Block), until Put Block List names the ones that make
//! the blob. A prepared file's blocks are appended to one staged file of the file store, its
//! "block log", in the order they arrive; only their places in it are kept in memory. A log is
//! dropped (and its bytes with it) when its list is committed, when its upload's signature
//! expires (the periodic purge), and at open (nothing in memory survives; the file store
//! removes staged files a crash left).

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use stackport_model::{FileId, ProjectId};

use crate::error::{Error, ErrorKind, Result};
use crate::files::StagedFile;

/// Azure's limit of uncommitted blocks per blob.
pub const MAX_BLOCKS: usize = 50_000;
/// Azure's limit of a block id, before its base64.
pub const MAX_BLOCK_ID_BYTES: usize = 64;

/// One prepared file's uncommitted blocks.
pub(crate) struct BlockLog {
    pub(crate) log: Box<dyn StagedFile>,
    /// Where each block is in the log, by its id as sent (base64).
    blocks: HashMap<String, (u64, u64)>,
    /// Bytes appended so far (blocks sent twice count twice).
    written: u64,
    expires_secs: i64,
}

impl BlockLog {
    pub(crate) fn new(log: Box<dyn StagedFile>, expires_secs: i64) -> Self {
        BlockLog {
            log,
            blocks: HashMap::new(),
            written: 0,
            expires_secs,
        }
    }

    /// Appends block `id` read from `body` (a staged Put Block body of `len` bytes); a block sent
    /// again under the same id replaces the earlier one, as in Azure.
    pub(crate) fn append(&mut self, id: &str, body: &mut dyn Read, len: u64) -> Result<()> {
        if !self.blocks.contains_key(id) && self.blocks.len() >= MAX_BLOCKS {
            return Err(Error::new(
                ErrorKind::Conflict,
                "BlockCountExceedsLimit",
                format!(
                    "the blob has {MAX_BLOCKS} uncommitted blocks, Azure's limit; commit them \
                     with Put Block List or send larger blocks"
                ),
            ));
        }
        let start = self.written;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::internal("staging a block", e)),
            };
            self.log.write(&buf[..n])?;
            self.written += n as u64;
        }
        if self.written - start != len {
            return Err(Error::internal(
                "staging a block",
                format!("read {} bytes of a block of {len}", self.written - start),
            ));
        }
        self.blocks.insert(id.to_string(), (start, len));
        Ok(())
    }

    /// Where each of `ids` is, in that order; refused naming the first id that was never sent.
    pub(crate) fn places(&self, ids: &[String]) -> Result<Vec<(u64, u64)>> {
        ids.iter()
            .map(|id| {
                self.blocks.get(id).copied().ok_or_else(|| {
                    Error::invalid(
                        "InvalidBlockList",
                        format!(
                            "the block list names block '{id}', which was not uploaded (or its \
                             upload expired); send it with Put Block first"
                        ),
                    )
                })
            })
            .collect()
    }

    /// Bytes appended so far: what the next block may add is the file size limit minus this.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }
}

/// One log, shared by the requests writing to it.
type SharedLog = Arc<Mutex<BlockLog>>;

/// Every prepared file's block log.
#[derive(Default)]
pub(crate) struct BlockLogs {
    logs: Mutex<HashMap<(ProjectId, FileId), SharedLog>>,
}

impl BlockLogs {
    /// The log of `file`, begun by `begin` if it has none.
    pub(crate) fn get_or_begin(
        &self,
        project: ProjectId,
        file: FileId,
        begin: impl FnOnce() -> Result<BlockLog>,
    ) -> Result<SharedLog> {
        let mut logs = self.logs.lock().expect("block logs lock");
        if let Some(log) = logs.get(&(project, file)) {
            return Ok(log.clone());
        }
        let log = Arc::new(Mutex::new(begin()?));
        logs.insert((project, file), log.clone());
        Ok(log)
    }

    /// The log of `file`, if blocks were sent.
    pub(crate) fn get(&self, project: ProjectId, file: FileId) -> Option<SharedLog> {
        self.logs
            .lock()
            .expect("block logs lock")
            .get(&(project, file))
            .cloned()
    }

    /// Forgets the log of `file` (its bytes go when the last holder drops it).
    pub(crate) fn remove(&self, project: ProjectId, file: FileId) {
        self.logs
            .lock()
            .expect("block logs lock")
            .remove(&(project, file));
    }

    /// Drops the logs whose uploads expired at `now_secs`; how many.
    pub(crate) fn purge(&self, now_secs: i64) -> usize {
        let mut logs = self.logs.lock().expect("block logs lock");
        let before = logs.len();
        logs.retain(|_, log| {
            log.lock()
                .map(|l| l.expires_secs > now_secs)
                .unwrap_or(false)
        });
        before - logs.len()
    }

    /// How many logs are held (for tests of the cleanup).
    pub(crate) fn len(&self) -> usize {
        self.logs.lock().expect("block logs lock").len()
    }
}
