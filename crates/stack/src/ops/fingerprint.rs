//! A table's fingerprint: its row count and an order-independent hash of its rows, computed
//! next to the data so that verification moves a few bytes instead of the table.

use sha2::{Digest, Sha256};
use stackport_model::api::TableFingerprint;
use stackport_model::TableId;

use super::auth::TokenAuth;
use super::export::ExportOptions;
use crate::backend::ExportQuery;
use crate::error::Result;
use crate::Stack;

/// The algorithm's name, part of the answer so that a changed algorithm never compares equal.
pub const FINGERPRINT_ALGORITHM: &str = "rows-sha256-sum/v1";

/// Adds one row's hash into the sum; the order rows come in does not matter.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RowSum([u64; 4]);

impl RowSum {
    /// Adds a row given as its values in column order.
    pub fn add_row(&mut self, values: &[&[u8]]) {
        let mut h = Sha256::new();
        for v in values {
            h.update((v.len() as u64).to_le_bytes());
            h.update(v);
        }
        let digest = h.finalize();
        for (lane, bytes) in self.0.iter_mut().zip(digest.chunks_exact(8)) {
            let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
            *lane = lane.wrapping_add(word);
        }
    }

    /// Lower-case hex of the four lanes, little-endian.
    pub fn hex(&self) -> String {
        self.0
            .iter()
            .flat_map(|l| l.to_le_bytes())
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl Stack {
    /// The fingerprint of a table or alias (an alias's rows as it shows them).
    pub fn table_fingerprint(&self, auth: &TokenAuth, id: &TableId) -> Result<TableFingerprint> {
        let stream = self.prepare_export(auth, id, &ExportOptions::default())?;
        let query = ExportQuery {
            columns: &stream.columns,
            filters: &stream.filters,
            changed_since: None,
            changed_until: None,
            limit: None,
        };
        let mut sum = RowSum::default();
        let rows = self
            .backend(&stream.backend, stream.placement.as_deref())?
            .export(
                stream.project,
                &stream.physical,
                &query,
                &mut |values, _timestamp| {
                    sum.add_row(values);
                    Ok(())
                },
            )?;
        Ok(TableFingerprint {
            table_id: id.clone(),
            rows_count: rows,
            columns: stream.columns.clone(),
            hash: sum.hex(),
            algorithm: FINGERPRINT_ALGORITHM.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_but_duplicates_and_boundaries_do() {
        let rows: [&[&[u8]]; 3] = [&[b"1", b"a"], &[b"2", b"b"], &[b"3", b""]];
        let mut forward = RowSum::default();
        rows.iter().for_each(|r| forward.add_row(r));
        let mut backward = RowSum::default();
        rows.iter().rev().for_each(|r| backward.add_row(r));
        assert_eq!(forward, backward);

        let mut doubled = forward;
        doubled.add_row(rows[0]);
        assert_ne!(doubled, forward, "a duplicated row changes the sum");

        let mut a = RowSum::default();
        a.add_row(&[b"ab", b"c"]);
        let mut b = RowSum::default();
        b.add_row(&[b"a", b"bc"]);
        assert_ne!(a, b, "values are length-prefixed");
    }
}
