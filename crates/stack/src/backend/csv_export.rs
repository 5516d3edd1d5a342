//! The default of `TableBackend::export_csv`: the stack's CSV form over any backend's rows.

use std::io::Write;

use stackport_model::ids::TIMESTAMP_COLUMN;
use stackport_model::ColumnName;

use super::{CsvLayout, RowVisitor};
use crate::csv::CsvWriter;
use crate::error::Result;

/// Writes the header of `columns`, then each row `export` hands to its visitor, as it comes.
/// Public for a backend that overrides `export_csv` for some layouts and not others.
pub fn write(
    columns: &[ColumnName],
    layout: CsvLayout,
    out: &mut dyn Write,
    export: &mut dyn FnMut(&mut RowVisitor<'_>) -> Result<u64>,
) -> Result<u64> {
    let mut csv = CsvWriter::new(out);
    let mut header: Vec<&[u8]> = columns.iter().map(|c| c.as_str().as_bytes()).collect();
    if layout.timestamp_column {
        header.push(TIMESTAMP_COLUMN.as_bytes());
    }
    csv.write_record(header)?;
    let mut ts_buf = String::new();
    let n = export(&mut |values, ts| {
        if layout.timestamp_column {
            ts_buf.clear();
            ts_buf.push_str(&stackport_model::time::format(
                &stackport_model::time::from_micros(ts),
            ));
            csv.write_record(
                values
                    .iter()
                    .copied()
                    .chain(std::iter::once(ts_buf.as_bytes())),
            )?;
        } else {
            csv.write_record(values.iter().copied())?;
        }
        Ok(())
    })?;
    csv.finish()?;
    Ok(n)
}
