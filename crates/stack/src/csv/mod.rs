//! RFC 4180 CSV, read strictly and written canonically.
//!
//! We keep our own small reader rather than a general CSV crate because an import must refuse a
//! file that a lenient reader would quietly repair (an unclosed quote swallowing the rest of the
//! file, a stray quote in a bare field) and must name the line where it went wrong.

mod reader;
mod writer;

pub use reader::{CsvError, CsvReader, Dialect, Record};
pub use writer::CsvWriter;
