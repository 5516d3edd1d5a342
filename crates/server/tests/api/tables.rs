//! Tables: columns of any script, structure changes, primary keys and typed definitions.

use stackport_model::api::{
    BaseType, ColumnDefinition, NewColumn, NewTable, TableDefinition, STORAGE_PROVIDER,
};
use stackport_model::Stage;

use crate::helpers::*;

both_backends!(columns_may_be_numeric_or_unicode);
async fn columns_may_be_numeric_or_unicode(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let bucket = create_bucket(&client, Stage::In, "c").await;
    let table = create_table(
        &client,
        &bucket.id,
        "years",
        &["1", "2024", "název"],
        &["1"],
    )
    .await;
    assert_eq!(table.id, table_id("in.c-c.years"));
    assert_eq!(table.columns, cols(&["1", "2024", "název"]));
    assert_eq!(table.primary_key, cols(&["1"]));
    assert!(!table.is_typed);
    assert!(!table.is_alias);

    let data = canonical(
        &["1", "2024", "název"],
        &[&["a", "b", "Žluťoučký kůň"], &["c", "d", "日本"]],
    );
    import_csv(&client, &table.id, &data).await;
    assert_eq!(export_csv(&client, &table.id).await, data);

    // A column can be addressed by such a name in the URL too.
    let t = client
        .delete_column(&table.id, &col("název"))
        .await
        .unwrap();
    assert_eq!(t.columns, cols(&["1", "2024"]));
}

both_backends!(repeated_column_names_are_refused_case_insensitively);
async fn repeated_column_names_are_refused_case_insensitively(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let bucket = create_bucket(&client, Stage::In, "c").await;
    for columns in [
        &["id", "Name", "name"][..],
        &["Název", "název"][..],
        &["a", "a"][..],
    ] {
        let err = expect_error(
            client
                .create_table(
                    &bucket.id,
                    &NewTable {
                        name: "t".into(),
                        columns: cols(columns),
                        ..Default::default()
                    },
                )
                .await,
            400,
            "storage.tables.duplicateColumn",
        );
        assert!(
            err.error.contains(columns[columns.len() - 1]),
            "{}",
            err.error
        );
    }
    assert!(client.list_tables().await.unwrap().is_empty());
}

both_backends!(duplicate_table_is_409);
async fn duplicate_table_is_409(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id"], &[]).await;
    expect_error(
        client
            .create_table(
                t.bucket(),
                &NewTable {
                    name: "T".into(),
                    columns: cols(&["x"]),
                    ..Default::default()
                },
            )
            .await,
        409,
        "storage.tables.alreadyExists",
    );
}

both_backends!(tables_are_got_and_listed_per_bucket_and_all);
async fn tables_are_got_and_listed_per_bucket_and_all(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let a1 = bucket_with_table(&client, "a", "t1", &["id"], &[]).await;
    let a2 = create_table(&client, a1.bucket(), "t2", &["id", "v"], &["id"])
        .await
        .id;
    let b1 = bucket_with_table(&client, "b", "t1", &["x"], &[]).await;
    let empty = create_bucket(&client, Stage::Out, "empty").await;

    let got = client.get_table(&a2).await.unwrap();
    assert_eq!(got.id, a2);
    assert_eq!(got.name, "t2");
    assert_eq!(got.display_name, "t2");
    assert_eq!(got.bucket.id, bucket_id("in.c-a"));
    assert_eq!(got.columns, cols(&["id", "v"]));
    assert_eq!(got.primary_key, cols(&["id"]));
    assert_eq!(got.rows_count, 0);
    assert_eq!(got.last_import_date, None);

    let ids = |tables: Vec<stackport_model::api::Table>| {
        let mut ids: Vec<_> = tables.into_iter().map(|t| t.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(client.list_bucket_tables(a1.bucket()).await.unwrap()),
        vec![a1.clone(), a2.clone()]
    );
    assert_eq!(
        ids(client.list_bucket_tables(b1.bucket()).await.unwrap()),
        vec![b1.clone()]
    );
    assert!(client
        .list_bucket_tables(&empty.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        ids(client.list_tables().await.unwrap()),
        vec![a1.clone(), a2.clone(), b1.clone()]
    );
    expect_error(
        client.get_table(&table_id("in.c-a.missing")).await,
        404,
        "storage.tables.notFound",
    );
    expect_error(
        client.list_bucket_tables(&bucket_id("in.c-missing")).await,
        404,
        "storage.buckets.notFound",
    );
}

both_backends!(added_column_is_empty_in_existing_rows);
async fn added_column_is_empty_in_existing_rows(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "name"], &[]).await;
    import_csv(&client, &t, "id,name\n1,Ann\n2,Bob\n").await;
    let table = client
        .add_column(
            &t,
            &NewColumn {
                name: col("city"),
                definition: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(table.columns, cols(&["id", "name", "city"]));
    assert_eq!(table.rows_count, 2);
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(
            &["id", "name", "city"],
            &[&["1", "Ann", ""], &["2", "Bob", ""]]
        )
    );
    // New rows can fill it.
    import_incremental(&client, &t, "id,city\n3,Praha\n").await;
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(
            &["id", "name", "city"],
            &[&["1", "Ann", ""], &["2", "Bob", ""], &["3", "", "Praha"]]
        )
    );
    // A column that exists, in any case, is refused.
    expect_error(
        client
            .add_column(
                &t,
                &NewColumn {
                    name: col("NAME"),
                    definition: None,
                },
            )
            .await,
        400,
        "storage.tables.duplicateColumn",
    );
}

