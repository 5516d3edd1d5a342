//! Files on local disk: `<dir>/<project>/<file id>`, staged beside their final place as
//! `.staged-<random>` so that committing is one rename within a directory.
//!
//! A staged file is locked (`flock`) by its writer for as long as it is open. Opening the
//! store removes the staged files nobody holds, i.e. those a crash left; a stack opened twice
//! on one data dir (a CLI command beside `serve`) leaves the other's uploads alone.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use stackport_model::{FileId, ProjectId};

use super::{FileReader, FileStore, StagedFile, Stored, Tally};
use crate::error::{Error, Result};
use crate::secret;

const STAGED_PREFIX: &str = ".staged-";
/// What releases before the file seam named their staged uploads.
const LEGACY_STAGED_PREFIX: &str = ".upload-";

/// Storage files on local disk, under one directory.
pub struct LocalFileStore {
    dir: PathBuf,
}

impl LocalFileStore {
    /// Opens (creating) the store in `dir` and removes the staged files a crash left there.
    pub fn open(dir: &Path) -> Result<LocalFileStore> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileStore {
            dir: dir.to_path_buf(),
        };
        for project in store.projects()? {
            for entry in std::fs::read_dir(store.project_dir(project))? {
                let entry = entry?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(STAGED_PREFIX) || name.starts_with(LEGACY_STAGED_PREFIX) {
                    remove_if_abandoned(&entry.path())?;
                }
            }
        }
        Ok(store)
    }

    fn project_dir(&self, project: ProjectId) -> PathBuf {
        self.dir.join(project.to_string())
    }

    fn path(&self, project: ProjectId, file: FileId) -> PathBuf {
        self.project_dir(project).join(file.to_string())
    }
}

/// Removes a staged file unless its writer still holds it.
fn remove_if_abandoned(path: &Path) -> Result<()> {
    let file = match File::open(path) {
        Ok(f) => f,
        // Committed or dropped meanwhile.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if try_lock(&file)? {
        // Removed while locked: a writer that creates a file of the same name only after
        // this sees it unlinked and starts another (see `stage`).
        remove_if_present(path)?;
    }
    Ok(())
}

/// Takes the exclusive lock of `file` if nobody holds it; whether it did.
fn try_lock(file: &File) -> Result<bool> {
    // SAFETY: flock on a descriptor this function borrows for the call; no memory is shared.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.kind() == std::io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(e.into())
    }
}

fn remove_if_present(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Makes the entries of `dir` (a rename, a new directory) durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// The names in `dir` that are ids (as they are written: no leading zeros), ascending.
fn ids_in<T: std::str::FromStr + ToString + Ord>(dir: &Path) -> Result<Vec<T>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut ids = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Ok(id) = name.parse::<T>() {
            if id.to_string() == name {
                ids.push(id);
            }
        }
    }
    ids.sort();
    Ok(ids)
}

