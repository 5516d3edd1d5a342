//! Metadata of buckets, tables and columns: unique per provider and key.

use std::collections::BTreeMap;

use stackport_model::api::{MetadataEntry, MetadataKeyValue, MetadataWrite};
use stackport_model::{MetadataId, Stage};

use crate::helpers::*;

fn kv(key: &str, value: &str) -> MetadataKeyValue {
    MetadataKeyValue {
        key: key.into(),
        value: value.into(),
    }
}

fn write(provider: &str, entries: &[(&str, &str)]) -> MetadataWrite {
    MetadataWrite {
        provider: provider.into(),
        metadata: entries.iter().map(|(k, v)| kv(k, v)).collect(),
        columns_metadata: BTreeMap::new(),
    }
}

/// (provider, key, value) of each entry, in order.
fn triples(entries: &[MetadataEntry]) -> Vec<(String, String, String)> {
    entries
        .iter()
        .map(|e| (e.provider.clone(), e.key.clone(), e.value.clone()))
        .collect()
}

fn triple(provider: &str, key: &str, value: &str) -> (String, String, String) {
    (provider.into(), key.into(), value.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_and_column_metadata_are_written_and_read() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "m", "t", &["id", "název"], &[]).await;
    let written = client
        .write_table_metadata(
            &t,
            &MetadataWrite {
                columns_metadata: BTreeMap::from([
                    ("id".to_string(), vec![kv("KBC.description", "the key")]),
                    ("název".to_string(), vec![kv("KBC.description", "jméno")]),
                ]),
                ..write(
                    "user",
                    &[("KBC.description", "Orders"), ("owner", "data team")],
                )
            },
        )
        .await
        .unwrap();
    assert_eq!(
        triples(&written),
        vec![
            triple("user", "KBC.description", "Orders"),
            triple("user", "owner", "data team"),
        ]
    );
    assert_eq!(
        triples(&client.table_metadata(&t).await.unwrap()),
        triples(&written)
    );
    assert_eq!(
        triples(&client.column_metadata(&t, &col("název")).await.unwrap()),
        vec![triple("user", "KBC.description", "jméno")]
    );

    let table = client.get_table(&t).await.unwrap();
    assert_eq!(triples(table.metadata.as_ref().unwrap()), triples(&written));
    let columns = table.column_metadata.unwrap();
    assert_eq!(
        triples(&columns["id"]),
        vec![triple("user", "KBC.description", "the key")]
    );
    assert_eq!(
        triples(&columns["název"]),
        vec![triple("user", "KBC.description", "jméno")]
    );

    // The listing of all tables carries the same.
    let listed = client.list_tables().await.unwrap();
    assert_eq!(
        triples(listed[0].metadata.as_ref().unwrap()),
        triples(&written)
    );

    // A column the table lacks is refused, and nothing of that write is kept.
    expect_error(
        client
            .write_table_metadata(
                &t,
                &MetadataWrite {
                    columns_metadata: BTreeMap::from([("missing".to_string(), vec![kv("k", "v")])]),
                    ..write("user", &[("partial", "no")])
                },
            )
            .await,
        400,
        "storage.tables.columnNotFound",
    );
    assert_eq!(
        triples(&client.table_metadata(&t).await.unwrap()),
        triples(&written)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_the_same_provider_and_key_updates_the_value() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "m", "t", &["id"], &[]).await;
    let first = client
        .write_table_metadata(&t, &write("user", &[("color", "red")]))
        .await
        .unwrap();
    let second = client
        .write_table_metadata(&t, &write("user", &[("color", "blue")]))
        .await
        .unwrap();
    assert_eq!(second.len(), 1, "no duplicate entry: {second:?}");
    assert_eq!(second[0].id, first[0].id, "the same entry is updated");
    assert_eq!(second[0].value, "blue");
    // Another provider has its own entry under the same key.
    let third = client
        .write_table_metadata(&t, &write("keboola.ex-db", &[("color", "green")]))
        .await
        .unwrap();
    assert_eq!(
        triples(&third),
        vec![
            triple("user", "color", "blue"),
            triple("keboola.ex-db", "color", "green"),
        ]
    );
    assert_eq!(
        triples(&client.table_metadata(&t).await.unwrap()),
        triples(&third)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_provider_cannot_be_written() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "m", "t", &["id"], &[]).await;
    expect_error(
        client
            .write_table_metadata(
                &t,
                &write("storage", &[("KBC.datatype.basetype", "INTEGER")]),
            )
            .await,
        400,
        "storage.metadata.readOnlyProvider",
    );
    expect_error(
        client
            .write_bucket_metadata(t.bucket(), &write("storage", &[("x", "y")]))
            .await,
        400,
        "storage.metadata.readOnlyProvider",
    );
    assert!(client.table_metadata(&t).await.unwrap().is_empty());
    assert!(client.bucket_metadata(t.bucket()).await.unwrap().is_empty());
    expect_error(
        client
            .write_table_metadata(&t, &write("", &[("x", "y")]))
            .await,
        400,
        "storage.metadata.invalidProvider",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_entry_is_deleted() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "m", "t", &["id"], &[]).await;
    let entries = client
        .write_table_metadata(&t, &write("user", &[("a", "1"), ("b", "2")]))
        .await
        .unwrap();
    let a = entries.iter().find(|e| e.key == "a").unwrap().id;
    client.delete_table_metadata(&t, a).await.unwrap();
    assert_eq!(
        triples(&client.table_metadata(&t).await.unwrap()),
        vec![triple("user", "b", "2")]
    );
    expect_error(
        client.delete_table_metadata(&t, a).await,
        404,
        "storage.metadata.notFound",
    );
    expect_error(
        client.delete_table_metadata(&t, MetadataId(999_999)).await,
        404,
        "storage.metadata.notFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_metadata_is_written_deleted_and_listed_with_include() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let b = create_bucket(&client, Stage::In, "meta").await;
    let other = create_bucket(&client, Stage::Out, "plain").await;
    let written = client
        .write_bucket_metadata(
            &b.id,
            &write("user", &[("KBC.description", "Raw data"), ("tier", "gold")]),
        )
        .await
        .unwrap();
    assert_eq!(
        triples(&written),
        vec![
            triple("user", "KBC.description", "Raw data"),
            triple("user", "tier", "gold"),
        ]
    );
    assert_eq!(
        triples(&client.bucket_metadata(&b.id).await.unwrap()),
        triples(&written)
    );
    assert_eq!(
        triples(
            client
                .get_bucket(&b.id)
                .await
                .unwrap()
                .metadata
                .as_ref()
                .unwrap()
        ),
        triples(&written)
    );

    let with = client.list_buckets(true).await.unwrap();
    let find = |id| with.iter().find(|x| &x.id == id).unwrap();
    assert_eq!(
        triples(find(&b.id).metadata.as_ref().unwrap()),
        triples(&written)
    );
    assert_eq!(find(&other.id).metadata.as_deref(), Some(&[][..]));
    let without = client.list_buckets(false).await.unwrap();
    assert!(without.iter().all(|x| x.metadata.is_none()));

    let tier = written.iter().find(|e| e.key == "tier").unwrap().id;
    client.delete_bucket_metadata(&b.id, tier).await.unwrap();
    assert_eq!(
        triples(&client.bucket_metadata(&b.id).await.unwrap()),
        vec![triple("user", "KBC.description", "Raw data")]
    );
    // An entry of one object cannot be deleted through another.
    let description = written[0].id;
    expect_error(
        client.delete_bucket_metadata(&other.id, description).await,
        404,
        "storage.metadata.notFound",
    );
    // columnsMetadata only belongs on tables.
    expect_error(
        client
            .write_bucket_metadata(
                &b.id,
                &MetadataWrite {
                    columns_metadata: BTreeMap::from([("id".to_string(), vec![kv("k", "v")])]),
                    ..write("user", &[])
                },
            )
            .await,
        400,
        "storage.metadata.columnsOnlyForTables",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_column_metadata_is_not_table_metadata() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let b = create_bucket(&client, Stage::In, "typed").await;
    let table = client
        .create_table(
            &b.id,
            &stackport_model::api::NewTable {
                name: "t".into(),
                definition: Some(stackport_model::api::TableDefinition {
                    columns: vec![stackport_model::api::ColumnDefinition {
                        name: col("n"),
                        basetype: stackport_model::api::BaseType::Integer,
                        nullable: true,
                        length: None,
                    }],
                    primary_keys_names: Vec::new(),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let entries = client.column_metadata(&table.id, &col("n")).await.unwrap();
    assert!(entries.iter().any(|e| e.provider == "storage"));
    // Column entries are not the table's; the table has none of its own.
    assert!(client.table_metadata(&table.id).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_keys_and_values_have_size_limits() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "m", "t", &["id"], &[]).await;
    let longest_key = "k".repeat(255);
    let largest_value = "v".repeat(64 * 1024);
    let written = client
        .write_table_metadata(&t, &write("user", &[(&longest_key, &largest_value)]))
        .await
        .unwrap();
    assert_eq!(written[0].value.len(), 64 * 1024);
    expect_error(
        client
            .write_table_metadata(&t, &write("user", &[(&"k".repeat(256), "v")]))
            .await,
        400,
        "storage.metadata.invalidKey",
    );
    expect_error(
        client
            .write_table_metadata(&t, &write("user", &[("", "v")]))
            .await,
        400,
        "storage.metadata.invalidKey",
    );
    expect_error(
        client
            .write_table_metadata(&t, &write("user", &[("big", &"v".repeat(64 * 1024 + 1))]))
            .await,
        413,
        "storage.metadata.valueTooLarge",
    );
    expect_error(
        client.write_table_metadata(&t, &write("user", &[])).await,
        400,
        "storage.metadata.empty",
    );
    assert_eq!(
        triples(&client.table_metadata(&t).await.unwrap()),
        triples(&written)
    );
}
