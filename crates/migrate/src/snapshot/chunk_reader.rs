//! Reads one chunk back as it must be: decompressed, starting with its table's header, holding
//! exactly the rows and bytes its entry declares, no record longer than the record limit, and
//! hashing the file as it goes. Restore streams chunks through it and `snapshot verify` reads
//! them through it, so both apply the same checks; memory stays at one read buffer (and the
//! decoder's window) whatever the chunk holds, because nothing here keeps a record whole.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::chunker::hex;
use super::format::Codec;

/// The longest record (one row, all its values) a chunk may hold unless told otherwise: the
/// stack's default `limits.maxRecordBytes`, so a snapshot that passes loads into a stack with
/// default limits.
pub const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// The largest zstd window a chunk may ask for (2^27 = 128 MiB, zstd's own default limit).
/// Writers use level 1, whose window is 512 KiB; a larger one is only ever a way to make the
/// reader allocate.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

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

/// What a chunk must hold, from its entry in `storage/tables.json`.
#[derive(Debug, Clone)]
pub(crate) struct ChunkRules {
    /// The table's header row, which the chunk starts with.
    pub header: Vec<u8>,
    /// Bytes of rows after the header.
    pub bytes: u64,
    /// Rows.
    pub rows: u64,
    /// The longest record allowed.
    pub max_record_bytes: u64,
}

/// A chunk opened for checked reading. Its `Read` yields the decompressed bytes, header
/// included, and fails with `InvalidData` (the message says what is wrong, and where) as soon as
/// the chunk breaks a rule. It reports the end of the stream only when the chunk held exactly
/// what its entry declares, so a reader that forwards the bytes (an upload) fails before its
/// end, and the destination never commits a chunk that lied.
pub(crate) struct CheckedChunk {
    decoder: Box<dyn Read>,
    file_hash: Rc<RefCell<Sha256>>,
    rules: ChunkRules,
    /// Decompressed bytes so far, header included.
    seen: u64,
    in_quotes: bool,
    rows: u64,
    /// Bytes of the record being read so far.
    record_bytes: u64,
    /// The line being read (the header is line 1).
    line: u64,
    /// The line the record being read started on.
    record_line: u64,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl CheckedChunk {
    /// Reads the chunk in `file` (opened with [`crate::regular_file::open_regular`]).
    pub(crate) fn new(file: File, codec: Codec, rules: ChunkRules) -> io::Result<Self> {
        let file_hash = Rc::new(RefCell::new(Sha256::new()));
        let hashed = HashingReader {
            inner: BufReader::with_capacity(256 * 1024, file),
            hasher: file_hash.clone(),
        };
        let decoder: Box<dyn Read> = match codec {
            Codec::Zstd => {
                let mut d = zstd::Decoder::new(hashed)
                    .map_err(|e| invalid(format!("it does not decompress ({e})")))?;
                d.window_log_max(ZSTD_WINDOW_LOG_MAX)
                    .map_err(|e| invalid(format!("it does not decompress ({e})")))?;
                Box::new(d)
            }
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(hashed)),
        };
        Ok(CheckedChunk {
            decoder,
            file_hash,
            rules,
            seen: 0,
            in_quotes: false,
            rows: 0,
            record_bytes: 0,
            line: 2,
            record_line: 2,
        })
    }

    /// The length of the header the stream starts with.
    pub(crate) fn header_len(&self) -> usize {
        self.rules.header.len()
    }

