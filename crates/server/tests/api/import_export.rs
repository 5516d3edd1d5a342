//! Import and export: strict CSV in, canonical CSV out, nothing changed by a refused import.

use std::io::{Read, Write};

use stackport_client::{ExportParams, ImportParams};
use stackport_model::api::{ColumnFilter, FilterOperator};

use crate::helpers::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("the export is valid gzip");
    out
}

both_backends!(export_is_canonical_csv_and_every_value_survives);
async fn export_is_canonical_csv_and_every_value_survives(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "text", "other"], &[]).await;
    // Written loosely: bare values where possible, CRLF line ends, quotes only where needed.
    let input = "id,text,other\r\n\
                 1,plain,\r\n\
                 2,\"say \"\"hi\"\"\",\"a,b\"\r\n\
                 3,\"two\nlines\",\"\"\r\n\
                 4,Žluťoučký kůň 😀,日本語\r\n\
                 5,\"\"\"\",\" padded \"\r\n\
                 6,\"cr\r\nlf\",\"trailing,\"";
    let result = import_csv(&client, &t, input).await;
    assert_eq!(result.imported_rows, 6);
    assert_eq!(result.rows_count, 6);
    assert_eq!(result.imported_columns, cols(&["id", "text", "other"]));
    assert!(!result.incremental);
    assert_eq!(result.table_id, t);

    let expected = "\"id\",\"text\",\"other\"\n\
                    \"1\",\"plain\",\"\"\n\
                    \"2\",\"say \"\"hi\"\"\",\"a,b\"\n\
                    \"3\",\"two\nlines\",\"\"\n\
                    \"4\",\"Žluťoučký kůň 😀\",\"日本語\"\n\
                    \"5\",\"\"\"\",\" padded \"\n\
                    \"6\",\"cr\r\nlf\",\"trailing,\"\n";
    let exported = export_csv(&client, &t).await;
    assert_eq!(exported, expected);

    // The canonical form imports back to the same bytes.
    import_csv(&client, &t, &exported).await;
    assert_eq!(export_csv(&client, &t).await, expected);
}

both_backends!(unclosed_quote_is_refused_naming_the_line_and_nothing_changes);
async fn unclosed_quote_is_refused_naming_the_line_and_nothing_changes(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    import_csv(&client, &t, "id,v\n1,a\n2,b\n").await;
    let before = export_csv(&client, &t).await;

    for incremental in [false, true] {
        let params = ImportParams {
            incremental,
            ..Default::default()
        };
        let err = expect_error(
            import_with(&client, &t, &params, "id,v\n3,c\n4,\"open\n5,e\n6,f\n").await,
            400,
            "storage.import.invalidCsv",
        );
        assert!(err.error.contains("line 3"), "{}", err.error);
        assert_eq!(export_csv(&client, &t).await, before);
    }
    // A stray quote inside a bare value, on line 4.
    let err = expect_error(
        import_with(
            &client,
            &t,
            &ImportParams::default(),
            "id,v\n3,c\n4,d\n5,e\"e\n",
        )
        .await,
        400,
        "storage.import.invalidCsv",
    );
    assert!(err.error.contains("line 4"), "{}", err.error);
    assert_eq!(export_csv(&client, &t).await, before);
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 2);
}

both_backends!(wrong_value_count_is_refused_naming_the_line_and_nothing_changes);
async fn wrong_value_count_is_refused_naming_the_line_and_nothing_changes(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    import_csv(&client, &t, "id,v\n1,a\n2,b\n").await;
    let before = export_csv(&client, &t).await;

    // Line 4 has three values; the quoted newline on line 2 counts as a line.
    let err = expect_error(
        import_with(
            &client,
            &t,
            &ImportParams::default(),
            "id,v\n3,\"multi\nline\"\n5,e,extra\n",
        )
        .await,
        400,
        "storage.import.invalidRow",
    );
    assert!(err.error.contains("line 4"), "{}", err.error);
    assert_eq!(export_csv(&client, &t).await, before);

    // Too few values.
    let err = expect_error(
        import_with(
            &client,
            &t,
            &ImportParams {
                incremental: true,
                ..Default::default()
            },
            "id,v\n3,c\n4\n",
        )
        .await,
        400,
        "storage.import.invalidRow",
    );
    assert!(err.error.contains("line 3"), "{}", err.error);
    assert_eq!(export_csv(&client, &t).await, before);
}

