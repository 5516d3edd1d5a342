//! Aliases: read-through views of a table, optionally filtered or with fewer columns.

use stackport_client::ImportParams;
use stackport_model::api::{ColumnFilter, FilterOperator, NewAlias, Table};
use stackport_model::{Stage, TableId};

use crate::helpers::*;

fn alias(source: &TableId, name: &str) -> NewAlias {
    NewAlias {
        source_table: source.clone(),
        name: name.into(),
        alias_filter: None,
        alias_columns: Vec::new(),
    }
}

fn country_filter(values: &[&str]) -> ColumnFilter {
    ColumnFilter {
        column: col("country"),
        operator: FilterOperator::Eq,
        values: strings(values),
    }
}

const HEADER: &[&str] = &["id", "country", "amount"];

/// A project with `in.c-src.orders` holding five rows, and an `out.c-views` bucket.
async fn setup(client: &stackport_client::Client) -> TableId {
    let t = bucket_with_table(client, "src", "orders", HEADER, &["id"]).await;
    import_csv(
        client,
        &t,
        "id,country,amount\n1,CZ,10\n2,DE,20\n3,CZ,30\n4,SK,40\n5,CZ,50\n",
    )
    .await;
    create_bucket(client, Stage::Out, "views").await;
    t
}

async fn create(client: &stackport_client::Client, new: &NewAlias) -> Table {
    client
        .create_alias(&bucket_id("out.c-views"), new)
        .await
        .expect("the alias is created")
}

