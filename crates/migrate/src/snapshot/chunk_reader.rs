//! Reads one chunk back as it must be: decompressed, starting with its table's header, no
//! longer than its entry allows, and hashing the file as it goes. Restore streams chunks through
//! it and `snapshot verify` reads them through it, so both apply the same checks.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::chunker::hex;
use super::format::Codec;

/// Hashes the compressed bytes it passes on; the hasher is shared so it outlives the decoder.
struct HashingReader<R> {
    inner: R,
    hasher: Rc<RefCell<Sha256>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// A chunk opened for checked reading. Its `Read` yields the decompressed bytes, header
/// included, and fails with `InvalidData` (the message says what is wrong) as soon as the chunk
/// breaks a rule.
pub(crate) struct CheckedChunk {
    decoder: Box<dyn Read>,
    file_hash: Rc<RefCell<Sha256>>,
    header: Vec<u8>,
    max_bytes: u64,
    seen: u64,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl CheckedChunk {
    /// Opens `path`; its rows may take at most `max_bytes` after `header`.
    pub(crate) fn open(
        path: &Path,
        codec: Codec,
        header: Vec<u8>,
        max_bytes: u64,
    ) -> io::Result<Self> {
        let file_hash = Rc::new(RefCell::new(Sha256::new()));
        let hashed = HashingReader {
            inner: BufReader::with_capacity(256 * 1024, File::open(path)?),
            hasher: file_hash.clone(),
        };
        let decoder: Box<dyn Read> = match codec {
            Codec::Zstd => Box::new(
                zstd::Decoder::new(hashed)
                    .map_err(|e| invalid(format!("it does not decompress ({e})")))?,
            ),
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(hashed)),
        };
        Ok(CheckedChunk {
            decoder,
            file_hash,
            header,
            max_bytes,
            seen: 0,
        })
    }

    /// The length of the header the stream starts with.
    pub(crate) fn header_len(&self) -> usize {
        self.header.len()
    }

    /// After the stream ended: reads what follows it in the file, and returns the file's SHA-256.
    pub(crate) fn file_sha256(mut self) -> io::Result<String> {
        io::copy(&mut self.decoder, &mut io::sink())?;
        drop(self.decoder);
        let hasher = Rc::try_unwrap(self.file_hash)
            .map(RefCell::into_inner)
            .unwrap_or_else(|shared| shared.borrow().clone());
        Ok(hex(&hasher.finalize()))
    }
}

impl Read for CheckedChunk {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .decoder
            .read(buf)
            .map_err(|e| invalid(format!("it does not decompress ({e})")))?;
        let header = self.header.len() as u64;
        if self.seen < header {
            let start = self.seen as usize;
            let end = (start + n).min(self.header.len());
            if buf[..end - start] != self.header[start..end] {
                return Err(invalid("its header is not the table's columns".into()));
            }
        }
        self.seen += n as u64;
        if self.seen > header + self.max_bytes {
            return Err(invalid(format!(
                "it decompresses to more than the {} bytes its entry in storage/tables.json allows",
                self.max_bytes
            )));
        }
        Ok(n)
    }
}