impl FileStore for LocalFileStore {
    fn stage(&self, project: ProjectId, limit: u64) -> Result<Box<dyn StagedFile>> {
        let dir = self.project_dir(project);
        if !dir.exists() {
            std::fs::create_dir_all(&dir)?;
            sync_dir(&self.dir)?;
        }
        // A sweep of another opening of this store may take a new file's name between its
        // creation and its lock; such a file is unlinked by the time the lock is held.
        for _ in 0..8 {
            let path = dir.join(format!("{STAGED_PREFIX}{}", secret::random_string(16)));
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)?;
            if try_lock(&file)? && file.metadata()?.nlink() > 0 {
                return Ok(Box::new(LocalStaged {
                    dir,
                    path,
                    file: Some(file),
                    tally: Tally::new(limit),
                    committed: false,
                }));
            }
        }
        Err(Error::internal(
            "staging a file",
            format!("{}: every staged name was swept at once", dir.display()),
        ))
    }

    fn open(&self, project: ProjectId, file: FileId) -> Result<Option<FileReader>> {
        let handle = match File::open(self.path(project, file)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let size = handle.metadata()?.len();
        Ok(Some(FileReader {
            size,
            reader: Box::new(handle),
        }))
    }

    fn open_at(&self, project: ProjectId, file: FileId, offset: u64) -> Result<Option<FileReader>> {
        let Some(mut opened) = self.open(project, file)? else {
            return Ok(None);
        };
        let mut handle = File::open(self.path(project, file))?;
        handle.seek(SeekFrom::Start(offset))?;
        opened.reader = Box::new(handle);
        Ok(Some(opened))
    }

    fn delete(&self, project: ProjectId, file: FileId) -> Result<bool> {
        remove_if_present(&self.path(project, file))
    }

    fn delete_project(&self, project: ProjectId) -> Result<()> {
        match std::fs::remove_dir_all(self.project_dir(project)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn list(&self, project: ProjectId) -> Result<Vec<FileId>> {
        ids_in(&self.project_dir(project))
    }

    fn projects(&self) -> Result<Vec<ProjectId>> {
        ids_in(&self.dir)
    }
}

/// A file being written beside its final place, locked while it is.
struct LocalStaged {
    dir: PathBuf,
    path: PathBuf,
    /// None once finished.
    file: Option<File>,
    tally: Tally,
    committed: bool,
}

impl StagedFile for LocalStaged {
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let file = self.file.as_mut().ok_or_else(|| finished(&self.path))?;
        self.tally.add(bytes)?;
        file.write_all(bytes)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<Stored> {
        if let Some(file) = &self.file {
            file.sync_all()?;
        }
        Ok(self.tally.stored())
    }

    fn read_back(&self, offset: u64) -> Result<Box<dyn Read + Send>> {
        let mut handle = File::open(&self.path)?;
        handle.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(handle))
    }

    fn commit(mut self: Box<Self>, file: FileId) -> Result<()> {
        if self.file.is_some() {
            self.finish()?;
        }
        // Renamed while still locked, so no sweep takes it between the two.
        std::fs::rename(&self.path, self.dir.join(file.to_string()))?;
        self.committed = true;
        sync_dir(&self.dir)
    }
}

fn finished(path: &Path) -> Error {
    Error::internal(
        "writing a staged file",
        format!("{} was finished already", path.display()),
    )
}

impl Drop for LocalStaged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn staged_names(dir: &Path) -> Vec<String> {
        stackport_testkit::files_under(dir)
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    #[test]
    fn passes_the_conformance_suite() {
        let dir = stackport_testkit::TempDir::new("local-files");
        let store = LocalFileStore::open(dir.path()).unwrap();
        super::super::conformance::run(&store);
        assert!(
            staged_names(dir.path()).is_empty(),
            "no staged file is left"
        );
    }

    #[test]
    fn opening_removes_what_a_crash_left_staged_but_not_what_a_writer_holds() {
        let dir = stackport_testkit::TempDir::new("local-files-crash");
        let store = LocalFileStore::open(dir.path()).unwrap();
        let mut held = store.stage(ProjectId(1), 100).unwrap();
        held.write(b"in flight").unwrap();
        // What a crash between creating and committing leaves: a staged name nobody holds.
        std::fs::write(dir.path().join("1").join(".staged-crashed"), b"half").unwrap();
        std::fs::write(dir.path().join("1").join(".upload-older"), b"half").unwrap();
        assert_eq!(staged_names(dir.path()).len(), 3);

        let again = LocalFileStore::open(dir.path()).unwrap();
        let left = staged_names(dir.path());
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(left[0].starts_with(STAGED_PREFIX) && left[0] != ".staged-crashed");
        held.write(b", still").unwrap();
        held.commit(FileId(7)).unwrap();
        let mut read = String::new();
        again
            .open(ProjectId(1), FileId(7))
            .unwrap()
            .unwrap()
            .reader
            .read_to_string(&mut read)
            .unwrap();
        assert_eq!(read, "in flight, still");
        assert!(staged_names(dir.path()).is_empty());
    }

    #[test]
    fn a_refused_file_leaves_nothing_on_disk() {
        let dir = stackport_testkit::TempDir::new("local-files-limit");
        let store = LocalFileStore::open(dir.path()).unwrap();
        let err = match store.put(ProjectId(1), &mut &[1u8; 11][..], 10) {
            Err(e) => e,
            Ok(_) => panic!("11 bytes are over a limit of 10"),
        };
        assert_eq!(err.kind(), crate::ErrorKind::TooLarge);
        assert!(stackport_testkit::files_under(dir.path()).is_empty());
    }
}