both_backends!(filtered_alias_shows_and_counts_only_matching_rows);
async fn filtered_alias_shows_and_counts_only_matching_rows(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let source = setup(&client).await;
    let a = create(
        &client,
        &NewAlias {
            alias_filter: Some(country_filter(&["CZ"])),
            ..alias(&source, "czech")
        },
    )
    .await;
    assert_eq!(a.id, table_id("out.c-views.czech"));
    assert!(a.is_alias);
    assert_eq!(a.source_table, Some(source.clone()));
    assert_eq!(a.alias_filter, Some(country_filter(&["CZ"])));
    assert_eq!(a.alias_columns_auto_sync, Some(true));
    assert_eq!(a.columns, cols(HEADER));
    assert_eq!(a.rows_count, 3);

    let czech: &[&[&str]] = &[&["1", "CZ", "10"], &["3", "CZ", "30"], &["5", "CZ", "50"]];
    assert_eq!(export_csv(&client, &a.id).await, canonical(HEADER, czech));
    assert_eq!(client.get_table(&a.id).await.unwrap().rows_count, 3);

    // The alias follows its source.
    import_incremental(&client, &source, "id,country,amount\n6,CZ,60\n7,AT,70\n").await;
    assert_eq!(client.get_table(&a.id).await.unwrap().rows_count, 4);
    assert_eq!(client.get_table(&source).await.unwrap().rows_count, 7);
    // Export filters combine with the alias's own.
    let exported = export_with(
        &client,
        &a.id,
        &stackport_client::ExportParams {
            where_filters: vec![ColumnFilter {
                column: col("amount"),
                operator: FilterOperator::Ne,
                values: strings(&["10", "30"]),
            }],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        exported,
        canonical(HEADER, &[&["5", "CZ", "50"], &["6", "CZ", "60"]])
    );
    // Aliases hold no rows of their own: the bucket counts only its tables.
    assert_eq!(
        client
            .get_bucket(&bucket_id("out.c-views"))
            .await
            .unwrap()
            .rows_count,
        0
    );
}

both_backends!(alias_of_an_alias_is_refused);
async fn alias_of_an_alias_is_refused(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let source = setup(&client).await;
    let first = create(&client, &alias(&source, "first")).await;
    expect_error(
        client
            .create_alias(&bucket_id("out.c-views"), &alias(&first.id, "second"))
            .await,
        400,
        "storage.tables.aliasOfAlias",
    );
    expect_error(
        client.get_table(&table_id("out.c-views.second")).await,
        404,
        "storage.tables.notFound",
    );
}

both_backends!(table_with_aliases_cannot_be_deleted);
async fn table_with_aliases_cannot_be_deleted(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let source = setup(&client).await;
    let a = create(&client, &alias(&source, "view")).await;
    let err = expect_error(
        client.delete_table(&source).await,
        400,
        "storage.tables.hasAliases",
    );
    assert!(err.error.contains("out.c-views.view"), "{}", err.error);
    assert_eq!(client.get_table(&source).await.unwrap().rows_count, 5);

    // Deleting the alias first frees the table.
    client.delete_table(&a.id).await.unwrap();
    expect_error(
        client.get_table(&a.id).await,
        404,
        "storage.tables.notFound",
    );
    assert_eq!(client.get_table(&source).await.unwrap().rows_count, 5);
    client.delete_table(&source).await.unwrap();
    expect_error(
        client.get_table(&source).await,
        404,
        "storage.tables.notFound",
    );
}

both_backends!(import_into_an_alias_is_refused);
async fn import_into_an_alias_is_refused(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let source = setup(&client).await;
    let a = create(&client, &alias(&source, "view")).await;
    let before = export_csv(&client, &source).await;
    for incremental in [false, true] {
        expect_error(
            import_with(
                &client,
                &a.id,
                &ImportParams {
                    incremental,
                    ..Default::default()
                },
                "id,country,amount\n9,PL,90\n",
            )
            .await,
            400,
            "storage.tables.aliasReadOnly",
        );
    }
    assert_eq!(export_csv(&client, &source).await, before);
    expect_error(
        client.set_primary_key(&a.id, &cols(&["id"])).await,
        400,
        "storage.tables.aliasReadOnly",
    );
}

both_backends!(alias_columns_show_only_those_columns);
async fn alias_columns_show_only_those_columns(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let source = setup(&client).await;
    let a = create(
        &client,
        &NewAlias {
            alias_columns: cols(&["id", "amount"]),
            alias_filter: Some(country_filter(&["CZ", "SK"])),
            ..alias(&source, "slim")
        },
    )
    .await;
    assert_eq!(a.columns, cols(&["id", "amount"]));
    assert_eq!(a.alias_columns_auto_sync, Some(false));
    assert_eq!(a.rows_count, 4);
    assert_eq!(
        export_csv(&client, &a.id).await,
        canonical(
            &["id", "amount"],
            &[&["1", "10"], &["3", "30"], &["4", "40"], &["5", "50"]]
        )
    );
    // A column the alias does not show cannot be exported through it.
    expect_error(
        client
            .export_table(
                &a.id,
                &stackport_client::ExportParams {
                    columns: Some(strings(&["country"])),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.tables.columnNotFound",
    );
    // Nor named when the alias is made.
    expect_error(
        client
            .create_alias(
                &bucket_id("out.c-views"),
                &NewAlias {
                    alias_columns: cols(&["id", "missing"]),
                    ..alias(&source, "bad")
                },
            )
            .await,
        400,
        "storage.tables.columnNotFound",
    );
    // A column the alias uses cannot be removed from the source.
    expect_error(
        client.delete_column(&source, &col("amount")).await,
        400,
        "storage.tables.columnUsedByAlias",
    );
}

both_backends!(alias_without_columns_follows_new_source_columns);
async fn alias_without_columns_follows_new_source_columns(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let source = setup(&client).await;
    let a = create(&client, &alias(&source, "all")).await;
    client
        .add_column(
            &source,
            &stackport_model::api::NewColumn {
                name: col("note"),
                definition: None,
            },
        )
        .await
        .unwrap();
    import_incremental(&client, &source, "id,note\n2,hello\n").await;
    let got = client.get_table(&a.id).await.unwrap();
    assert_eq!(got.columns, cols(&["id", "country", "amount", "note"]));
    let listed = client
        .list_bucket_tables(&bucket_id("out.c-views"))
        .await
        .unwrap();
    assert_eq!(listed[0].columns, got.columns);
    assert_eq!(
        export_csv(&client, &a.id).await,
        export_csv(&client, &source).await
    );
    assert!(export_csv(&client, &a.id)
        .await
        .contains("\"2\",\"DE\",\"20\",\"hello\"\n"));
}

both_backends!(bucket_whose_table_is_read_by_an_alias_elsewhere_cannot_be_deleted);
async fn bucket_whose_table_is_read_by_an_alias_elsewhere_cannot_be_deleted(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let source = setup(&client).await;
    let a = create(&client, &alias(&source, "view")).await;
    let err = expect_error(
        client.delete_bucket(source.bucket(), true).await,
        400,
        "storage.buckets.hasAliases",
    );
    assert!(err.error.contains(&a.id.to_string()), "{}", err.error);
    assert_eq!(client.get_table(&source).await.unwrap().rows_count, 5);
    assert_eq!(client.get_table(&a.id).await.unwrap().rows_count, 5);
    // Deleting the alias's bucket (with the alias) is fine, and then the source's.
    client
        .delete_bucket(&bucket_id("out.c-views"), true)
        .await
        .unwrap();
    client.delete_bucket(source.bucket(), true).await.unwrap();
    assert!(client.list_tables().await.unwrap().is_empty());
}
