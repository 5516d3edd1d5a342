//! Splits a table's CSV export into compressed chunks of bounded size, as it streams in.
//!
//! The export is the stack's canonical CSV (every value quoted, `\n` after each row), so a row
//! ends at a `\n` outside quotes; tracking quote parity is enough to cut between rows without
//! parsing values. Memory stays at one input block whatever the table size.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use stackport_model::{ColumnName, TableId};

use super::format::{csv_header, paths, ChunkEntry, Codec, FileEntry, TableData};
use crate::error::{MigrateError, Result};

/// A header row longer than this is not a header: column names are short and tables have at
/// most a few thousand columns.
const MAX_HEADER_BYTES: usize = 1024 * 1024;

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file writer that hashes and counts what it writes, for the manifest.
pub(crate) struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Flushes and returns (inner, size, sha256).
    pub(crate) fn finish(mut self) -> io::Result<(W, u64, String)> {
        self.inner.flush()?;
        Ok((self.inner, self.bytes, hex(&self.hasher.finalize())))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Finds row ends in canonical CSV that arrives in blocks: a `\n` outside quotes.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RowScanner {
    /// Inside a quoted value at the end of the last block.
    pub in_quotes: bool,
}

impl RowScanner {
    /// The index of the next row end at or after `from`, carrying the quote state across calls.
    pub(crate) fn next_row_end(&mut self, block: &[u8], from: usize) -> Option<usize> {
        let mut in_quotes = self.in_quotes;
        for (i, &b) in block.iter().enumerate().skip(from) {
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == b'\n' && !in_quotes {
                self.in_quotes = false;
                return Some(i);
            }
        }
        self.in_quotes = in_quotes;
        None
    }
}

type Sink = HashingWriter<BufWriter<File>>;

enum Encoder {
    Zstd(zstd::Encoder<'static, Sink>),
    Gzip(flate2::write::GzEncoder<Sink>),
}

impl Encoder {
    fn new(codec: Codec, sink: Sink) -> io::Result<Self> {
        Ok(match codec {
            // Level 1: the data path is bound by compression speed long before disk or network,
            // and level 3 gains a few percent of size for half the speed (see the format doc).
            Codec::Zstd => Encoder::Zstd(zstd::Encoder::new(sink, 1)?),
            Codec::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                sink,
                flate2::Compression::fast(),
            )),
        })
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Encoder::Zstd(e) => e.write_all(data),
            Encoder::Gzip(e) => e.write_all(data),
        }
    }

    fn finish(self) -> io::Result<Sink> {
        match self {
            Encoder::Zstd(e) => e.finish(),
            Encoder::Gzip(e) => e.finish(),
        }
    }
}

struct OpenChunk {
    path: String,
    encoder: Encoder,
    rows: u64,
    bytes: u64,
}

/// Receives a table's export block by block and writes its chunks.
pub struct ChunkWriter {
    root: PathBuf,
    table: TableId,
    columns: Vec<ColumnName>,
    codec: Codec,
    chunk_bytes: u64,
    header: Vec<u8>,
    header_done: bool,
    in_quotes: bool,
    /// Whether the last byte seen ended a row.
    at_row_start: bool,
    current: Option<OpenChunk>,
    chunks: Vec<ChunkEntry>,
    files: Vec<FileEntry>,
    hasher: Sha256,
    rows: u64,
    bytes: u64,
}

impl ChunkWriter {
    /// Writes chunks of `table` (whose columns are `columns`) under the snapshot dir `root`.
    pub fn new(
        root: &Path,
        table: TableId,
        columns: Vec<ColumnName>,
        codec: Codec,
        chunk_bytes: u64,
    ) -> Self {
        ChunkWriter {
            root: root.to_path_buf(),
            table,
            columns,
            codec,
            chunk_bytes: chunk_bytes.max(1),
            header: Vec::new(),
            header_done: false,
            in_quotes: false,
            at_row_start: true,
            current: None,
            chunks: Vec::new(),
            files: Vec::new(),
            hasher: Sha256::new(),
            rows: 0,
            bytes: 0,
        }
    }

