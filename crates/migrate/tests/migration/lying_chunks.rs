//! Lies inside a snapshot's chunks, with every file matching the manifest, so only reading the
//! chunks shows them: a restore reads them all through before its first write and refuses with
//! the destination untouched; without that pass the chunk is refused while it loads and none
//! of its rows are committed. One huge value is refused at the record limit, reading it in
//! bounded memory.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};
use stackport_migrate::snapshot::{self, MAX_RECORD_BYTES};
use stackport_migrate::{restore, MigrateError, RestoreOptions};

use crate::fingerprint::fingerprint;
use crate::snapshot_defects::{
    copy_dir, manifest, relist, restore_like_the_cli, sha256_hex, with_good_snapshot,
    write_manifest,
};
use crate::world::*;

/// The entry of `table` in `storage/tables.json` of `dir`.
fn table_entry(dir: &Path, table: &str) -> Value {
    let tables: Value =
        serde_json::from_slice(&std::fs::read(dir.join("storage/tables.json")).unwrap()).unwrap();
    tables
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["table"]["id"] == table)
        .unwrap()
        .clone()
}

/// Changes the entry of `table` and relists `storage/tables.json`.
fn change_entry(dir: &Path, table: &str, change: impl FnOnce(&mut Value)) {
    let path = dir.join("storage/tables.json");
    let mut tables: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let entry = tables
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["table"]["id"] == table)
        .unwrap();
    change(entry);
    std::fs::write(&path, serde_json::to_vec_pretty(&tables).unwrap()).unwrap();
    relist(dir, "storage/tables.json", "storage/tables.json");
}

/// Adds `rows` and `bytes` to the manifest's inventory (and `stored` to its stored bytes).
fn adjust_inventory(dir: &Path, rows: i128, bytes: i128, stored: i128) {
    let mut m = manifest(dir);
    for (key, by) in [
        ("rows", rows),
        ("dataBytes", bytes),
        ("storedBytes", stored),
    ] {
        let now = m["inventory"][key].as_u64().unwrap() as i128;
        m["inventory"][key] = json!((now + by) as u64);
    }
    write_manifest(dir, &m);
}

/// The row ends (indexes of the `\n` after each row) in canonical CSV.
fn row_ends(csv: &[u8]) -> Vec<usize> {
    let mut quoted = false;
    let mut ends = Vec::new();
    for (i, &b) in csv.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => ends.push(i),
            _ => {}
        }
    }
    ends
}

const TABLE: &str = "in.c-shop.orders";

