//! The file seam's conformance suite: what every [`FileStore`] must do. Run by each
//! implementation's tests on a store of its own; compiled only for tests (feature
//! `conformance`). Each case works in projects of its own, so one store serves them all.

use std::io::Read;

use sha2::{Digest, Sha256};
use stackport_model::{FileId, ProjectId};

use super::{FileStore, Stored};
use crate::error::ErrorKind;

/// Runs every case on `store`, which must hold nothing of projects 9001 to 9099.
pub fn run(store: &dyn FileStore) {
    round_trips_bytes_and_digest(store, ProjectId(9001));
    an_empty_file_round_trips(store, ProjectId(9002));
    staged_files_are_invisible_until_committed(store, ProjectId(9003));
    the_size_limit_refuses_and_leaves_nothing(store, ProjectId(9004));
    deletes_one_file(store, ProjectId(9005));
    lists_per_project(store, ProjectId(9006), ProjectId(9007));
    a_reader_of_a_deleted_file_reads_it_all_or_fails(store, ProjectId(9008));
    deleting_a_project_deletes_its_files(store, ProjectId(9009), ProjectId(9010));
    concurrent_puts_of_different_files(store, ProjectId(9011));
    opens_at_an_offset(store, ProjectId(9012));
    a_staged_file_reads_back_from_an_offset(store, ProjectId(9013));
}

/// Bytes of every value, over several blocks of any reader.
fn content(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + seed) % 251) as u8).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn put(store: &dyn FileStore, project: ProjectId, file: FileId, bytes: &[u8]) -> Stored {
    let (staged, stored) = store
        .put(project, &mut &bytes[..], u64::MAX)
        .expect("a file is staged");
    staged.commit(file).expect("a staged file is committed");
    stored
}

fn read_all(store: &dyn FileStore, project: ProjectId, file: FileId) -> Option<Vec<u8>> {
    let opened = store.open(project, file).expect("open answers")?;
    let mut out = Vec::new();
    let mut reader = opened.reader;
    reader.read_to_end(&mut out).expect("a stored file reads");
    assert_eq!(opened.size, out.len() as u64, "the size given at open");
    Some(out)
}

fn round_trips_bytes_and_digest(store: &dyn FileStore, p: ProjectId) {
    let bytes = content(700_001, 1);
    let stored = put(store, p, FileId(1), &bytes);
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    assert!(read_all(store, p, FileId(1)).expect("stored") == bytes);
    assert_eq!(store.list(p).unwrap(), vec![FileId(1)]);
    assert!(store.projects().unwrap().contains(&p));
}

fn an_empty_file_round_trips(store: &dyn FileStore, p: ProjectId) {
    let stored = put(store, p, FileId(3), b"");
    assert_eq!(stored.size, 0);
    assert_eq!(stored.sha256, sha256_hex(b""));
    assert_eq!(read_all(store, p, FileId(3)), Some(Vec::new()));
}

fn staged_files_are_invisible_until_committed(store: &dyn FileStore, p: ProjectId) {
    let mut staged = store.stage(p, 100).unwrap();
    staged.write(b"half").unwrap();
    staged.write(b" and half").unwrap();
    assert_eq!(store.list(p).unwrap(), Vec::<FileId>::new());
    let stored = staged.finish().unwrap();
    assert_eq!(stored.size, 13);
    assert_eq!(stored.sha256, sha256_hex(b"half and half"));
    assert!(store.open(p, FileId(5)).unwrap().is_none());
    staged.commit(FileId(5)).unwrap();
    assert_eq!(read_all(store, p, FileId(5)).unwrap(), b"half and half");

    let mut dropped = store.stage(p, 100).unwrap();
    dropped.write(b"never committed").unwrap();
    dropped.finish().unwrap();
    drop(dropped);
    assert_eq!(
        store.list(p).unwrap(),
        vec![FileId(5)],
        "a dropped file is gone"
    );
}

fn the_size_limit_refuses_and_leaves_nothing(store: &dyn FileStore, p: ProjectId) {
    let (at_limit, _) = store.put(p, &mut &content(1000, 2)[..], 1000).unwrap();
    at_limit.commit(FileId(1)).unwrap();
    let over = store.put(p, &mut &content(1001, 3)[..], 1000);
    let err = over.err().expect("a file over its limit is refused");
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    assert_eq!(err.code(), "storage.files.tooLarge");
    // Refused by `write`, chunk by chunk, as a server's body arrives.
    let mut staged = store.stage(p, 10).unwrap();
    staged.write(&[0; 6]).unwrap();
    let err = staged
        .write(&[0; 5])
        .expect_err("the chunk that crosses the limit");
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    drop(staged);
    assert_eq!(store.list(p).unwrap(), vec![FileId(1)]);
    assert_eq!(read_all(store, p, FileId(1)).unwrap(), content(1000, 2));
}

