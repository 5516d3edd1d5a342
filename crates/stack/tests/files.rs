//! Storage files through a real stack on embedded storage: what the file seam and the metadata
//! seam must do together (the sweep at open, a refused upload leaving nothing, expiry by the
//! stack's clock).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use stackport_model::FileId;
use stackport_stack::{ErrorKind, ManualClock, NewFile, Stack, TokenAuth};
use stackport_testkit::stack::{new_project, open, open_with};
use stackport_testkit::{files_under, TempDir};

fn named(name: &str) -> NewFile {
    NewFile {
        name: name.into(),
        ..Default::default()
    }
}

fn upload(stack: &Stack, auth: &TokenAuth, name: &str, bytes: &[u8]) -> FileId {
    let new = NewFile {
        is_permanent: true,
        ..named(name)
    };
    stack
        .upload_file(auth, &new, &mut &bytes[..])
        .expect("the file is uploaded")
        .id
}

fn content(stack: &Stack, auth: &TokenAuth, id: FileId) -> Vec<u8> {
    let (info, mut file) = stack.open_file(auth, id).expect("the file opens");
    let mut out = Vec::new();
    file.reader.read_to_end(&mut out).unwrap();
    assert_eq!(file.size, info.size_bytes);
    out
}

fn listed(stack: &Stack, auth: &TokenAuth) -> Vec<FileId> {
    stack
        .list_files(auth, &Default::default())
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect()
}

/// The paths of the files under the stack's `files/`, relative to it.
fn on_disk(dir: &Path) -> Vec<String> {
    let files = dir.join("files");
    let mut names: Vec<String> = files_under(&files)
        .iter()
        .map(|p| {
            p.strip_prefix(&files)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn open_sweeps_stored_files_without_a_record_and_keeps_the_rest() {
    let dir = TempDir::new("stack-files-sweep");
    let stack = open(&dir);
    let (_, me, token) = new_project(&stack, "p");
    let kept = upload(&stack, &me, "kept.bin", b"kept");
    let deleted = upload(&stack, &me, "deleted.bin", b"gone");
    stack.delete_file(&me, deleted).unwrap();
    let p = me.project().to_string();
    drop(stack);

    let files = dir.path().join("files");
    // A crash after storing a file and before its record committed; a deleted project's files;
    // an upload a crash left staged.
    std::fs::write(files.join(&p).join("999"), b"no record").unwrap();
    std::fs::create_dir_all(files.join("4242")).unwrap();
    std::fs::write(files.join("4242").join("1"), b"no project").unwrap();
    std::fs::write(files.join(&p).join(".staged-crashed"), b"half").unwrap();
    assert_eq!(on_disk(dir.path()).len(), 4);

    let stack = open(&dir);
    assert_eq!(on_disk(dir.path()), vec![format!("{p}/{kept}")]);
    let me = stack
        .authenticate(Some(&token))
        .expect("the token is valid");
    assert_eq!(content(&stack, &me, kept), b"kept");
}

#[test]
fn a_refused_upload_leaves_nothing_stored_or_recorded() {
    let dir = TempDir::new("stack-files-refused");
    let stack = open_with(&dir, None, |s| {
        s.limits.max_file_bytes = 100;
        s.quotas.file_bytes = 150;
    });
    let (_, me, _) = new_project(&stack, "p");
    let first = upload(&stack, &me, "first", &[1; 100]);

    let err = stack
        .upload_file(&me, &named("big"), &mut &[2u8; 101][..])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    assert_eq!(err.code(), "storage.files.tooLarge");
    assert!(
        err.message().contains("limits.maxFileBytes"),
        "{}",
        err.message()
    );
    let err = stack
        .upload_file(&me, &named("over quota"), &mut &[3u8; 51][..])
        .unwrap_err();
    assert_eq!(err.code(), "project.quotaExceeded");
    let err = stack
        .upload_file(&me, &named("a/b"), &mut &[4u8; 5][..])
        .unwrap_err();
    assert_eq!(err.code(), "storage.files.invalid");

    assert_eq!(listed(&stack, &me), vec![first]);
    assert_eq!(
        on_disk(dir.path()),
        vec![format!("{}/{first}", me.project())],
        "neither a staged nor a stored file of a refused upload is left"
    );
    // The quota admits up to its last byte.
    upload(&stack, &me, "fits", &[5; 50]);
}

#[test]
fn files_expire_and_are_purged_by_the_stacks_clock() {
    let dir = TempDir::new("stack-files-expiry");
    let t0 = 1_900_000_000_000_000;
    let clock = Arc::new(ManualClock::at(t0));
    let stack = open_with(&dir, Some(clock.clone()), |_| {});
    let (_, me, _) = new_project(&stack, "p");
    let new = NewFile {
        max_age_days: Some(1),
        ..named("tmp")
    };
    let info = stack
        .upload_file(&me, &new, &mut &b"soon gone"[..])
        .unwrap();
    assert_eq!(info.created.timestamp_micros(), t0);
    assert_eq!(
        info.expires.map(|e| e.timestamp_micros()),
        Some(t0 + 86_400 * 1_000_000)
    );
    let kept = upload(&stack, &me, "kept", b"forever");

    clock.advance_seconds(86_400 - 1);
    assert_eq!(stack.purge_expired_files().unwrap(), 0);
    assert_eq!(content(&stack, &me, info.id), b"soon gone");

    clock.advance_seconds(1);
    let err = stack.get_file(&me, info.id).unwrap_err();
    assert_eq!(err.code(), "storage.files.notFound");
    assert_eq!(listed(&stack, &me), vec![kept]);
    assert_eq!(stack.purge_expired_files().unwrap(), 1);
    assert_eq!(
        on_disk(dir.path()),
        vec![format!("{}/{kept}", me.project())]
    );
}