    /// Takes the next block of the export; returns the rows it completed.
    pub fn feed(&mut self, block: &[u8]) -> Result<u64> {
        let mut start = 0;
        if !self.header_done {
            match self.row_end(block, 0) {
                Some(end) => {
                    self.header.extend_from_slice(&block[..=end]);
                    self.header_done = true;
                    self.check_header()?;
                    start = end + 1;
                }
                None => {
                    self.header.extend_from_slice(block);
                    if self.header.len() > MAX_HEADER_BYTES {
                        return Err(MigrateError::Refused(format!(
                            "the export of table {} sent over {MAX_HEADER_BYTES} bytes without ending its header row; the stack's answer is not CSV",
                            self.table
                        )));
                    }
                    return Ok(0);
                }
            }
        }
        let mut rows = 0;
        let mut segment = start;
        let mut segment_rows = 0;
        let mut pos = start;
        while let Some(end) = self.row_end(block, pos) {
            segment_rows += 1;
            rows += 1;
            pos = end + 1;
            let open = self.current.as_ref().map_or(0, |c| c.bytes);
            if open + (pos - segment) as u64 >= self.chunk_bytes {
                self.write(&block[segment..pos], segment_rows)?;
                self.close_chunk()?;
                segment = pos;
                segment_rows = 0;
            }
        }
        if segment < block.len() || segment_rows > 0 {
            self.write(&block[segment..], segment_rows)?;
        }
        self.at_row_start = block
            .last()
            .map_or(self.at_row_start, |&b| b == b'\n' && !self.in_quotes);
        Ok(rows)
    }

    /// Ends the table: closes the last chunk and returns its data entry and files.
    pub fn finish(mut self) -> Result<(TableData, Vec<FileEntry>)> {
        if !self.header_done {
            return Err(MigrateError::Refused(format!(
                "the export of table {} ended before its header row was complete; take the snapshot again",
                self.table
            )));
        }
        if self.in_quotes || !self.at_row_start {
            return Err(MigrateError::Refused(format!(
                "the export of table {} ended in the middle of a row (the connection may have broken); take the snapshot again",
                self.table
            )));
        }
        if self.current.is_some() {
            self.close_chunk()?;
        }
        Ok((
            TableData {
                codec: self.codec,
                chunks: self.chunks,
                rows: self.rows,
                bytes: self.bytes,
                sha256: hex(&self.hasher.finalize()),
            },
            self.files,
        ))
    }

    fn row_end(&mut self, block: &[u8], from: usize) -> Option<usize> {
        let mut rows = RowScanner {
            in_quotes: self.in_quotes,
        };
        let end = rows.next_row_end(block, from);
        self.in_quotes = rows.in_quotes;
        end
    }

    /// The export's header must be exactly the one every chunk starts with and restore checks.
    fn check_header(&self) -> Result<()> {
        if self.header != csv_header(&self.columns) {
            let expected: Vec<&str> = self.columns.iter().map(|c| c.as_str()).collect();
            return Err(MigrateError::Refused(format!(
                "the export of table {} starts with {:?}, but the table lists {expected:?}; \
                 the table changed while the snapshot was taken: take it again",
                self.table,
                String::from_utf8_lossy(&self.header).trim_end()
            )));
        }
        Ok(())
    }

    fn write(&mut self, data: &[u8], rows: u64) -> Result<()> {
        if self.current.is_none() {
            self.open_chunk()?;
        }
        let chunk = self.current.as_mut().expect("a chunk is open");
        chunk
            .encoder
            .write_all(data)
            .map_err(|e| MigrateError::io(&self.root.join(&chunk.path), "writing a chunk", e))?;
        chunk.rows += rows;
        chunk.bytes += data.len() as u64;
        self.hasher.update(data);
        self.rows += rows;
        self.bytes += data.len() as u64;
        Ok(())
    }