fn deletes_one_file(store: &dyn FileStore, p: ProjectId) {
    put(store, p, FileId(1), b"one");
    put(store, p, FileId(2), b"two");
    assert!(store.delete(p, FileId(1)).unwrap());
    assert!(
        !store.delete(p, FileId(1)).unwrap(),
        "deleting twice finds nothing"
    );
    assert!(store.open(p, FileId(1)).unwrap().is_none());
    assert_eq!(store.list(p).unwrap(), vec![FileId(2)]);
    assert_eq!(read_all(store, p, FileId(2)).unwrap(), b"two");
}

fn lists_per_project(store: &dyn FileStore, a: ProjectId, b: ProjectId) {
    put(store, a, FileId(12), b"a12");
    put(store, a, FileId(3), b"a3");
    put(store, b, FileId(4), b"b4");
    assert_eq!(store.list(a).unwrap(), vec![FileId(3), FileId(12)], "by id");
    assert_eq!(store.list(b).unwrap(), vec![FileId(4)]);
    assert!(
        store.open(b, FileId(3)).unwrap().is_none(),
        "another project's file"
    );
    assert_eq!(store.list(ProjectId(9099)).unwrap(), Vec::<FileId>::new());
    let projects = store.projects().unwrap();
    assert!(projects.contains(&a) && projects.contains(&b));
    assert!(!projects.contains(&ProjectId(9099)));
}

fn a_reader_of_a_deleted_file_reads_it_all_or_fails(store: &dyn FileStore, p: ProjectId) {
    let bytes = content(300_000, 4);
    put(store, p, FileId(1), &bytes);
    let opened = store.open(p, FileId(1)).unwrap().expect("stored");
    assert!(store.delete(p, FileId(1)).unwrap());
    let mut reader = opened.reader;
    let mut out = Vec::new();
    if reader.read_to_end(&mut out).is_ok() {
        assert!(
            out == bytes,
            "a reader gives the file it opened or an error"
        );
    }
    assert!(store.open(p, FileId(1)).unwrap().is_none());
}

fn deleting_a_project_deletes_its_files(store: &dyn FileStore, doomed: ProjectId, kept: ProjectId) {
    put(store, doomed, FileId(1), b"x");
    put(store, doomed, FileId(2), b"y");
    put(store, kept, FileId(3), b"z");
    store.delete_project(doomed).unwrap();
    store.delete_project(doomed).unwrap();
    assert_eq!(store.list(doomed).unwrap(), Vec::<FileId>::new());
    assert!(store.open(doomed, FileId(1)).unwrap().is_none());
    assert!(!store.projects().unwrap().contains(&doomed));
    assert_eq!(read_all(store, kept, FileId(3)).unwrap(), b"z");
    // The project may store files again (a project id is not reused, but a store must not
    // depend on it).
    put(store, doomed, FileId(4), b"again");
    assert_eq!(store.list(doomed).unwrap(), vec![FileId(4)]);
}

fn concurrent_puts_of_different_files(store: &dyn FileStore, p: ProjectId) {
    let n = 8u64;
    std::thread::scope(|s| {
        for i in 1..=n {
            s.spawn(move || {
                let bytes = content(200_000 + i as usize, i as usize);
                let mut staged = store.stage(p, u64::MAX).unwrap();
                for chunk in bytes.chunks(10_000) {
                    staged.write(chunk).unwrap();
                    std::thread::yield_now();
                }
                let stored = staged.finish().unwrap();
                assert_eq!(stored.sha256, sha256_hex(&bytes));
                staged.commit(FileId(i)).unwrap();
            });
        }
    });
    assert_eq!(
        store.list(p).unwrap(),
        (1..=n).map(FileId).collect::<Vec<_>>()
    );
    for i in 1..=n {
        let bytes = content(200_000 + i as usize, i as usize);
        assert!(read_all(store, p, FileId(i)).unwrap() == bytes, "file {i}");
    }
}

fn opens_at_an_offset(store: &dyn FileStore, p: ProjectId) {
    let bytes = content(300_000, 5);
    put(store, p, FileId(1), &bytes);
    for offset in [0usize, 1, 123_457, 299_999, 300_000, 400_000] {
        let opened = store.open_at(p, FileId(1), offset as u64).unwrap().unwrap();
        assert_eq!(opened.size, bytes.len() as u64, "the whole file's size");
        let mut out = Vec::new();
        let mut reader = opened.reader;
        reader.read_to_end(&mut out).unwrap();
        assert!(out == bytes[offset.min(bytes.len())..], "from {offset}");
    }
    assert!(store.open_at(p, FileId(2), 5).unwrap().is_none());
}

fn a_staged_file_reads_back_from_an_offset(store: &dyn FileStore, p: ProjectId) {
    let bytes = content(200_000, 6);
    let mut staged = store.stage(p, u64::MAX).unwrap();
    staged.write(&bytes[..150_000]).unwrap();
    let mut out = Vec::new();
    staged
        .read_back(100_000)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert!(out == bytes[100_000..150_000], "what was written so far");
    staged.write(&bytes[150_000..]).unwrap();
    staged.finish().unwrap();
    let mut out = Vec::new();
    staged.read_back(7).unwrap().read_to_end(&mut out).unwrap();
    assert!(out == bytes[7..]);
    assert!(
        store.list(p).unwrap().is_empty(),
        "reading back commits nothing"
    );
}