both_backends!(unknown_header_column_is_refused_naming_it);
async fn unknown_header_column_is_refused_naming_it(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    import_csv(&client, &t, "id,v\n1,a\n").await;
    let err = expect_error(
        import_with(
            &client,
            &t,
            &ImportParams::default(),
            "id,v,surprise\n2,b,c\n",
        )
        .await,
        400,
        "storage.import.invalidHeader",
    );
    assert!(err.error.contains("'surprise'"), "{}", err.error);
    // A header repeating a column is refused too.
    let err = expect_error(
        import_with(&client, &t, &ImportParams::default(), "id,v,v\n2,b,c\n").await,
        400,
        "storage.import.invalidHeader",
    );
    assert!(err.error.contains("'v'"), "{}", err.error);
    // `_timestamp` is the stack's unless asked for.
    expect_error(
        import_with(
            &client,
            &t,
            &ImportParams::default(),
            "id,v,_timestamp\n2,b,2024-01-01\n",
        )
        .await,
        400,
        "storage.import.invalidHeader",
    );
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[&["1", "a"]])
    );
}

both_backends!(incremental_import_with_primary_key_upserts);
async fn incremental_import_with_primary_key_upserts(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "name", "city"], &["id"]).await;
    import_csv(
        &client,
        &t,
        &canonical(
            &["id", "name", "city"],
            &[
                &["1", "Ann", "Praha"],
                &["2", "Bob", "Brno"],
                &["3", "Cid", "Zlín"],
            ],
        ),
    )
    .await;

    let result = import_incremental(
        &client,
        &t,
        &canonical(
            &["id", "name", "city"],
            &[
                &["2", "Bobby", "Brno"],
                &["4", "Dan", "Ostrava"],
                &["1", "Ann", "Plzeň"],
            ],
        ),
    )
    .await;
    assert!(result.incremental);
    assert_eq!(result.imported_rows, 3);
    assert_eq!(result.rows_count, 4);
    let expected_rows: &[&[&str]] = &[
        &["1", "Ann", "Plzeň"],
        &["2", "Bobby", "Brno"],
        &["3", "Cid", "Zlín"],
        &["4", "Dan", "Ostrava"],
    ];
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "name", "city"], expected_rows)
    );
    let table = client.get_table(&t).await.unwrap();
    assert_eq!(table.rows_count, 4);
    assert_eq!(table.data_size_bytes, value_bytes(expected_rows));

    // An upsert with only some columns leaves the others as they were.
    import_incremental(&client, &t, "id,city\n3,Jihlava\n").await;
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                where_filters: vec![ColumnFilter {
                    column: col("id"),
                    operator: FilterOperator::Eq,
                    values: strings(&["3"]),
                }],
                ..Default::default()
            }
        )
        .await,
        canonical(&["id", "name", "city"], &[&["3", "Cid", "Jihlava"]])
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 4);

    // The key must be in the data.
    expect_error(
        import_with(
            &client,
            &t,
            &ImportParams {
                incremental: true,
                ..Default::default()
            },
            "name\nX\n",
        )
        .await,
        400,
        "storage.import.invalidHeader",
    );
}

both_backends!(incremental_import_without_primary_key_appends);
async fn incremental_import_without_primary_key_appends(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    import_csv(&client, &t, "id,v\n1,a\n2,b\n").await;
    let result = import_incremental(&client, &t, "id,v\n2,b\n3,c\n").await;
    assert_eq!((result.imported_rows, result.rows_count), (2, 4));
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(
            &["id", "v"],
            &[&["1", "a"], &["2", "b"], &["2", "b"], &["3", "c"]]
        )
    );
}

