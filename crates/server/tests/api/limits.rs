//! Size limits: an oversized import or upload is refused with 413 and leaves nothing behind.

use std::io::Write;

use stackport_client::{FileUpload, ImportParams};
use stackport_stack::{Limits, StackSettings};

use crate::helpers::*;

async fn small_stack(backend: Backend) -> TestApp {
    spawn_app_with_on(
        backend,
        StackSettings {
            limits: Limits {
                max_import_bytes: 1_000,
                max_file_bytes: 1_000,
                max_import_decompressed_bytes: 100_000,
                ..Limits::default()
            },
            ..StackSettings::local_default("127.0.0.1:0")
        },
    )
    .await
}

fn rows(n: usize) -> String {
    let mut csv = String::from("id,v\n");
    for i in 0..n {
        csv.push_str(&format!("{i},value-{i}\n"));
    }
    csv
}

both_backends!(import_over_the_limit_is_413_and_changes_nothing);
async fn import_over_the_limit_is_413_and_changes_nothing(backend: Backend) {
    let app = small_stack(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    let fits = rows(10);
    assert!(fits.len() < 1_000);
    import_csv(&client, &t, &fits).await;

    let big = rows(200);
    assert!(big.len() > 1_000);
    expect_error(
        import_with(&client, &t, &ImportParams::default(), &big).await,
        413,
        "storage.import.tooLarge",
    );
    assert_eq!(export_csv(&client, &t).await.lines().count(), 11);

    // Decompressed size has its own limit: a small gzip of a large file is refused.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"id,v\n").unwrap();
    for _ in 0..20_000 {
        enc.write_all(b"1,xxxxxxxxxx\n").unwrap();
    }
    let compressed = enc.finish().unwrap();
    assert!(compressed.len() < 1_000, "{} bytes", compressed.len());
    expect_error(
        client
            .import_table(
                &t,
                &ImportParams {
                    gzip: true,
                    ..Default::default()
                },
                compressed,
            )
            .await,
        413,
        "storage.import.tooLarge",
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_over_the_limit_is_413_and_leaves_no_file() {
    let app = small_stack(Backend::Sqlite).await;
    let client = app.new_project("p").await;
    let upload = |name: &str| FileUpload {
        name: name.into(),
        is_permanent: true,
        ..Default::default()
    };
    client
        .upload_file(&upload("fits.bin"), vec![7u8; 1_000])
        .await
        .unwrap();
    expect_error(
        client
            .upload_file(&upload("big.bin"), vec![7u8; 1_001])
            .await,
        413,
        "storage.files.tooLarge",
    );
    let names: Vec<_> = client
        .list_files(&[], None)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, vec!["fits.bin".to_string()]);
    // Only the stored file is on disk: the refused upload's partial content is gone.
    let files_dir = app.dir.join("files");
    let mut on_disk = Vec::new();
    for project in std::fs::read_dir(&files_dir).unwrap() {
        for f in std::fs::read_dir(project.unwrap().path()).unwrap() {
            on_disk.push(f.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
}