    /// Rows read so far (all of them once the stream ended).
    pub(crate) fn rows(&self) -> u64 {
        self.rows
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

    fn body_bytes(&self) -> u64 {
        self.seen.saturating_sub(self.rules.header.len() as u64)
    }

    /// Counts rows and lines in `body` (bytes after the header) and measures each record.
    fn scan(&mut self, body: &[u8]) -> io::Result<()> {
        let mut from = 0;
        while let Some(at) = memchr::memchr2(b'"', b'\n', &body[from..]) {
            let i = from + at;
            self.record_bytes += (i + 1 - from) as u64;
            from = i + 1;
            if body[i] == b'"' {
                self.in_quotes = !self.in_quotes;
                continue;
            }
            self.check_record()?;
            self.line += 1;
            if !self.in_quotes {
                self.rows += 1;
                self.record_bytes = 0;
                self.record_line = self.line;
            }
        }
        self.record_bytes += (body.len() - from) as u64;
        self.check_record()
    }

    fn check_record(&self) -> io::Result<()> {
        if self.record_bytes > self.rules.max_record_bytes {
            return Err(invalid(format!(
                "row {} (starting on line {}) is longer than {} bytes, the most one record may \
                 have (the stack's default limits.maxRecordBytes); a stack with a higher limit \
                 needs the same limit here (--max-record-mib)",
                self.rows + 1,
                self.record_line,
                self.rules.max_record_bytes
            )));
        }
        Ok(())
    }

    /// At the end of the stream: the chunk must have held exactly what its entry declares.
    fn check_end(&self) -> io::Result<()> {
        let header = self.rules.header.len() as u64;
        if self.seen < header {
            return Err(invalid(format!(
                "it ends after {} bytes, inside its header row",
                self.seen
            )));
        }
        if self.in_quotes || self.record_bytes > 0 {
            return Err(invalid(format!(
                "it ends in the middle of row {} (line {}){}",
                self.rows + 1,
                self.record_line,
                if self.in_quotes {
                    ", inside a quoted value"
                } else {
                    ""
                }
            )));
        }
        if self.rows != self.rules.rows || self.body_bytes() != self.rules.bytes {
            return Err(invalid(format!(
                "it holds {} rows in {} bytes; its entry in storage/tables.json declares {} rows in {} bytes",
                self.rows,
                self.body_bytes(),
                self.rules.rows,
                self.rules.bytes
            )));
        }
        Ok(())
    }
}

impl Read for CheckedChunk {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self
            .decoder
            .read(buf)
            .map_err(|e| invalid(format!("it does not decompress ({e})")))?;
        if n == 0 {
            self.check_end()?;
            return Ok(0);
        }
        let header = self.rules.header.len();
        let mut body_from = 0;
        if self.seen < header as u64 {
            let start = self.seen as usize;
            let end = (start + n).min(header);
            if buf[..end - start] != self.rules.header[start..end] {
                return Err(invalid("its header is not the table's columns".into()));
            }
            body_from = end - start;
        }
        let allowed = self.rules.bytes - self.body_bytes();
        self.seen += n as u64;
        let body = &buf[body_from..n];
        if body.len() as u64 > allowed {
            // Scanned up to the limit first, so the message names the line that crosses it.
            self.scan(&body[..allowed as usize])?;
            return Err(invalid(format!(
                "it decompresses to more than the {} bytes of rows its entry in storage/tables.json \
                 declares (line {} goes past them)",
                self.rules.bytes, self.line
            )));
        }
        self.scan(body)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `csv` compressed into a temp file, opened as a chunk with `rules`.
    fn chunk(name: &str, csv: &[u8], rows: u64, bytes: u64, max_record: u64) -> CheckedChunk {
        let dir = stackport_testkit::TempDir::new("chunk-reader");
        let path = dir.join(format!("{name}.zst"));
        std::fs::write(&path, zstd::encode_all(csv, 1).unwrap()).unwrap();
        let file = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let rules = ChunkRules {
            header: b"\"id\",\"note\"\n".to_vec(),
            bytes,
            rows,
            max_record_bytes: max_record,
        };
        CheckedChunk::new(file, Codec::Zstd, rules).unwrap()
    }

    const CSV: &[u8] = b"\"id\",\"note\"\n\"1\",\"a\nb\"\n\"2\",\"x\"\n";
    const BODY: u64 = (CSV.len() - 12) as u64;

    fn read_all(mut c: CheckedChunk) -> Result<(Vec<u8>, u64), String> {
        let mut out = Vec::new();
        c.read_to_end(&mut out).map_err(|e| e.to_string())?;
        Ok((out, c.rows()))
    }

    #[test]
    fn a_chunk_that_holds_what_it_declares_reads_to_its_end() {
        let (out, rows) = read_all(chunk("good", CSV, 2, BODY, 1024)).unwrap();
        assert_eq!(out, CSV);
        assert_eq!(rows, 2, "a quoted newline is inside a row");
    }

    #[test]
    fn a_chunk_short_of_its_rows_fails_instead_of_ending() {
        let e = read_all(chunk("short", CSV, 7, BODY, 1024)).unwrap_err();
        assert!(
            e.contains("holds 2 rows") && e.contains("declares 7 rows"),
            "{e}"
        );
        let e = read_all(chunk("cut", &CSV[..CSV.len() - 1], 2, BODY - 1, 1024)).unwrap_err();
        assert!(e.contains("middle of row 2 (line 4)"), "{e}");
    }

    #[test]
    fn a_record_over_the_limit_and_bytes_past_the_entry_name_row_and_line() {
        let e = read_all(chunk("record", CSV, 2, BODY, 8)).unwrap_err();
        assert!(
            e.contains("row 1 (starting on line 2)") && e.contains("longer than 8 bytes"),
            "{e}"
        );
        let e = read_all(chunk("past", CSV, 2, 12, 1024)).unwrap_err();
        assert!(
            e.contains("more than the 12 bytes") && e.contains("line 4"),
            "{e}"
        );
    }
}