both_backends!(full_import_replaces_all_rows);
async fn full_import_replaces_all_rows(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &["id"]).await;
    import_csv(&client, &t, "id,v\n1,a\n2,b\n3,c\n").await;
    let result = import_csv(&client, &t, "id,v\n9,z\n").await;
    assert_eq!((result.imported_rows, result.rows_count), (1, 1));
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[&["9", "z"]])
    );
    let table = client.get_table(&t).await.unwrap();
    assert_eq!((table.rows_count, table.data_size_bytes), (1, 2));
    // A header-only file empties the table.
    let result = import_csv(&client, &t, "id,v\n").await;
    assert_eq!((result.imported_rows, result.rows_count), (0, 0));
    assert_eq!(export_csv(&client, &t).await, "\"id\",\"v\"\n");
    // An empty body has no header and is refused.
    expect_error(
        import_with(&client, &t, &ImportParams::default(), "").await,
        400,
        "storage.import.empty",
    );
}

both_backends!(columns_parameter_imports_a_file_without_header);
async fn columns_parameter_imports_a_file_without_header(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["a", "b", "c"], &[]).await;
    // The file's columns in another order, one left out.
    let result = import_with(
        &client,
        &t,
        &ImportParams {
            columns: Some(strings(&["c", "a"])),
            ..Default::default()
        },
        "3,1\n\"6\",\"4\"\n",
    )
    .await
    .unwrap();
    assert_eq!(result.imported_rows, 2);
    assert_eq!(result.imported_columns, cols(&["c", "a"]));
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["a", "b", "c"], &[&["1", "", "3"], &["4", "", "6"]])
    );
    // withoutHeaders alone: the table's columns in order.
    import_with(
        &client,
        &t,
        &ImportParams {
            without_headers: true,
            incremental: true,
            ..Default::default()
        },
        "7,8,9\n",
    )
    .await
    .unwrap();
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(
            &["a", "b", "c"],
            &[&["1", "", "3"], &["4", "", "6"], &["7", "8", "9"]]
        )
    );
}

both_backends!(gzip_upload_and_gzip_export);
async fn gzip_upload_and_gzip_export(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "text"], &[]).await;
    let rows: Vec<Vec<String>> = (0..500)
        .map(|i| vec![i.to_string(), format!("row \"{i}\", ünïcode\n2nd line")])
        .collect();
    let mut csv = csv_record(&["id", "text"]);
    for r in &rows {
        csv.push_str(&csv_record(&[&r[0], &r[1]]));
    }
    let result = client
        .import_table(
            &t,
            &ImportParams {
                gzip: true,
                ..Default::default()
            },
            gzip(csv.as_bytes()),
        )
        .await
        .unwrap();
    assert_eq!(result.imported_rows, 500);
    assert_eq!(export_csv(&client, &t).await, csv);

    let compressed = client
        .export_table(
            &t,
            &ExportParams {
                gzip: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(&compressed[..2], &[0x1f, 0x8b], "gzip magic");
    assert_eq!(gunzip(&compressed), csv.as_bytes());

    // A broken gzip body is refused and changes nothing.
    let mut broken = gzip(b"id,text\n999,x\n");
    broken.truncate(broken.len() / 2);
    expect_error(
        client
            .import_table(
                &t,
                &ImportParams {
                    gzip: true,
                    ..Default::default()
                },
                broken,
            )
            .await,
        400,
        "storage.import.unreadable",
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 500);
}

both_backends!(changed_since_last_import_date_returns_only_the_later_rows);
async fn changed_since_last_import_date_returns_only_the_later_rows(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "batch"], &[]).await;
    import_csv(&client, &t, "id,batch\n1,first\n2,first\n").await;
    let second = import_incremental(&client, &t, "id,batch\n3,second\n4,second\n").await;

    let table = client.get_table(&t).await.unwrap();
    let last = table.last_import_date.expect("the table has been imported");
    assert_eq!(last, second.timestamp);
    let since = stackport_model::time::format(&last);
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                changed_since: Some(since.clone()),
                ..Default::default()
            }
        )
        .await,
        canonical(&["id", "batch"], &[&["3", "second"], &["4", "second"]])
    );
    // changedUntil is the complement.
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                changed_until: Some(since),
                ..Default::default()
            }
        )
        .await,
        canonical(&["id", "batch"], &[&["1", "first"], &["2", "first"]])
    );
    // Relative to now: everything imported in the last day.
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                changed_since: Some("-1 days".into()),
                ..Default::default()
            }
        )
        .await,
        export_csv(&client, &t).await
    );
    expect_error(
        client
            .export_table(
                &t,
                &ExportParams {
                    changed_since: Some("last tuesday".into()),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.export.invalidTime",
    );
}

both_backends!(include_internal_timestamp_adds_the_import_time);
async fn include_internal_timestamp_adds_the_import_time(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id"], &[]).await;
    let first = import_csv(&client, &t, "id\n1\n").await;
    let second = import_incremental(&client, &t, "id\n2\n").await;
    let a = stackport_model::time::format(&first.timestamp);
    let b = stackport_model::time::format(&second.timestamp);
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                include_internal_timestamp: true,
                ..Default::default()
            }
        )
        .await,
        canonical(&["id", "_timestamp"], &[&["1", &a], &["2", &b]])
    );
}

