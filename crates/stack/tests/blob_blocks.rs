//! Uncommitted blocks of blob uploads: staged in the file store, and gone when their list is
//! committed, and when the upload's signature expires; none survive a restart.

use std::path::Path;
use std::sync::Arc;

use stackport_stack::blob::{blob_name, container, Grant};
use stackport_stack::{ManualClock, NewFile, Stack};
use stackport_testkit::stack::{new_project, open, open_with};
use stackport_testkit::{files_under, TempDir};

/// The staged files under the stack's `files/`.
fn staged(dir: &Path) -> usize {
    files_under(&dir.join("files"))
        .iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .count()
}

/// Prepares a file and sends it two blocks; returns the upload's grant and blob path.
fn two_blocks(stack: &Stack) -> (Grant, String, String) {
    let (_, me, _) = new_project(stack, "p");
    let new = NewFile {
        name: "b.bin".into(),
        ..Default::default()
    };
    let (file, grant) = stack.prepare_file(&me, &new, None, false).unwrap();
    let (c, b) = (container(grant.project), blob_name(&file));
    for (id, bytes) in [("QQ==", &b"first "[..]), ("Qg==", &b"second"[..])] {
        let mut upload = stack.stage_blob(&grant, &c, &b).unwrap();
        upload.write(bytes).unwrap();
        stack.put_block(&grant, &c, &b, id, upload).unwrap();
    }
    (grant, c, b)
}

#[test]
fn committing_the_list_drops_the_staged_blocks() {
    let dir = TempDir::new("blob-blocks-commit");
    let stack = open(dir.path());
    let (grant, c, b) = two_blocks(&stack);
    assert_eq!(stack.staged_block_uploads(), 1);
    assert_eq!(staged(dir.path()), 1, "one block log per upload");
    let file = stack
        .put_block_list(&grant, &c, &b, &["Qg==".into(), "QQ==".into()])
        .unwrap();
    assert_eq!(file.size_bytes, 12);
    assert_eq!(stack.staged_block_uploads(), 0);
    assert_eq!(staged(dir.path()), 0);
}

#[test]
fn expiry_drops_the_staged_blocks_and_a_restart_keeps_none() {
    let dir = TempDir::new("blob-blocks-expiry");
    let clock = Arc::new(ManualClock::at(1_900_000_000_000_000));
    let stack = open_with(&dir, Some(clock.clone()), |_| {});
    two_blocks(&stack);
    clock.advance_seconds(11 * 3600);
    stack.purge_expired_files().unwrap();
    assert_eq!(
        stack.staged_block_uploads(),
        1,
        "not before the signature expires"
    );
    clock.advance_seconds(3600);
    // The prepared record expires with the signature, and the blocks with it.
    assert_eq!(stack.purge_expired_files().unwrap(), 1);
    assert_eq!(stack.staged_block_uploads(), 0);
    assert_eq!(staged(dir.path()), 0);

    two_blocks(&stack);
    assert_eq!(staged(dir.path()), 1);
    drop(stack);
    let again = open(dir.path());
    assert_eq!(again.staged_block_uploads(), 0);
    assert_eq!(staged(dir.path()), 0);
}