/// An error and its causes, one after the other.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A copy of `good` whose chunk 1 of the orders table holds its last 5 rows fewer while its
/// entry still declares them. Its bytes, the table's hash and the manifest are made to match,
/// so the row count is the only lie. Returns the copy, the chunk and chunk 0's rows.
fn five_rows_short(world: &World, good: &Path, name: &str) -> (std::path::PathBuf, String, u64) {
    let dir = world.work(name);
    copy_dir(good, &dir);
    let entry = table_entry(&dir, TABLE);
    let chunks = entry["data"]["chunks"].as_array().unwrap().clone();
    assert!(chunks.len() >= 2, "the orders table has several chunks");
    let rel = chunks[1]["path"].as_str().unwrap().to_string();
    let raw = std::fs::read(dir.join(&rel)).unwrap();
    let csv = zstd::decode_all(&raw[..]).unwrap();
    let ends = row_ends(&csv);
    let declared = chunks[1]["rows"].as_u64().unwrap();
    assert_eq!(ends.len() as u64, declared + 1, "header and rows");
    let cut = ends[ends.len() - 6] + 1;
    let short = &csv[..cut];
    let removed = (csv.len() - cut) as i128;
    let packed = zstd::encode_all(short, 1).unwrap();
    std::fs::write(dir.join(&rel), &packed).unwrap();
    relist(&dir, &rel, &rel);
    // The table's hash over the rows as they now are, so only the count is wrong.
    let mut body = Vec::new();
    for c in &chunks {
        let text =
            zstd::decode_all(&std::fs::read(dir.join(c["path"].as_str().unwrap())).unwrap()[..])
                .unwrap();
        let header = row_ends(&text)[0] + 1;
        body.extend_from_slice(&text[header..]);
    }
    change_entry(&dir, TABLE, |e| {
        let bytes = e["data"]["chunks"][1]["bytes"].as_u64().unwrap() as i128;
        e["data"]["chunks"][1]["bytes"] = json!((bytes - removed) as u64);
        let total = e["data"]["bytes"].as_u64().unwrap() as i128;
        e["data"]["bytes"] = json!((total - removed) as u64);
        e["data"]["sha256"] = json!(sha256_hex(&body));
    });
    adjust_inventory(&dir, 0, -removed, packed.len() as i128 - raw.len() as i128);
    let first = chunks[0]["rows"].as_u64().unwrap();
    (dir, rel, first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_with_fewer_rows_than_declared_is_refused_before_the_first_write() {
    let (world, good) = with_good_snapshot("lie-short").await;
    let (dir, chunk, _) = five_rows_short(&world, &good, "short");
    let opened = snapshot::open(&dir).expect("every file matches the manifest");
    match snapshot::verify_data(&opened) {
        Err(MigrateError::Snapshot { file, problem }) => {
            assert_eq!(file, chunk);
            assert!(problem.contains("rows"), "{problem}");
        }
        other => panic!("expected the chunk's row count refused, got {other:?}"),
    }
    // The restore's own read-through refuses it: no bucket, no table, no row, no mark.
    let error = restore_like_the_cli(&world, &dir).await;
    let text = error.to_string();
    assert!(
        text.contains(&chunk) && text.contains("nothing was written"),
        "{text}"
    );
    let dst = world.dest_client();
    assert!(dst.list_tables().await.unwrap().is_empty());
    assert!(dst.project_metadata().await.unwrap().is_empty());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_read_through_a_short_chunk_commits_none_of_its_rows() {
    let (world, good) = with_good_snapshot("lie-short-skip").await;
    let (dir, chunk, first_rows) = five_rows_short(&world, &good, "short");
    let opened = snapshot::open(&dir).unwrap();
    let options = RestoreOptions {
        skip_verify: true,
        ..Default::default()
    };
    let error = restore(&opened, &world.dest_endpoint(), &options, quiet())
        .await
        .expect_err("a short chunk must not load");
    match &error {
        MigrateError::PartlyRestored { source, .. } => {
            // Refused by this side's check as the chunk streams, or by the destination's
            // (expectedRows) when the body got through: either names the chunk and its rows.
            let text = chain(source.as_ref());
            assert!(text.contains(&chunk) && text.contains("row"), "{text}");
        }
        other => panic!("expected a partly restored error, got {other:#?}"),
    }
    // Chunk 0 was loaded before; of chunk 1 not one row.
    let table = world
        .dest_client()
        .list_tables()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id.to_string() == TABLE)
        .expect("the table was created");
    assert_eq!(table.rows_count, first_rows, "{error:#}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_declaring_a_billion_billion_rows_are_refused_before_the_first_write() {
    let (world, good) = with_good_snapshot("lie-rows").await;
    const CLAIMED: u64 = 1_000_000_000_000_000_000;
    let entry = table_entry(&good, TABLE);
    let real = entry["data"]["rows"].as_u64().unwrap();
    let chunk0 = entry["data"]["chunks"][0]["rows"].as_u64().unwrap();
    let claim = |dir: &Path, bytes_too: bool| {
        change_entry(dir, TABLE, |e| {
            e["data"]["rows"] = json!(CLAIMED);
            e["data"]["chunks"][0]["rows"] = json!(CLAIMED - (real - chunk0));
            if bytes_too {
                // Enough bytes for the rows, so only reading the chunk shows the lie.
                let b = e["data"]["chunks"][0]["bytes"].as_u64().unwrap();
                e["data"]["chunks"][0]["bytes"] = json!(b + CLAIMED);
                let t = e["data"]["bytes"].as_u64().unwrap();
                e["data"]["bytes"] = json!(t + CLAIMED);
            }
        });
        let bytes = if bytes_too { CLAIMED as i128 } else { 0 };
        adjust_inventory(dir, (CLAIMED - real) as i128, bytes, 0);
    };

    // Claimed in rows alone: more rows than bytes, refused when the snapshot is opened.
    let dir = world.work("rows");
    copy_dir(&good, &dir);
    claim(&dir, false);
    let error = restore_like_the_cli(&world, &dir).await;
    assert!(error.to_string().contains("rows"), "{error}");

    // In rows and bytes: the snapshot opens, the restore's read-through refuses it.
    let dir = world.work("rows-and-bytes");
    copy_dir(&good, &dir);
    claim(&dir, true);
    snapshot::open(&dir).expect("the documents agree with each other");
    let error = restore_like_the_cli(&world, &dir).await;
    assert!(error.to_string().contains("nothing was written"), "{error}");
    world.stop().await;
}

/// Writes, streaming, a chunk of the customers table holding one row whose first value is
/// `value_bytes` of `a` (no newline), and lists it as declaring `declared_bytes` of rows.
/// Returns the chunk's path and the bytes of its row.
fn one_huge_value(dir: &Path, value_bytes: u64, declared_bytes: Option<u64>) -> (String, u64) {
    let table = "in.c-crm.customers";
    let entry = table_entry(dir, table);
    let chunks = entry["data"]["chunks"].as_array().unwrap().clone();
    let rel = chunks[0]["path"].as_str().unwrap().to_string();
    let old = std::fs::metadata(dir.join(&rel)).unwrap().len();
    let columns = entry["table"]["columns"].as_array().unwrap().len();
    let header: Vec<String> = entry["table"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("\"{}\"", c.as_str().unwrap()))
        .collect();
    let file = std::fs::File::create(dir.join(&rel)).unwrap();
    let mut out = zstd::Encoder::new(file, 1).unwrap();
    out.write_all(format!("{}\n\"", header.join(",")).as_bytes())
        .unwrap();
    let block = vec![b'a'; 1 << 20];
    let mut left = value_bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    let rest = format!("\"{}\n", ",\"\"".repeat(columns - 1));
    out.write_all(rest.as_bytes()).unwrap();
    out.finish().unwrap();
    let row_bytes = value_bytes + 1 + rest.len() as u64;
    relist(dir, &rel, &rel);
    let new = std::fs::metadata(dir.join(&rel)).unwrap().len();
    let declared = declared_bytes.unwrap_or(row_bytes);
    let (old_rows, old_bytes) = (
        chunks[0]["rows"].as_u64().unwrap(),
        chunks[0]["bytes"].as_u64().unwrap(),
    );
    change_entry(dir, table, |e| {
        e["data"]["chunks"][0]["rows"] = json!(1);
        e["data"]["chunks"][0]["bytes"] = json!(declared);
        let rows = e["data"]["rows"].as_u64().unwrap();
        e["data"]["rows"] = json!(rows - old_rows + 1);
        let bytes = e["data"]["bytes"].as_u64().unwrap();
        e["data"]["bytes"] = json!(bytes - old_bytes + declared);
    });
    adjust_inventory(
        dir,
        1 - old_rows as i128,
        declared as i128 - old_bytes as i128,
        new as i128 - old as i128,
    );
    (rel, row_bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_huge_value_is_refused_at_the_record_limit_before_the_first_write() {
    let (world, good) = with_good_snapshot("huge-value").await;
    let dir = world.work("huge");
    copy_dir(&good, &dir);
    // 320 MiB of one value, a few hundred KiB compressed.
    let (chunk, _) = one_huge_value(&dir, 320 << 20, None);
    let opened = snapshot::open(&dir).expect("every file matches the manifest");
    match snapshot::verify_data(&opened) {
        Err(MigrateError::Snapshot { file, problem }) => {
            assert_eq!(file, chunk);
            assert!(
                problem.contains("row 1 (starting on line 2)")
                    && problem.contains(&MAX_RECORD_BYTES.to_string())
                    && problem.contains("maxRecordBytes"),
                "{problem}"
            );
        }
        other => panic!("expected the record refused, got {other:?}"),
    }
    let error = restore_like_the_cli(&world, &dir).await;
    assert!(
        error.to_string().contains(&chunk) && error.to_string().contains("nothing was written"),
        "{error}"
    );
    // A higher limit (as for a stack with a higher limits.maxRecordBytes) takes the record.
    let check = snapshot::verify_data_with(&opened, 400 << 20, quiet());
    match check {
        Err(MigrateError::Snapshot { problem, .. }) => {
            assert!(
                problem.contains("sha256"),
                "only the table's hash is wrong: {problem}"
            )
        }
        other => panic!("expected only the hash to fail, got {other:?}"),
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_that_decompresses_past_its_declared_bytes_is_refused_naming_the_line() {
    let (world, good) = with_good_snapshot("huge-declared").await;
    let dir = world.work("past");
    copy_dir(&good, &dir);
    let (chunk, _) = one_huge_value(&dir, 200 << 20, Some(1000));
    let opened = snapshot::open(&dir).expect("every file matches the manifest");
    match snapshot::verify_data(&opened) {
        Err(MigrateError::Snapshot { file, problem }) => {
            assert_eq!(file, chunk);
            assert!(
                problem.contains("more than the 1000 bytes") && problem.contains("line 2"),
                "{problem}"
            );
        }
        other => panic!("expected the chunk's size refused, got {other:?}"),
    }
    let dst = world.dest_client();
    let before = fingerprint(&dst).await;
    restore_like_the_cli(&world, &dir).await;
    assert_eq!(before, fingerprint(&dst).await);
    world.stop().await;
}

/// The destination's own check, which a restore relies on when it does not read a chunk
/// through: an import whose `expectedRows` is not what the body holds commits nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_holding_other_than_its_expected_rows_commits_nothing() {
    let world = World::new("expected-rows").await;
    let client = world.source_client();
    let table: stackport_model::TableId = TABLE.parse().unwrap();
    let rows_of = |tables: Vec<stackport_model::api::Table>| {
        tables
            .into_iter()
            .find(|t| t.id == table)
            .map(|t| t.rows_count)
    };
    let before = rows_of(client.list_tables().await.unwrap());
    // 45 of the table's own rows, so only their count can be wrong.
    let csv = client
        .export_table(
            &table,
            &stackport_client::ExportParams {
                limit: Some(45),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let params = |expected| stackport_client::ImportParams {
        incremental: true,
        expected_rows: Some(expected),
        ..Default::default()
    };
    let refused = client
        .import_table(&table, &params(50), csv.clone())
        .await
        .expect_err("45 rows where 50 are expected");
    assert_eq!(refused.status(), Some(400), "{refused}");
    assert_eq!(refused.code(), Some("storage.import.rowCountMismatch"));
    assert_eq!(rows_of(client.list_tables().await.unwrap()), before);
    // The count it does hold is taken.
    let taken = client.import_table(&table, &params(45), csv).await.unwrap();
    assert_eq!(taken.imported_rows, 45);
    world.stop().await;
}