both_backends!(use_timestamp_from_data_file_keeps_the_files_times);
async fn use_timestamp_from_data_file_keeps_the_files_times(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    let params = ImportParams {
        use_timestamp_from_data_file: true,
        ..Default::default()
    };
    let result = import_with(
        &client,
        &t,
        &params,
        "id,_timestamp,v\n\
         1,2024-01-02T03:04:05+00:00,a\n\
         2,2024-06-30 12:00:00.250001,b\n\
         3,2023-12-31T23:00:00-02:00,c\n",
    )
    .await
    .unwrap();
    assert_eq!(result.imported_columns, cols(&["id", "v"]));
    let exported = export_with(
        &client,
        &t,
        &ExportParams {
            include_internal_timestamp: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        exported,
        canonical(
            &["id", "v", "_timestamp"],
            &[
                &["1", "a", "2024-01-02T03:04:05+00:00"],
                &["2", "b", "2024-06-30T12:00:00.250001+00:00"],
                &["3", "c", "2024-01-01T01:00:00+00:00"],
            ]
        )
    );
    // The file's times are what changedSince compares.
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                changed_since: Some("2024-01-01T00:00:00+00:00".into()),
                changed_until: Some("2024-03-01T00:00:00+00:00".into()),
                ..Default::default()
            }
        )
        .await,
        canonical(&["id", "v"], &[&["1", "a"], &["3", "c"]])
    );
    // A value that is not a time is refused with its line.
    let err = expect_error(
        import_with(&client, &t, &params, "id,_timestamp,v\n4,soon,d\n").await,
        400,
        "storage.import.invalidRow",
    );
    assert!(err.error.contains("line 2"), "{}", err.error);
    // The flag without the column is refused.
    expect_error(
        import_with(&client, &t, &params, "id,v\n4,d\n").await,
        400,
        "storage.import.invalidHeader",
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 3);
}