both_backends!(deleted_column_is_gone);
async fn deleted_column_is_gone(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "name", "note"], &["id"]).await;
    let rows: &[&[&str]] = &[&["1", "Ann", "first"], &["2", "Bob", "second"]];
    import_csv(&client, &t, &canonical(&["id", "name", "note"], rows)).await;
    let table = client.delete_column(&t, &col("note")).await.unwrap();
    assert_eq!(table.columns, cols(&["id", "name"]));
    assert_eq!(
        table.data_size_bytes,
        value_bytes(&[&["1", "Ann"], &["2", "Bob"]])
    );
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "name"], &[&["1", "Ann"], &["2", "Bob"]])
    );
    expect_error(
        client.delete_column(&t, &col("note")).await,
        404,
        "storage.tables.columnNotFound",
    );
    expect_error(
        client.delete_column(&t, &col("id")).await,
        400,
        "storage.tables.columnInPrimaryKey",
    );
    // The column is gone from imports too.
    let err = expect_error(
        import_with(&client, &t, &Default::default(), "id,name,note\n3,C,x\n").await,
        400,
        "storage.import.invalidHeader",
    );
    assert!(err.error.contains("'note'"), "{}", err.error);
}

both_backends!(primary_key_is_refused_while_rows_repeat_it);
async fn primary_key_is_refused_while_rows_repeat_it(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "code", "v"], &[]).await;
    import_csv(&client, &t, "id,code,v\n1,dup-77,a\n2,dup-77,b\n3,ok,c\n").await;

    let err = expect_error(
        client.set_primary_key(&t, &cols(&["code"])).await,
        400,
        "storage.tables.duplicatePrimaryKey",
    );
    assert!(err.error.contains("dup-77"), "names the key: {}", err.error);
    assert!(client.get_table(&t).await.unwrap().primary_key.is_empty());

    let table = client.set_primary_key(&t, &cols(&["id"])).await.unwrap();
    assert_eq!(table.primary_key, cols(&["id"]));
    // The key now makes incremental imports upsert.
    import_incremental(&client, &t, "id,code,v\n1,new,A\n").await;
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 3);

    let table = client.remove_primary_key(&t).await.unwrap();
    assert!(table.primary_key.is_empty());
    assert!(client.get_table(&t).await.unwrap().primary_key.is_empty());
    // Without a key, incremental imports append.
    import_incremental(&client, &t, "id,code,v\n1,again,B\n").await;
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 4);

    expect_error(
        client.set_primary_key(&t, &cols(&["nope"])).await,
        400,
        "storage.tables.unknownPrimaryKeyColumn",
    );
}

