//! Limits of what one import may hold: a value, a record, the decompressed size, the columns of a
//! table. Each is refused with the setting's name and leaves the table as it was.

use std::io::Write;

use stackport_client::ImportParams;
use stackport_stack::StackSettings;

use crate::helpers::*;

fn gzip(parts: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for part in parts {
        enc.write_all(&part).unwrap();
    }
    enc.finish().unwrap()
}

fn gzip_params() -> ImportParams {
    ImportParams {
        gzip: true,
        ..Default::default()
    }
}

both_backends!(a_value_or_record_over_its_limit_is_refused);
async fn a_value_or_record_over_its_limit_is_refused(backend: Backend) {
    let mut settings = StackSettings::local_default("127.0.0.1:0");
    settings.limits.max_value_bytes = 1_000;
    settings.limits.max_record_bytes = 2_500;
    let app = spawn_app_with_on(backend, settings).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "a", "b", "c"], &[]).await;
    import_csv(&client, &t, "id,a,b,c\n1,x,y,z\n").await;
    let before = export_csv(&client, &t).await;

    let fits = format!("id,a,b,c\n2,{},y,z\n", "v".repeat(1_000));
    import_incremental(&client, &t, &fits).await;
    let before_rows = client.get_table(&t).await.unwrap().rows_count;

    let long_value = format!("id,a,b,c\n3,x,{},z\n", "v".repeat(1_001));
    let body = expect_error(
        import_with(&client, &t, &ImportParams::default(), &long_value).await,
        413,
        "storage.import.valueTooLong",
    );
    assert!(body.error.contains("line 2: field 3"), "{}", body.error);
    assert!(
        body.error.contains("limits.maxValueBytes"),
        "{}",
        body.error
    );

    let long_record = format!("id,a,b,c\n4,{0},{0},{0}\n", "v".repeat(900));
    let body = expect_error(
        import_with(&client, &t, &ImportParams::default(), &long_record).await,
        413,
        "storage.import.valueTooLong",
    );
    assert!(
        body.error.contains("limits.maxRecordBytes"),
        "{}",
        body.error
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, before_rows);
    assert!(export_csv(&client, &t)
        .await
        .starts_with(&before[..before.len() - 1]));
}

both_backends!(a_gzip_bomb_of_one_endless_value_is_refused_at_the_value_limit);
async fn a_gzip_bomb_of_one_endless_value_is_refused_at_the_value_limit(backend: Backend) {
    // 256 MiB of `a` without a newline, a few hundred KB of gzip, under the default limits
    // but for the value's: the stack stops reading once one value passes 16 MiB.
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    let chunk = vec![b'a'; 1 << 20];
    let bomb = gzip(std::iter::once(b"id,v\n1,".to_vec()).chain(std::iter::repeat_n(chunk, 256)));
    assert!(bomb.len() < 2 << 20, "{} bytes of gzip", bomb.len());
    let body = expect_error(
        client.import_table(&t, &gzip_params(), bomb).await,
        413,
        "storage.import.valueTooLong",
    );
    assert!(
        body.error.contains("16777216 bytes (limits.maxValueBytes)"),
        "{}",
        body.error
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 0);
}

both_backends!(the_decompressed_size_has_its_own_limit);
async fn the_decompressed_size_has_its_own_limit(backend: Backend) {
    let mut settings = StackSettings::local_default("127.0.0.1:0");
    settings.limits.max_import_decompressed_bytes = 100_000;
    let app = spawn_app_with_on(backend, settings).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    let rows = std::iter::once(b"id,v\n".to_vec())
        .chain((0..20_000).map(|i| format!("{i},xxxxxxxxxx\n").into_bytes()));
    let compressed = gzip(rows);
    assert!(compressed.len() < 100_000);
    let body = expect_error(
        client.import_table(&t, &gzip_params(), compressed).await,
        413,
        "storage.import.tooLarge",
    );
    assert!(
        body.error.contains("limits.maxImportDecompressedBytes"),
        "{}",
        body.error
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 0);
}

both_backends!(a_byte_order_mark_at_the_start_is_read_past);
async fn a_byte_order_mark_at_the_start_is_read_past(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    import_csv(&client, &t, "\u{feff}id,v\n1,a\n").await;
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[&["1", "a"]])
    );
}

fn columns(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}")).collect()
}

both_backends!(more_columns_than_the_limit_are_refused_on_create_and_on_add);
async fn more_columns_than_the_limit_are_refused_on_create_and_on_add(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let bucket = create_bucket(&client, stackport_model::Stage::In, "c").await;
    for n in [1_001, 1_999, 2_100] {
        let new = serde_json::from_value(serde_json::json!({
            "name": format!("wide{n}"),
            "columns": columns(n),
        }))
        .unwrap();
        let result = client.create_table(&bucket.id, &new).await;
        let body = expect_error(result, 400, "storage.tables.tooManyColumns");
        assert!(
            body.error.contains("at most 1000 (limits.maxColumns)"),
            "{}",
            body.error
        );
    }
    let names = columns(1_000);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let table = create_table(&client, &bucket.id, "widest", &names, &[]).await;
    let new = serde_json::from_value(serde_json::json!({"name": "one_more"})).unwrap();
    let result = client.add_column(&table.id, &new).await;
    expect_error(result, 400, "storage.tables.tooManyColumns");
    assert_eq!(
        client.get_table(&table.id).await.unwrap().columns.len(),
        1_000
    );
}