    fn open_chunk(&mut self) -> Result<()> {
        let rel = paths::chunk(&self.table, self.chunks.len(), self.codec);
        let path = self.root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| MigrateError::io(parent, "creating the table's data dir", e))?;
        }
        let file =
            File::create(&path).map_err(|e| MigrateError::io(&path, "creating a chunk", e))?;
        let sink = HashingWriter::new(BufWriter::with_capacity(256 * 1024, file));
        let mut encoder = Encoder::new(self.codec, sink)
            .map_err(|e| MigrateError::io(&path, "starting a chunk", e))?;
        encoder
            .write_all(&self.header)
            .map_err(|e| MigrateError::io(&path, "writing a chunk's header", e))?;
        self.current = Some(OpenChunk {
            path: rel,
            encoder,
            rows: 0,
            bytes: 0,
        });
        Ok(())
    }

    fn close_chunk(&mut self) -> Result<()> {
        let chunk = self.current.take().expect("a chunk is open");
        let path = self.root.join(&chunk.path);
        let sink = chunk
            .encoder
            .finish()
            .map_err(|e| MigrateError::io(&path, "finishing a chunk", e))?;
        let (buffered, size, sha256) = sink
            .finish()
            .map_err(|e| MigrateError::io(&path, "finishing a chunk", e))?;
        let file = buffered
            .into_inner()
            .map_err(|e| MigrateError::io(&path, "finishing a chunk", e.into_error()))?;
        file.sync_all()
            .map_err(|e| MigrateError::io(&path, "syncing a chunk", e))?;
        self.files.push(FileEntry {
            path: chunk.path.clone(),
            bytes: size,
            sha256,
        });
        self.chunks.push(ChunkEntry {
            path: chunk.path,
            rows: chunk.rows,
            bytes: chunk.bytes,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> stackport_testkit::TempDir {
        stackport_testkit::TempDir::new(&format!("chunker-{name}"))
    }

    fn read_chunk(root: &Path, rel: &str) -> String {
        let f = File::open(root.join(rel)).unwrap();
        let mut out = String::new();
        io::Read::read_to_string(&mut zstd::Decoder::new(f).unwrap(), &mut out).unwrap();
        out
    }

    #[test]
    fn cuts_between_rows_even_inside_quoted_newlines_and_split_blocks() {
        let root = dir("cuts");
        let table: TableId = "in.c-a.t".parse().unwrap();
        let columns = vec!["id".parse().unwrap(), "note".parse().unwrap()];
        let mut w = ChunkWriter::new(&root, table, columns, Codec::Zstd, 20);
        let csv = "\"id\",\"note\"\n\"1\",\"a\nb\"\n\"2\",\"say \"\"hi\"\"\"\n\"3\",\"\"\n\"4\",\"ž\r\n\"\n";
        // Feed in 3-byte blocks so rows and quotes are split across blocks.
        let mut rows = 0;
        for block in csv.as_bytes().chunks(3) {
            rows += w.feed(block).unwrap();
        }
        let (data, files) = w.finish().unwrap();
        assert_eq!(rows, 4);
        assert_eq!(data.rows, 4);
        assert!(data.chunks.len() >= 2, "{:?}", data.chunks);
        assert_eq!(files.len(), data.chunks.len());
        let mut body = String::new();
        for c in &data.chunks {
            let text = read_chunk(&root, &c.path);
            assert!(
                text.starts_with("\"id\",\"note\"\n"),
                "every chunk has the header"
            );
            body.push_str(&text["\"id\",\"note\"\n".len()..]);
        }
        assert_eq!(body, &csv["\"id\",\"note\"\n".len()..]);
        assert_eq!(data.sha256, hex(&Sha256::digest(body.as_bytes())));
    }

    #[test]
    fn an_empty_table_has_no_chunks_and_a_cut_export_is_refused() {
        let root = dir("empty");
        let table: TableId = "in.c-a.t".parse().unwrap();
        let columns = vec!["id".parse().unwrap()];
        let mut w = ChunkWriter::new(&root, table.clone(), columns.clone(), Codec::Gzip, 1 << 20);
        w.feed(b"\"id\"\n").unwrap();
        let (data, files) = w.finish().unwrap();
        assert!(data.chunks.is_empty() && files.is_empty());

        let mut w = ChunkWriter::new(&root, table.clone(), columns.clone(), Codec::Gzip, 1 << 20);
        w.feed(b"\"id\"\n\"1\"\n\"2").unwrap();
        assert!(
            w.finish().is_err(),
            "a row cut in half is not a complete export"
        );

        let mut w = ChunkWriter::new(&root, table, columns, Codec::Gzip, 1 << 20);
        assert!(
            w.feed(b"\"other\"\n").is_err(),
            "a header that is not the table's is refused"
        );
    }
}