both_backends!(deleted_table_is_gone);
async fn deleted_table_is_gone(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id"], &[]).await;
    import_csv(&client, &t, "id\n1\n").await;
    client
        .write_table_metadata(
            &t,
            &stackport_model::api::MetadataWrite {
                provider: "user".into(),
                metadata: vec![stackport_model::api::MetadataKeyValue {
                    key: "k".into(),
                    value: "old".into(),
                }],
                columns_metadata: std::collections::BTreeMap::from([(
                    "id".to_string(),
                    vec![stackport_model::api::MetadataKeyValue {
                        key: "k".into(),
                        value: "old".into(),
                    }],
                )]),
            },
        )
        .await
        .unwrap();
    client.delete_table(&t).await.unwrap();
    expect_error(client.get_table(&t).await, 404, "storage.tables.notFound");
    expect_error(
        client.export_table(&t, &Default::default()).await,
        404,
        "storage.tables.notFound",
    );
    assert!(client.list_tables().await.unwrap().is_empty());
    assert_eq!(client.get_bucket(t.bucket()).await.unwrap().rows_count, 0);
    expect_error(
        client.delete_table(&t).await,
        404,
        "storage.tables.notFound",
    );
    // The name can be reused, and the new table is empty, without the old metadata.
    let again = create_table(&client, t.bucket(), "t", &["id"], &[]).await;
    assert_eq!(export_csv(&client, &t).await, "\"id\"\n");
    assert_eq!(again.metadata.as_deref(), Some(&[][..]));
    assert!(again.column_metadata.unwrap().is_empty());
}

fn typed_definition() -> TableDefinition {
    TableDefinition {
        columns: vec![
            ColumnDefinition {
                name: col("id"),
                basetype: BaseType::Integer,
                nullable: false,
                length: None,
            },
            ColumnDefinition {
                name: col("price"),
                basetype: BaseType::Numeric,
                nullable: true,
                length: Some("10,2".into()),
            },
            ColumnDefinition {
                name: col("day"),
                basetype: BaseType::Date,
                nullable: true,
                length: None,
            },
        ],
        primary_keys_names: cols(&["id"]),
    }
}

