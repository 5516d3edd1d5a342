//! End-to-end migrations between two real stacks served on loopback, driven through the
//! migration library exactly as the `stackport` binary drives it.

mod fingerprint;
mod world;

mod backend_change;
mod changed_while_read;
mod end_to_end;
mod lying_chunks;
mod refusals;
mod snapshot_contents;
mod snapshot_defects;
mod special_files;
mod storage_job_history;
mod triggers;
mod verification;
