//! Opening the files of a snapshot or a work dir, which someone else may have prepared. A named
//! pipe listed as a 0-byte file passes every size check and then blocks the reader forever; a
//! symbolic link reads a file outside the directory. So every such file is opened without
//! following a link and without waiting for a writer, and the handle itself (not the path,
//! which can change in between) must turn out to be a regular file.

use std::fs::{File, FileType, OpenOptions};
use std::io;
use std::path::Path;

/// Why a path was not opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// It is something other than a regular file; says what, e.g. "a named pipe (FIFO)".
    NotRegular(&'static str),
    /// The system refused or failed the open.
    Io(io::Error),
}

impl OpenError {
    /// As an `io::Error` (for readers that speak `io`), the refusal worded for a snapshot.
    pub(crate) fn into_snapshot_io(self) -> io::Error {
        match self {
            OpenError::NotRegular(kind) => {
                io::Error::new(io::ErrorKind::InvalidData, snapshot_refusal(kind))
            }
            OpenError::Io(e) => e,
        }
    }
}

/// The message for a snapshot file that is not a regular file.
pub(crate) fn snapshot_refusal(kind: &str) -> String {
    format!(
        "is {kind}, not a regular file: the snapshot is not trustworthy (a snapshot holds only \
         regular files); take the snapshot again from the source, or use a copy you trust"
    )
}

/// A work dir's file (journal, report) that could not be opened, as an error naming it.
pub(crate) fn work_dir_file(path: &Path, e: OpenError) -> crate::MigrateError {
    match e {
        OpenError::NotRegular(kind) => crate::MigrateError::Refused(format!(
            "{}: is {kind}, not a regular file: the work dir is not trustworthy; \
             remove that file or use another work dir",
            path.display()
        )),
        OpenError::Io(e) => crate::MigrateError::io(path, "opening", e),
    }
}

/// What a file type is, for a refusal; `None` for a regular file.
pub(crate) fn not_regular(file_type: FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return Some("a device");
        }
    }
    if file_type.is_symlink() {
        Some("a symbolic link")
    } else if file_type.is_dir() {
        Some("a directory")
    } else if !file_type.is_file() {
        Some("a special file")
    } else {
        None
    }
}

/// Opens `path` for reading, only if it is a regular file and not a link.
pub(crate) fn open_regular(path: &Path) -> Result<File, OpenError> {
    checked(OpenOptions::new().read(true), path)
}

/// Opens `path` for appending (created if missing), only if it is a regular file and not a link.
pub(crate) fn append_regular(path: &Path) -> Result<File, OpenError> {
    checked(OpenOptions::new().create(true).append(true), path)
}

/// Creates or truncates `path` for writing, only if it is (or becomes) a regular file and not a
/// link. Truncation happens at the open, before the check: it has no effect on a pipe or device.
pub(crate) fn create_regular(path: &Path) -> Result<File, OpenError> {
    checked(
        OpenOptions::new().write(true).create(true).truncate(true),
        path,
    )
}

fn checked(options: &mut OpenOptions, path: &Path) -> Result<File, OpenError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a pipe opens at once instead of waiting for its other end. It changes
        // nothing for a regular file (reads and writes of regular files never block on it), so
        // the flag is left on the handle that is returned.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return OpenError::NotRegular("a symbolic link");
        }
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ENXIO) {
            // A pipe without a reader opened for writing, or a socket.
            return OpenError::NotRegular("a named pipe, socket or device");
        }
        OpenError::Io(e)
    })?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    match not_regular(meta.file_type()) {
        Some(kind) => Err(OpenError::NotRegular(kind)),
        None => Ok(file),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn dir(name: &str) -> stackport_testkit::TempDir {
        stackport_testkit::TempDir::new(&format!("regular-file-{name}"))
    }

    fn kind(r: Result<File, OpenError>) -> &'static str {
        match r {
            Err(OpenError::NotRegular(kind)) => kind,
            Err(OpenError::Io(e)) => panic!("an io error, not a refusal: {e}"),
            Ok(_) => panic!("opened"),
        }
    }

    #[test]
    fn a_pipe_a_link_and_a_directory_are_refused_at_once_and_a_file_opens() {
        let d = dir("kinds");
        let fifo = d.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Without O_NONBLOCK these opens would wait for a writer (or a reader) forever.
        assert_eq!(kind(open_regular(&fifo)), "a named pipe (FIFO)");
        assert!(kind(append_regular(&fifo)).contains("pipe"));
        assert!(kind(create_regular(&fifo)).contains("pipe"));

        let outside = d.join("outside.txt");
        std::fs::write(&outside, "secret").unwrap();
        let link = d.join("link");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        assert_eq!(kind(open_regular(&link)), "a symbolic link");
        assert_eq!(kind(create_regular(&link)), "a symbolic link");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "secret");

        assert_eq!(kind(open_regular(&d)), "a directory");
        assert!(open_regular(&outside).is_ok());
        assert!(matches!(
            open_regular(&d.join("missing")),
            Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound
        ));
    }
}