both_backends!(typed_table_refuses_a_bad_value_naming_the_line);
async fn typed_table_refuses_a_bad_value_naming_the_line(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let bucket = create_bucket(&client, Stage::In, "typed").await;
    let table = client
        .create_table(
            &bucket.id,
            &NewTable {
                name: "orders".into(),
                definition: Some(typed_definition()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(table.is_typed);
    assert_eq!(table.definition, Some(typed_definition()));
    assert_eq!(table.columns, cols(&["id", "price", "day"]));
    assert_eq!(table.primary_key, cols(&["id"]));

    let good = canonical(
        &["id", "price", "day"],
        &[&["1", "12345678.90", "2024-02-29"], &["-2", "", ""]],
    );
    import_csv(&client, &table.id, &good).await;
    assert_eq!(export_csv(&client, &table.id).await, good);

    // Line 3 holds the bad INTEGER.
    let err = expect_error(
        import_incremental_raw(
            &client,
            &table.id,
            "id,price,day\n3,1.00,2024-01-01\n4.5,2.00,2024-01-02\n",
        )
        .await,
        400,
        "storage.import.invalidRow",
    );
    assert!(err.error.contains("line 3"), "{}", err.error);
    assert!(err.error.contains("'id'"), "{}", err.error);
    // Too many decimals for NUMERIC(10,2), on line 2.
    let err = expect_error(
        import_incremental_raw(&client, &table.id, "id,price,day\n5,1.234,\n").await,
        400,
        "storage.import.invalidRow",
    );
    assert!(err.error.contains("line 2"), "{}", err.error);
    // Not a date, on line 2.
    let err = expect_error(
        import_incremental_raw(&client, &table.id, "id,price,day\n6,,2024-02-30\n").await,
        400,
        "storage.import.invalidRow",
    );
    assert!(err.error.contains("line 2"), "{}", err.error);
    // An empty non-nullable key, on line 2; a full import too leaves the table as it was.
    let err = expect_error(
        import_with(
            &client,
            &table.id,
            &Default::default(),
            "id,price,day\n,1.00,\n",
        )
        .await,
        400,
        "storage.import.invalidRow",
    );
    assert!(err.error.contains("line 2"), "{}", err.error);

    assert_eq!(export_csv(&client, &table.id).await, good);
    assert_eq!(client.get_table(&table.id).await.unwrap().rows_count, 2);
}

async fn import_incremental_raw(
    client: &stackport_client::Client,
    table: &stackport_model::TableId,
    csv: &str,
) -> Result<stackport_model::api::ImportResult, stackport_client::ClientError> {
    let params = stackport_client::ImportParams {
        incremental: true,
        ..Default::default()
    };
    import_with(client, table, &params, csv).await
}

both_backends!(typed_columns_carry_storage_datatype_metadata);
async fn typed_columns_carry_storage_datatype_metadata(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let bucket = create_bucket(&client, Stage::In, "typed").await;
    let table = client
        .create_table(
            &bucket.id,
            &NewTable {
                name: "orders".into(),
                definition: Some(typed_definition()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let columns = table
        .column_metadata
        .clone()
        .expect("a table carries its column metadata");
    let value = |column: &str, key: &str| {
        columns
            .get(column)
            .and_then(|entries| {
                entries
                    .iter()
                    .find(|e| e.provider == STORAGE_PROVIDER && e.key == key)
            })
            .map(|e| e.value.clone())
    };
    assert_eq!(
        value("id", "KBC.datatype.basetype").as_deref(),
        Some("INTEGER")
    );
    assert_eq!(value("id", "KBC.datatype.nullable").as_deref(), Some("0"));
    assert_eq!(
        value("price", "KBC.datatype.basetype").as_deref(),
        Some("NUMERIC")
    );
    assert_eq!(
        value("price", "KBC.datatype.length").as_deref(),
        Some("10,2")
    );
    assert_eq!(
        value("day", "KBC.datatype.basetype").as_deref(),
        Some("DATE")
    );
    assert_eq!(value("day", "KBC.datatype.nullable").as_deref(), Some("1"));

    // The column metadata endpoint shows the same.
    let price = client
        .column_metadata(&table.id, &col("price"))
        .await
        .unwrap();
    assert!(price.iter().any(|e| e.provider == STORAGE_PROVIDER
        && e.key == "KBC.datatype.basetype"
        && e.value == "NUMERIC"));

    // A typed column added later gets its metadata too; one without a definition is refused.
    expect_error(
        client
            .add_column(
                &table.id,
                &NewColumn {
                    name: col("note"),
                    definition: None,
                },
            )
            .await,
        400,
        "storage.tables.missingDefinition",
    );
    let t = client
        .add_column(
            &table.id,
            &NewColumn {
                name: col("note"),
                definition: Some(ColumnDefinition {
                    name: col("note"),
                    basetype: BaseType::String,
                    nullable: true,
                    length: Some("20".into()),
                }),
            },
        )
        .await
        .unwrap();
    let note = &t.column_metadata.unwrap()["note"];
    assert!(note.iter().any(|e| e.provider == STORAGE_PROVIDER
        && e.key == "KBC.datatype.basetype"
        && e.value == "STRING"));
}

both_backends!(typed_table_key_must_not_be_nullable);
async fn typed_table_key_must_not_be_nullable(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let bucket = create_bucket(&client, Stage::In, "typed").await;
    let mut def = typed_definition();
    def.columns[0].nullable = true;
    expect_error(
        client
            .create_table(
                &bucket.id,
                &NewTable {
                    name: "t".into(),
                    definition: Some(def),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.tables.nullablePrimaryKey",
    );
    let mut def = typed_definition();
    def.columns[1].length = Some("39,2".into());
    expect_error(
        client
            .create_table(
                &bucket.id,
                &NewTable {
                    name: "t".into(),
                    definition: Some(def),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.tables.invalidDefinition",
    );
    assert!(client.list_tables().await.unwrap().is_empty());
}

both_backends!(typed_full_import_without_a_non_nullable_column_is_refused);
async fn typed_full_import_without_a_non_nullable_column_is_refused(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let bucket = create_bucket(&client, Stage::In, "typed").await;
    let mut def = typed_definition();
    def.columns.push(ColumnDefinition {
        name: col("qty"),
        basetype: BaseType::Integer,
        nullable: false,
        length: None,
    });
    let table = client
        .create_table(
            &bucket.id,
            &NewTable {
                name: "t".into(),
                definition: Some(def),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let good = canonical(&["id", "price", "day", "qty"], &[&["1", "", "", "5"]]);
    import_csv(&client, &table.id, &good).await;
    // New rows would get the empty string in qty, which is not nullable.
    let err = expect_status(
        import_with(
            &client,
            &table.id,
            &Default::default(),
            "id,price\n2,1.00\n",
        )
        .await,
        400,
    );
    assert!(err.error.contains("qty"), "names the column: {}", err.error);
    assert_eq!(export_csv(&client, &table.id).await, good);
}