both_backends!(where_filters_select_rows_by_value);
async fn where_filters_select_rows_by_value(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "country", "kind"], &[]).await;
    import_csv(
        &client,
        &t,
        "id,country,kind\n1,CZ,a\n2,DE,b\n3,SK,a\n4,CZ,b\n5,,a\n",
    )
    .await;
    let filter = |column: &str, operator, values: &[&str]| ColumnFilter {
        column: col(column),
        operator,
        values: strings(values),
    };
    let header = &["id", "country", "kind"];
    let export = |filters: Vec<ColumnFilter>| {
        let client = client.clone();
        let t = t.clone();
        async move {
            export_with(
                &client,
                &t,
                &ExportParams {
                    where_filters: filters,
                    ..Default::default()
                },
            )
            .await
        }
    };
    assert_eq!(
        export(vec![filter("country", FilterOperator::Eq, &["CZ", "SK"])]).await,
        canonical(
            header,
            &[&["1", "CZ", "a"], &["3", "SK", "a"], &["4", "CZ", "b"]]
        )
    );
    assert_eq!(
        export(vec![filter("country", FilterOperator::Ne, &["CZ", "SK"])]).await,
        canonical(header, &[&["2", "DE", "b"], &["5", "", "a"]])
    );
    // The empty value is a value like any other.
    assert_eq!(
        export(vec![filter("country", FilterOperator::Eq, &[""])]).await,
        canonical(header, &[&["5", "", "a"]])
    );
    // Several filters must all match.
    assert_eq!(
        export(vec![
            filter("country", FilterOperator::Eq, &["CZ"]),
            filter("kind", FilterOperator::Ne, &["a"]),
        ])
        .await,
        canonical(header, &[&["4", "CZ", "b"]])
    );
    expect_error(
        client
            .export_table(
                &t,
                &ExportParams {
                    where_filters: vec![filter("nope", FilterOperator::Eq, &["x"])],
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.tables.columnNotFound",
    );
}

both_backends!(limit_caps_the_exported_rows);
async fn limit_caps_the_exported_rows(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id"], &[]).await;
    import_csv(&client, &t, "id\n1\n2\n3\n4\n").await;
    let limited = |limit| ExportParams {
        limit: Some(limit),
        ..Default::default()
    };
    assert_eq!(
        export_with(&client, &t, &limited(2)).await,
        canonical(&["id"], &[&["1"], &["2"]])
    );
    assert_eq!(export_with(&client, &t, &limited(0)).await, "\"id\"\n");
    assert_eq!(
        export_with(&client, &t, &limited(10)).await,
        canonical(&["id"], &[&["1"], &["2"], &["3"], &["4"]])
    );
}

both_backends!(columns_parameter_exports_a_subset_in_its_order);
async fn columns_parameter_exports_a_subset_in_its_order(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["a", "b", "c"], &[]).await;
    import_csv(&client, &t, "a,b,c\n1,2,3\n4,5,6\n").await;
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                columns: Some(strings(&["c", "a"])),
                ..Default::default()
            }
        )
        .await,
        canonical(&["c", "a"], &[&["3", "1"], &["6", "4"]])
    );
    let err = expect_error(
        client
            .export_table(
                &t,
                &ExportParams {
                    columns: Some(strings(&["a", "zzz"])),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.tables.columnNotFound",
    );
    assert!(err.error.contains("'zzz'"), "{}", err.error);
}

/// A realistic row: varied lengths, quotes, commas, line breaks, empty values and many scripts.
fn big_row(i: u64) -> [String; 6] {
    const CITIES: [&str; 7] = [
        "Praha",
        "Zürich",
        "東京",
        "São Paulo",
        "Kraków",
        "Москва",
        "",
    ];
    let name = match i % 9 {
        0 => format!("Customer \"{i}\""),
        1 => format!("Lastname, Firstname {i}"),
        2 => String::new(),
        _ => format!("customer-{i}"),
    };
    let note = match i % 13 {
        0 => format!("multi\nline\nnote {i}"),
        1 => "😀 emoji, \"quoted\", and ,commas,".to_string(),
        2 => format!("crlf\r\ninside {i}"),
        3 => "x".repeat((i % 50) as usize),
        _ => format!("note {}", i * 7919 % 100_003),
    };
    [
        i.to_string(),
        name,
        CITIES[(i % 7) as usize].to_string(),
        format!("{}.{:02}", i * 37 % 100_000, i % 100),
        format!(
            "2024-{:02}-{:02}T{:02}:{:02}:00+00:00",
            i % 12 + 1,
            i % 28 + 1,
            i % 24,
            i % 60
        ),
        note,
    ]
}

both_backends!(hundred_thousand_rows_round_trip_byte_for_byte);
async fn hundred_thousand_rows_round_trip_byte_for_byte(backend: Backend) {
    const ROWS: u64 = 100_000;
    let header = ["id", "name", "city", "amount", "created_at", "note"];
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "big", "orders", &header, &["id"]).await;

    let mut csv = csv_record(&header);
    let mut size = 0u64;
    for i in 0..ROWS {
        let row = big_row(i);
        size += row.iter().map(|v| v.len() as u64).sum::<u64>();
        let refs: Vec<&str> = row.iter().map(String::as_str).collect();
        csv.push_str(&csv_record(&refs));
    }
    let result = import_csv(&client, &t, &csv).await;
    assert_eq!(result.imported_rows, ROWS);
    assert_eq!(result.rows_count, ROWS);
    assert_eq!(result.data_size_bytes, size);

    let exported = client
        .export_table(&t, &ExportParams::default())
        .await
        .unwrap();
    assert_eq!(exported.len(), csv.len(), "same length");
    assert!(
        exported == csv.as_bytes(),
        "the export differs from the import"
    );

    let table = client.get_table(&t).await.unwrap();
    assert_eq!((table.rows_count, table.data_size_bytes), (ROWS, size));
}

