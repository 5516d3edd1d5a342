use std::io::{self, BufRead};

/// The delimiter and enclosure of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Between fields; `,` by default.
    pub delimiter: u8,
    /// Around fields that need it; `"` by default. `None` reads every byte literally.
    pub enclosure: Option<u8>,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            enclosure: Some(b'"'),
        }
    }
}

/// Why a file could not be read, with the line it happened on (1-based, counting physical lines).
#[derive(Debug)]
pub enum CsvError {
    /// The bytes are not valid CSV at `line`.
    Syntax {
        /// The line.
        line: u64,
        /// What is wrong there.
        message: String,
    },
    /// A value or a record is longer than the reader's limit: it is refused before it is held
    /// in memory whole.
    TooLong {
        /// The line the record starts on.
        line: u64,
        /// The 1-based field, or none when the record as a whole is too long.
        field: Option<usize>,
        /// The limit in bytes.
        limit: u64,
    },
    /// Reading the input failed (the client went away, a gzip stream was corrupt, a limit hit).
    Io(io::Error),
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvError::Syntax { line, message } => write!(f, "line {line}: {message}"),
            CsvError::TooLong {
                line,
                field: Some(field),
                limit,
            } => write!(f, "line {line}: field {field} is longer than {limit} bytes"),
            CsvError::TooLong {
                line,
                field: None,
                limit,
            } => write!(f, "line {line}: the record is longer than {limit} bytes"),
            CsvError::Io(e) => write!(f, "reading the data failed: {e}"),
        }
    }
}

impl std::error::Error for CsvError {}

/// One record; its fields are UTF-8, checked once per record.
#[derive(Debug, Default, Clone)]
pub struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    line: u64,
}

impl Record {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        // Checked as UTF-8 in `finish`, and field boundaries fall on ASCII delimiters.
        std::str::from_utf8(&self.data[start..self.ends[i]]).unwrap_or_default()
    }

    /// The line the record starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    FieldStart,
    /// Inside a field without enclosure.
    Bare,
    /// Inside an enclosed field.
    Quoted,
    /// Just after an enclosure inside an enclosed field: either its end or the first of a pair.
    QuoteInQuoted,
    /// After a CR that ended a record; a following LF belongs to it.
    AfterCr,
}

/// A strict streaming reader; memory is one record, whatever the file size, and a record is
/// bounded by [`CsvReader::with_limits`].
pub struct CsvReader<R> {
    inner: R,
    dialect: Dialect,
    line: u64,
    pending_cr: bool,
    /// Nothing read yet: a UTF-8 byte order mark here is skipped.
    at_start: bool,
    sizes: Sizes,
}

/// The longest value and record a reader takes.
#[derive(Clone, Copy)]
struct Sizes {
    value: usize,
    record: usize,
}

impl Sizes {
    /// Ends the current field, checking its size.
    fn end_field(self, record: &mut Record) -> Result<(), CsvError> {
        self.check(record)?;
        record.ends.push(record.data.len());
        Ok(())
    }

    /// Fails once the field being read or the whole record is over its limit.
    fn check(self, record: &Record) -> Result<(), CsvError> {
        let start = record.ends.last().copied().unwrap_or(0);
        if record.data.len() - start > self.value {
            return Err(CsvError::TooLong {
                line: record.line,
                field: Some(record.ends.len() + 1),
                limit: self.value as u64,
            });
        }
        if record.data.len() > self.record {
            return Err(CsvError::TooLong {
                line: record.line,
                field: None,
                limit: self.record as u64,
            });
        }
        Ok(())
    }
}

