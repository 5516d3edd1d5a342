use std::io::{self, Write};

/// Writes records with every value enclosed in `"`, quotes doubled, and `\n` after each record:
/// one canonical form, so an export read back and exported again gives the same bytes.
pub struct CsvWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

const FLUSH_AT: usize = 64 * 1024;

impl<W: Write> CsvWriter<W> {
    /// Writes into `inner`, in blocks of about 64 KiB.
    pub fn new(inner: W) -> Self {
        CsvWriter {
            inner,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
        }
    }

    /// Writes one record.
    pub fn write_record<'a>(
        &mut self,
        fields: impl IntoIterator<Item = &'a [u8]>,
    ) -> io::Result<()> {
        let mut first = true;
        for field in fields {
            if !first {
                self.buf.push(b',');
            }
            first = false;
            self.buf.push(b'"');
            let mut rest = field;
            while let Some(pos) = rest.iter().position(|&b| b == b'"') {
                self.buf.extend_from_slice(&rest[..=pos]);
                self.buf.push(b'"');
                rest = &rest[pos + 1..];
            }
            self.buf.extend_from_slice(rest);
            self.buf.push(b'"');
        }
        self.buf.push(b'\n');
        if self.buf.len() >= FLUSH_AT {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what is buffered and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.inner.flush()?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_everything_and_doubles_quotes() {
        let mut w = CsvWriter::new(Vec::new());
        w.write_record([b"a".as_slice(), b"say \"hi\"", b""])
            .unwrap();
        w.write_record([b"x\ny".as_slice()]).unwrap();
        let out = w.finish().unwrap();
        assert_eq!(out, b"\"a\",\"say \"\"hi\"\"\",\"\"\n\"x\ny\"\n");
    }
}