both_backends!(line_numbers_count_physical_lines);
async fn line_numbers_count_physical_lines(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    import_csv(&client, &t, "id,v\n1,a\n").await;
    let before = export_csv(&client, &t).await;
    let cases: &[(&[u8], &str, &str)] = &[
        // A skipped empty line still counts.
        (b"id,v\n1,a\n\n2\n", "line 4", "storage.import.invalidRow"),
        // CRLF line ends.
        (
            b"id,v\r\n1,a\r\n2,b\r\n3\r\n",
            "line 4",
            "storage.import.invalidRow",
        ),
        // Text after a closing quote.
        (
            b"id,v\n1,a\n2,\"b\"c\n",
            "line 3",
            "storage.import.invalidCsv",
        ),
        // Invalid UTF-8.
        (
            b"id,v\n1,a\n2,\xff\xfe\n",
            "line 3",
            "storage.import.invalidCsv",
        ),
        // A quoted line break inside an earlier value.
        (
            b"id,v\n1,\"a\r\nb\nc\"\n2,\"x\n",
            "line 5",
            "storage.import.invalidCsv",
        ),
    ];
    for (body, line, code) in cases {
        let err = expect_error(
            client
                .import_table(&t, &ImportParams::default(), body.to_vec())
                .await,
            400,
            code,
        );
        assert!(
            err.error.contains(line),
            "{:?}: expected {line}: {}",
            String::from_utf8_lossy(body),
            err.error
        );
    }
    assert_eq!(export_csv(&client, &t).await, before);
    // Empty lines are skipped in a good file; `""` is a row with one empty value.
    let t1 = create_table(&client, t.bucket(), "one", &["v"], &[])
        .await
        .id;
    let result = import_csv(&client, &t1, "v\n\na\n\n\"\"\n\r\nb").await;
    assert_eq!(result.imported_rows, 3);
    assert_eq!(
        export_csv(&client, &t1).await,
        canonical(&["v"], &[&["a"], &[""], &["b"]])
    );
}

both_backends!(last_row_of_a_key_in_one_file_wins);
async fn last_row_of_a_key_in_one_file_wins(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &["id"]).await;
    let result = import_csv(&client, &t, "id,v\n1,first\n2,x\n1,second\n1,third\n").await;
    assert_eq!(result.imported_rows, 4);
    assert_eq!(result.rows_count, 2);
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[&["1", "third"], &["2", "x"]])
    );
    let table = client.get_table(&t).await.unwrap();
    assert_eq!(
        (table.rows_count, table.data_size_bytes),
        (2, value_bytes(&[&["1", "third"], &["2", "x"]]))
    );
    let result = import_incremental(&client, &t, "id,v\n2,y\n3,z\n2,yy\n").await;
    assert_eq!(result.rows_count, 3);
    let rows: &[&[&str]] = &[&["1", "third"], &["2", "yy"], &["3", "z"]];
    assert_eq!(export_csv(&client, &t).await, canonical(&["id", "v"], rows));
    let table = client.get_table(&t).await.unwrap();
    assert_eq!(
        (table.rows_count, table.data_size_bytes),
        (3, value_bytes(rows))
    );
}

