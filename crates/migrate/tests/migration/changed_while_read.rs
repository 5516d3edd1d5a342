//! A table written to while the snapshot reads it is noticed by its change marker, read again,
//! and named in the report: the snapshot holds one consistent read, never a torn one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use stackport_client::{Client, ImportParams};
use stackport_migrate::snapshot::{self, SnapshotOptions};
use stackport_migrate::{Event, Phase, Progress};
use stackport_model::api::{NewBucket, NewTable};
use stackport_model::{Stage, TableId};

use crate::world::*;

/// Writes one row into the table the first time the snapshot reports data read: while the
/// export is still in flight, exactly as a load running beside a migration would.
struct WriteDuringRead {
    client: Client,
    table: TableId,
    runtime: tokio::runtime::Handle,
    done: AtomicBool,
}

impl Progress for WriteDuringRead {
    fn event(&self, event: Event) {
        let Event::Advanced {
            phase: Phase::Snapshot,
            bytes,
            ..
        } = event
        else {
            return;
        };
        if bytes == 0 || self.done.swap(true, Ordering::SeqCst) {
            return;
        }
        // Called on the snapshot's blocking worker, where waiting for the runtime is allowed.
        self.runtime
            .block_on(
                self.client.import_table(
                    &self.table,
                    &ImportParams {
                        incremental: true,
                        ..Default::default()
                    },
                    "id,note\nlate,written during the snapshot\n"
                        .as_bytes()
                        .to_vec(),
                ),
            )
            .expect("the concurrent write succeeds");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_written_while_it_is_read_is_read_again() {
    let world = World::new("changed-while-read").await;
    // A project of its own with one table, so the write lands in the table being read.
    let (_, token) = stackport_demo::create_empty_project(&world.eu, "busy")
        .await
        .unwrap();
    let src = world.eu.storage_client(&token);
    let bucket = src
        .create_bucket(&NewBucket {
            name: "busy".into(),
            stage: Stage::In,
            display_name: None,
            description: None,
            backend: None,
        })
        .await
        .unwrap();
    let table = src
        .create_table(
            &bucket.id,
            &NewTable {
                name: "log".into(),
                columns: vec!["id".parse().unwrap(), "note".parse().unwrap()],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let mut csv = String::from("id,note\n");
    for i in 0..20_000 {
        csv.push_str(&format!("{i},row number {i} of the log\n"));
    }
    src.import_table(&table, &ImportParams::default(), csv.into_bytes())
        .await
        .unwrap();

    let progress = Arc::new(WriteDuringRead {
        client: src.clone(),
        table: table.clone(),
        runtime: tokio::runtime::Handle::current(),
        done: AtomicBool::new(false),
    });
    let dir = world.work("snap");
    let made = snapshot::create(
        &stackport_migrate::Endpoint::new(&world.eu.url, &token),
        &dir,
        &SnapshotOptions {
            parallel_tables: 1,
            ..Default::default()
        },
        progress.clone(),
    )
    .await
    .unwrap();
    assert!(
        progress.done.load(Ordering::SeqCst),
        "the write happened during the read"
    );
    assert_eq!(made.reread.len(), 1, "{:?}", made.reread);
    assert!(
        made.reread[0].contains("in.c-busy.log"),
        "{}",
        made.reread[0]
    );
    let opened = snapshot::open(&dir).unwrap();
    let data = opened.tables[0].data.as_ref().unwrap();
    assert_eq!(
        data.rows, 20_001,
        "the snapshot holds the read after the write, whole"
    );
    snapshot::verify_data(&opened).unwrap();
    world.stop().await;
}