/// The UTF-8 byte order mark spreadsheet programs write at the start of a CSV file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: BufRead> CsvReader<R> {
    /// Reads `inner` in `dialect`, with the stack's default limits (16 MiB a value, 64 MiB a
    /// record).
    pub fn new(inner: R, dialect: Dialect) -> Self {
        let defaults = crate::settings::Limits::default();
        CsvReader {
            inner,
            dialect,
            line: 1,
            pending_cr: false,
            at_start: true,
            sizes: Sizes {
                value: defaults.max_value_bytes as usize,
                record: defaults.max_record_bytes as usize,
            },
        }
    }

    /// Refuses a value over `max_value` bytes and a record over `max_record` bytes.
    pub fn with_limits(mut self, max_value: u64, max_record: u64) -> Self {
        self.sizes = Sizes {
            value: usize::try_from(max_value).unwrap_or(usize::MAX),
            record: usize::try_from(max_record).unwrap_or(usize::MAX),
        };
        self
    }

    /// Reads the next record into `record`; `false` at the end of the input. Empty lines are
    /// skipped: a row whose only value is empty is written `""`.
    pub fn read_record(&mut self, record: &mut Record) -> Result<bool, CsvError> {
        record.clear();
        let delimiter = self.dialect.delimiter;
        let quote = self.dialect.enclosure;
        let sizes = self.sizes;
        let mut state = if self.pending_cr {
            State::AfterCr
        } else {
            State::FieldStart
        };
        self.pending_cr = false;
        let mut started = false;
        record.line = self.line;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CsvError::Io(e)),
            };
            if self.at_start {
                self.at_start = false;
                if buf.starts_with(BOM) {
                    self.inner.consume(BOM.len());
                    continue;
                }
            }
            if buf.is_empty() {
                // End of input.
                return match state {
                    State::Quoted => Err(CsvError::Syntax {
                        line: record.line,
                        message: "a quoted value starting in this record is never closed; \
                                  close it, and double any quote inside it"
                            .into(),
                    }),
                    _ if !started => Ok(false),
                    _ => {
                        sizes.end_field(record)?;
                        self.finish(record)?;
                        Ok(true)
                    }
                };
            }
            let mut i = 0;
            let n = buf.len();
            while i < n {
                let b = buf[i];
                match state {
                    State::AfterCr => {
                        state = State::FieldStart;
                        if b == b'\n' {
                            i += 1;
                            continue;
                        }
                        record.line = self.line;
                    }
                    State::FieldStart => {
                        if !started && (b == b'\n' || b == b'\r') {
                            // An empty line between records.
                            self.line += 1;
                            i += 1;
                            if b == b'\r' {
                                state = State::AfterCr;
                            }
                            record.line = self.line;
                            continue;
                        }
                        started = true;
                        if Some(b) == quote {
                            state = State::Quoted;
                        } else if b == delimiter {
                            sizes.end_field(record)?;
                        } else if b == b'\n' || b == b'\r' {
                            sizes.end_field(record)?;
                            self.line += 1;
                            self.inner.consume(i + 1);
                            self.pending_cr = b == b'\r';
                            self.finish(record)?;
                            return Ok(true);
                        } else {
                            record.data.push(b);
                            state = State::Bare;
                        }
                        i += 1;
                    }
                    State::Bare => {
                        // Fast path: copy the run of ordinary bytes at once.
                        let run = buf[i..]
                            .iter()
                            .position(|&c| {
                                c == delimiter || c == b'\n' || c == b'\r' || Some(c) == quote
                            })
                            .unwrap_or(n - i);
                        record.data.extend_from_slice(&buf[i..i + run]);
                        i += run;
                        if i == n {
                            break;
                        }
                        let b = buf[i];
                        if Some(b) == quote {
                            return Err(CsvError::Syntax {
                                line: self.line,
                                message: format!(
                                    "a quote inside a value that does not start with one (field {}); \
                                     enclose the whole value in quotes and double the quote",
                                    record.ends.len() + 1
                                ),
                            });
                        }
                        if b == delimiter {
                            sizes.end_field(record)?;
                            state = State::FieldStart;
                            i += 1;
                        } else {
                            sizes.end_field(record)?;
                            self.line += 1;
                            self.inner.consume(i + 1);
                            self.pending_cr = b == b'\r';
                            self.finish(record)?;
                            return Ok(true);
                        }
                    }
                    State::Quoted => {
                        let q = quote.unwrap_or(b'"');
                        let run = buf[i..]
                            .iter()
                            .position(|&c| c == q || c == b'\n')
                            .unwrap_or(n - i);
                        record.data.extend_from_slice(&buf[i..i + run]);
                        i += run;
                        if i == n {
                            break;
                        }
                        if buf[i] == b'\n' {
                            record.data.push(b'\n');
                            self.line += 1;
                        } else {
                            state = State::QuoteInQuoted;
                        }
                        i += 1;
                    }
                    State::QuoteInQuoted => {
                        if Some(b) == quote {
                            record.data.push(b);
                            state = State::Quoted;
                            i += 1;
                        } else if b == delimiter {
                            sizes.end_field(record)?;
                            state = State::FieldStart;
                            i += 1;
                        } else if b == b'\n' || b == b'\r' {
                            sizes.end_field(record)?;
                            self.line += 1;
                            self.inner.consume(i + 1);
                            self.pending_cr = b == b'\r';
                            self.finish(record)?;
                            return Ok(true);
                        } else {
                            return Err(CsvError::Syntax {
                                line: self.line,
                                message: format!(
                                    "unexpected character '{}' after the closing quote of field {}; \
                                     double a quote that is part of the value",
                                    char::from(b).escape_default(),
                                    record.ends.len() + 1
                                ),
                            });
                        }
                    }
                }
            }
            self.inner.consume(n);
            sizes.check(record)?;
        }
    }

    fn finish(&self, record: &Record) -> Result<(), CsvError> {
        if let Err(e) = std::str::from_utf8(&record.data) {
            // Find the field for a useful message.
            let at = e.valid_up_to();
            let field = record.ends.iter().position(|&end| end > at).unwrap_or(0) + 1;
            return Err(CsvError::Syntax {
                line: record.line,
                message: format!("field {field} is not valid UTF-8; convert the file to UTF-8"),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &str) -> Result<Vec<Vec<String>>, CsvError> {
        read_bytes(input.as_bytes(), Dialect::default())
    }

    fn read_bytes(input: &[u8], dialect: Dialect) -> Result<Vec<Vec<String>>, CsvError> {
        // A tiny buffer makes every state cross a buffer boundary.
        let mut reader = CsvReader::new(io::BufReader::with_capacity(3, input), dialect);
        let mut record = Record::default();
        let mut out = Vec::new();
        while reader.read_record(&mut record)? {
            out.push(
                (0..record.len())
                    .map(|i| record.get(i).to_string())
                    .collect(),
            );
        }
        Ok(out)
    }

    fn line_of(err: CsvError) -> u64 {
        match err {
            CsvError::Syntax { line, .. } => line,
            other => panic!("not a syntax error: {other}"),
        }
    }

    #[test]
    fn reads_quotes_newlines_and_empty_values() {
        let rows =
            read_all("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\n\"multi\nline\",,\"\"\n").unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["a", "b", "c"],
                vec!["x,1", "say \"hi\"", ""],
                vec!["multi\nline", "", ""],
            ]
        );
    }

    #[test]
    fn last_record_without_newline_and_blank_lines() {
        let rows = read_all("a\n\n\"\"\nb").unwrap();
        assert_eq!(rows, vec![vec!["a"], vec![""], vec!["b"]]);
        assert!(read_all("").unwrap().is_empty());
        assert_eq!(read_all("a\r\rb\r").unwrap(), vec![vec!["a"], vec!["b"]]);
    }

    #[test]
    fn unicode_survives() {
        let rows = read_all("název,日本\n\"Ø\",😀\n").unwrap();
        assert_eq!(rows[1], vec!["Ø", "😀"]);
    }

    #[test]
    fn unclosed_quote_names_the_line_it_opened_on() {
        let err = read_all("a,b\n1,2\n3,\"open\n4,5\n").unwrap_err();
        assert_eq!(line_of(err), 3);
    }

    #[test]
    fn stray_quotes_are_refused() {
        assert_eq!(line_of(read_all("a\nb\"c\n").unwrap_err()), 2);
        assert_eq!(line_of(read_all("a\n\"b\"c\n").unwrap_err()), 2);
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let err = read_bytes(b"a,b\n1,\xff\n", Dialect::default()).unwrap_err();
        assert_eq!(line_of(err), 2);
    }

    #[test]
    fn a_byte_order_mark_is_read_past() {
        let rows = read_bytes(b"\xEF\xBB\xBFid,name\n1,a\n", Dialect::default()).unwrap();
        assert_eq!(rows, vec![vec!["id", "name"], vec!["1", "a"]]);
        // Only at the very start: elsewhere it is part of a value.
        let rows = read_bytes(b"a\n\xEF\xBB\xBFb\n", Dialect::default()).unwrap();
        assert_eq!(rows[1], vec!["\u{feff}b"]);
    }

    fn read_limited(input: &[u8], value: u64, record: u64) -> Result<Vec<Vec<String>>, CsvError> {
        let mut reader = CsvReader::new(io::BufReader::with_capacity(7, input), Dialect::default())
            .with_limits(value, record);
        let mut row = Record::default();
        let mut out = Vec::new();
        while reader.read_record(&mut row)? {
            out.push((0..row.len()).map(|i| row.get(i).to_string()).collect());
        }
        Ok(out)
    }

    #[test]
    fn values_and_records_over_their_limits_are_refused() {
        assert!(read_limited(b"abcd,\"efgh\"\n", 4, 8).is_ok());
        for (input, field) in [
            (&b"a\nabcde,x\n"[..], Some(1)),
            (&b"a\nx,\"ab\"\"de\"\n"[..], Some(2)),
            (&b"a\nx,abcdefghijklmnopqrstuvwxyz"[..], Some(2)),
            (&b"a\nabcd,abcd,a\n"[..], None),
        ] {
            match read_limited(input, 4, 8) {
                Err(CsvError::TooLong {
                    line: 2, field: f, ..
                }) => assert_eq!(f, field),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
            }
        }
    }

    #[test]
    fn a_value_without_end_is_refused_within_its_limit() {
        // An endless value: the reader stops once the limit is passed, not at the end.
        let endless = io::repeat(b'a');
        let mut reader = CsvReader::new(io::BufReader::new(endless), Dialect::default())
            .with_limits(1 << 20, 1 << 21);
        let mut row = Record::default();
        assert!(matches!(
            reader.read_record(&mut row),
            Err(CsvError::TooLong { line: 1, field: Some(1), limit }) if limit == 1 << 20
        ));
    }

    #[test]
    fn other_dialects() {
        let tab = Dialect {
            delimiter: b'\t',
            enclosure: Some(b'\''),
        };
        assert_eq!(
            read_bytes(b"'a\tb'\tc\n", tab).unwrap(),
            vec![vec!["a\tb", "c"]]
        );
        let bare = Dialect {
            delimiter: b';',
            enclosure: None,
        };
        assert_eq!(
            read_bytes(b"\"a;b\n", bare).unwrap(),
            vec![vec!["\"a", "b"]]
        );
    }
}