both_backends!(other_delimiter_and_enclosure_are_read);
async fn other_delimiter_and_enclosure_are_read(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    import_with(
        &client,
        &t,
        &ImportParams {
            delimiter: Some(";".into()),
            enclosure: Some("'".into()),
            ..Default::default()
        },
        "id;v\n1;'a;b'\n2;'it''s \"x\"'\n",
    )
    .await
    .unwrap();
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[&["1", "a;b"], &["2", "it's \"x\""]])
    );
    import_with(
        &client,
        &t,
        &ImportParams {
            delimiter: Some("\t".into()),
            ..Default::default()
        },
        "id\tv\n3\t\"tab\there\"\n",
    )
    .await
    .unwrap();
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[&["3", "tab\there"]])
    );
    expect_error(
        import_with(
            &client,
            &t,
            &ImportParams {
                delimiter: Some(";;".into()),
                ..Default::default()
            },
            "id;;v\n",
        )
        .await,
        400,
        "storage.import.invalidDialect",
    );
}

both_backends!(concurrent_incremental_imports_all_land);
async fn concurrent_incremental_imports_all_land(backend: Backend) {
    const IMPORTS: usize = 8;
    const ROWS: usize = 250;
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["batch", "n"], &[]).await;
    let mut tasks = Vec::new();
    for batch in 0..IMPORTS {
        let client = client.clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut csv = String::from("batch,n\n");
            for n in 0..ROWS {
                csv.push_str(&format!("{batch},{n}\n"));
            }
            import_incremental(&client, &t, &csv).await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().imported_rows, ROWS as u64);
    }
    let table = client.get_table(&t).await.unwrap();
    assert_eq!(table.rows_count, (IMPORTS * ROWS) as u64);
    let exported = export_csv(&client, &t).await;
    assert_eq!(exported.lines().count(), IMPORTS * ROWS + 1);
    // Each import is one transaction: its rows are contiguous and in file order.
    let rows: Vec<&str> = exported.lines().skip(1).collect();
    for chunk in rows.chunks(ROWS) {
        let batch = chunk[0].split(',').next().unwrap(); // `"<batch>"`, quotes included
        for (n, row) in chunk.iter().enumerate() {
            assert_eq!(
                *row,
                format!("{batch},\"{n}\""),
                "rows of one import interleaved"
            );
        }
    }
    let events = client
        .list_events(&stackport_client::EventQuery {
            object_type: Some("table".into()),
            object_id: Some(t.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event == "storage.tableImportDone")
            .count(),
        IMPORTS
    );
}

both_backends!(columns_named_like_sqlite_internals_keep_storage_order);
async fn columns_named_like_sqlite_internals_keep_storage_order(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    // Valid column names that a SQL backend might read as its own row id.
    let header = ["rowid", "oid", "_rowid_", "v"];
    let t = bucket_with_table(&client, "c", "t", &header, &[]).await;
    let rows: &[&[&str]] = &[
        &["zz", "9", "b", "first"],
        &["aa", "1", "c", "second"],
        &["mm", "5", "a", "third"],
    ];
    let data = canonical(&header, rows);
    import_csv(&client, &t, &data).await;
    // Export is in storage order: the order the rows were imported in.
    assert_eq!(export_csv(&client, &t).await, data);
    import_incremental(
        &client,
        &t,
        &canonical(&header, &[&["bb", "0", "0", "fourth"]]),
    )
    .await;
    assert_eq!(
        export_with(
            &client,
            &t,
            &ExportParams {
                limit: Some(1),
                ..Default::default()
            }
        )
        .await,
        canonical(&header, &rows[..1])
    );
    let all = export_csv(&client, &t).await;
    assert!(all.ends_with("\"fourth\"\n"), "{all}");
}
