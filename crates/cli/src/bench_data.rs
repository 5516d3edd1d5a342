//! The table every data case of `stackport bench` moves, and its loading into a source stack.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use stackport_client::{Client, ImportParams};
use stackport_model::api::{NewBucket, NewTable};
use stackport_model::{Stage, TableId};

/// The table's columns, in the CSV's order.
pub(crate) const COLUMNS: [&str; 8] = [
    "id", "customer", "amount", "quantity", "created", "active", "note", "category",
];

/// Writes `n` rows of 8 mixed columns, deterministic.
pub(crate) fn write_csv(path: &Path, n: u64) -> Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "{}", COLUMNS.join(","))?;
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let categories = [
        "books", "garden", "tools", "toys", "food", "music", "sport", "office",
    ];
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        writeln!(
            out,
            "{i},customer-{},{}.{:02},{},2026-{:02}-{:02}T{:02}:{:02}:00Z,{},\"note {} with, a comma\",{}",
            x % 50_000,
            x % 100_000,
            x % 100,
            x % 20,
            1 + x % 12,
            1 + x % 28,
            x % 24,
            x % 60,
            x.is_multiple_of(2),
            x % 997,
            categories[(x % 8) as usize],
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

async fn import_file(client: &Client, table: &TableId, path: &Path) -> Result<()> {
    let file = tokio::fs::File::open(path).await?;
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 20];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    client
        .import_table(
            table,
            &ImportParams::default(),
            reqwest::Body::wrap_stream(stream),
        )
        .await
        .with_context(|| format!("loading {} into the source", path.display()))?;
    Ok(())
}

/// A bucket of the source project's stage `in`, the only place the cases need one.
pub(crate) fn bucket(name: String) -> NewBucket {
    NewBucket {
        name,
        stage: Stage::In,
        display_name: None,
        description: None,
        backend: None,
    }
}

/// Creates the table `in.c-bench.wide` of [`COLUMNS`] in the project of `client` and loads
/// the CSV at `path` into it through the Storage API, as any client would.
pub(crate) async fn load_source(client: &Client, path: &Path) -> Result<TableId> {
    let bucket = client.create_bucket(&bucket("bench".into())).await?;
    let table = client
        .create_table(
            &bucket.id,
            &NewTable {
                name: "wide".into(),
                columns: COLUMNS
                    .iter()
                    .map(|c| c.parse().expect("a column name"))
                    .collect(),
                ..Default::default()
            },
        )
        .await?;
    import_file(client, &table.id, path).await?;
    Ok(table.id)
}
