//! Files through the stack's own Azure Blob endpoint: `files/prepare`, Put Blob, Put Block and
//! Put Block List, Get Blob (whole and ranged), Get Blob Properties, and the signatures that
//! are the only access to them.

use std::sync::Arc;

use stackport_client::Client;
use stackport_model::api::query::{FileListQuery, TagQuery};
use stackport_model::api::{FileResource, PrepareFile};
use stackport_stack::settings::StackSettings;
use stackport_stack::ManualClock;

use crate::helpers::*;

fn prepare(name: &str) -> PrepareFile {
    PrepareFile {
        name: name.into(),
        ..Default::default()
    }
}

/// Bytes of every value.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

/// A signed URL of `file` for its blob, with `extra` query parameters after the signature.
fn with_query(url: &str, extra: &str) -> String {
    format!("{url}&{extra}")
}

async fn put_blob(url: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .put(url)
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The Azure error code of an XML error answer, checked against its `x-ms-error-code`.
async fn azure_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status);
    let header = response
        .headers()
        .get("x-ms-error-code")
        .expect("an Azure error names its code in x-ms-error-code")
        .to_str()
        .unwrap()
        .to_string();
    let body = response.text().await.unwrap();
    assert!(
        body.contains(&format!("<Error><Code>{header}</Code><Message>")),
        "{body}"
    );
    format!("{header}: {body}")
}

async fn uploaded(client: &Client, name: &str, content: &[u8]) -> FileResource {
    let prepared = client.prepare_file(&prepare(name)).await.unwrap();
    client
        .upload_prepared(&prepared, content.to_vec())
        .await
        .unwrap();
    client.file_resource(prepared.file.id, true).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_file_is_uploaded_with_put_blob_and_read_back_signed() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let mut new = prepare("data.csv");
    new.tags = strings(&["a", "b"]);
    new.is_permanent = true;
    let prepared = client.prepare_file(&new).await.unwrap();
    assert_eq!(prepared.provider, "azure");
    let params = prepared.abs_upload_params.clone().expect("absUploadParams");
    let connection = &params.abs_credentials.sas_connection_string;
    assert!(
        connection.starts_with(&format!(
            "BlobEndpoint={}/blob;SharedAccessSignature=",
            app.url
        )),
        "{connection}"
    );
    assert_eq!(params.blob_name, format!("{}/data.csv", prepared.file.id));
    assert_eq!(params.container, prepared.abs_path.container);

    // Until its bytes arrive it is not a file anyone reads or lists.
    expect_status(client.file_resource(prepared.file.id, false).await, 404);
    assert!(client.list_files(&[], None).await.unwrap().is_empty());

    let content = binary(300_001);
    let put = put_blob(&prepared.url, content.clone()).await;
    assert_eq!(put.status().as_u16(), 201);
    assert!(put.headers().contains_key("etag"));
    assert!(put.headers().contains_key("last-modified"));

    let detail = client.file_resource(prepared.file.id, true).await.unwrap();
    assert_eq!(detail.file.size_bytes, 300_001);
    assert_eq!(detail.file.tags, strings(&["a", "b"]));
    assert!(detail.file.is_permanent && detail.file.expires.is_none());
    assert!(!detail.file.is_sliced);
    assert_eq!(detail.region, "local");
    assert!(detail.abs_credentials.is_some());
    let plain = client.file_resource(prepared.file.id, false).await.unwrap();
    assert!(
        plain.abs_credentials.is_none(),
        "absCredentials only when asked"
    );
    let got = reqwest::get(&detail.url).await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.headers()["x-ms-blob-type"], "BlockBlob");
    assert_eq!(got.bytes().await.unwrap().to_vec(), content);
    // The Storage API's own download reads the same bytes.
    assert_eq!(client.list_files(&[], None).await.unwrap().len(), 1);

    // A file's bytes are written once.
    let again = put_blob(&prepared.url, b"other".to_vec()).await;
    let code = azure_error(again, 409).await;
    assert!(code.starts_with("BlobAlreadyExists"), "{code}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_make_the_blob_in_the_order_of_the_block_list() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let prepared = client.prepare_file(&prepare("blocks.bin")).await.unwrap();
    let http = reqwest::Client::new();
    let blocks = [
        ("QUFB", binary(70_000)),
        ("QkJC", b"second".to_vec()),
        ("Q0ND", binary(5)),
    ];
    // Sent out of order, and one sent twice: the last one counts.
    for (id, body) in [&blocks[2], &blocks[0], &blocks[1]]
        .into_iter()
        .chain([&("QUFB", b"replaced".to_vec())])
    {
        let put = http
            .put(with_query(
                &prepared.url,
                &format!("comp=block&blockid={id}"),
            ))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status().as_u16(), 201, "{id}");
    }
    expect_status(client.file_resource(prepared.file.id, false).await, 404);

    let list = |ids: &[&str]| {
        let mut xml = String::from("<?xml version='1.0' encoding='utf-8'?>\n<BlockList>");
        for id in ids {
            xml.push_str(&format!("<Latest>{id}</Latest>"));
        }
        xml + "</BlockList>"
    };
    let unknown = http
        .put(with_query(&prepared.url, "comp=blocklist"))
        .body(list(&["QUFB", "WFhY"]))
        .send()
        .await
        .unwrap();
    let code = azure_error(unknown, 400).await;
    assert!(
        code.starts_with("InvalidBlockList") && code.contains("WFhY"),
        "{code}"
    );

    let commit = http
        .put(with_query(&prepared.url, "comp=blocklist"))
        .body(list(&["QUFB", "QkJC", "Q0ND"]))
        .send()
        .await
        .unwrap();
    assert_eq!(commit.status().as_u16(), 201);
    let mut expected = b"replaced".to_vec();
    expected.extend_from_slice(b"second");
    expected.extend_from_slice(&binary(5));
    let detail = client.file_resource(prepared.file.id, false).await.unwrap();
    assert_eq!(detail.file.size_bytes, expected.len() as u64);
    let got = client.download_signed(&detail).await.unwrap();
    assert_eq!(got.bytes().await.unwrap().to_vec(), expected);

    let bad_id = http
        .put(with_query(&prepared.url, "comp=block&blockid=%21%21"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(azure_error(bad_id, 400).await.contains("blockid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_blob_reads_ranges_and_head_reads_properties() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let content = binary(100_000);
    let file = uploaded(&client, "r.bin", &content).await;
    let http = reqwest::Client::new();
    for (header, range, from, to) in [
        ("x-ms-range", "bytes=0-99", 0, 99),
        ("Range", "bytes=99000-", 99_000, 99_999),
        ("x-ms-range", "bytes=99990-200000", 99_990, 99_999),
    ] {
        let got = http
            .get(&file.url)
            .header(header, range)
            .send()
            .await
            .unwrap();
        assert_eq!(got.status().as_u16(), 206, "{range}");
        assert_eq!(
            got.headers()["content-range"],
            format!("bytes {from}-{to}/100000").as_str()
        );
        assert_eq!(got.bytes().await.unwrap().to_vec(), content[from..=to]);
    }
    let past = http
        .get(&file.url)
        .header("x-ms-range", "bytes=100000-")
        .send()
        .await
        .unwrap();
    assert!(azure_error(past, 416).await.starts_with("InvalidRange"));

    let head = http.head(&file.url).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.headers()["content-length"], "100000");
    assert_eq!(head.headers()["x-ms-blob-type"], "BlockBlob");
    assert!(head.headers().contains_key("etag"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_opens_its_own_file_only_and_only_its_way() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let other_project = app.new_project("q").await;
    let a = uploaded(&client, "a.bin", b"aaa").await;
    let b = uploaded(&client, "b.bin", b"bbb").await;
    let theirs = uploaded(&other_project, "c.bin", b"ccc").await;
    let sig = |url: &str| url.split_once('?').unwrap().1.to_string();
    let blob_url = |f: &FileResource| f.url.split_once('?').unwrap().0.to_string();

    // a's signature on b's blob, and on another project's blob.
    for target in [&b, &theirs] {
        let got = reqwest::get(format!("{}?{}", blob_url(target), sig(&a.url)))
            .await
            .unwrap();
        let code = azure_error(got, 403).await;
        assert!(code.starts_with("AuthenticationFailed"), "{code}");
    }
    // A signature for another file id, made by editing it, does not match.
    let forged = a.url.replace(
        &format!("si={}.{}", "1", a.file.id),
        &format!("si={}.{}", "1", b.file.id),
    );
    assert_ne!(forged, a.url);
    let got = reqwest::get(forged.replace(&blob_url(&a), &blob_url(&b)))
        .await
        .unwrap();
    assert!(azure_error(got, 403).await.contains("does not match"));
    // No signature at all.
    let got = reqwest::get(blob_url(&a)).await.unwrap();
    assert!(azure_error(got, 403)
        .await
        .starts_with("AuthenticationFailed"));

    // A read signature does not write; an upload signature does not read.
    let put = put_blob(&a.url, b"x".to_vec()).await;
    assert!(azure_error(put, 403)
        .await
        .starts_with("AuthorizationPermissionMismatch"));
    let prepared = client.prepare_file(&prepare("d.bin")).await.unwrap();
    let got = reqwest::get(&prepared.url).await.unwrap();
    assert!(azure_error(got, 403)
        .await
        .starts_with("AuthorizationPermissionMismatch"));
    // The upload signature writes only its own blob name.
    let elsewhere = prepared.url.replace("/d.bin?", "/e.bin?");
    assert!(azure_error(put_blob(&elsewhere, b"x".to_vec()).await, 404)
        .await
        .starts_with("BlobNotFound"));
    assert_eq!(
        reqwest::get(&a.url).await.unwrap().bytes().await.unwrap(),
        "aaa"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_signature_is_refused_and_a_fresh_detail_signs_anew() {
    let clock = Arc::new(ManualClock::at(1_800_000_000_000_000));
    let app = spawn_app_with_clock(clock.clone()).await;
    let client = app.new_project("p").await;
    let read = uploaded(&client, "r.bin", b"read").await;
    let prepared = client.prepare_file(&prepare("late.bin")).await.unwrap();
    clock.advance_seconds(13 * 3600);
    for got in [
        reqwest::get(&read.url).await.unwrap(),
        put_blob(&prepared.url, b"late".to_vec()).await,
    ] {
        let code = azure_error(got, 403).await;
        assert!(
            code.starts_with("AuthenticationFailed") && code.contains("expired"),
            "{code}"
        );
    }
    // A fresh detail signs anew.
    let fresh = client.file_resource(read.file.id, false).await.unwrap();
    assert_eq!(
        reqwest::get(&fresh.url)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        "read"
    );
    expect_status(client.file_resource(prepared.file.id, false).await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_size_limit_is_enforced_while_streaming_and_leaves_the_file_prepared() {
    let mut settings = StackSettings::local_default("127.0.0.1:0");
    settings.limits.max_file_bytes = 1000;
    let app = spawn_app_with(settings).await;
    let client = app.new_project("p").await;
    let mut big = prepare("big.bin");
    big.size_bytes = Some(1001);
    let refused = expect_status(client.prepare_file(&big).await, 413);
    assert!(refused.error.contains("maxFileBytes"), "{}", refused.error);

    let prepared = client.prepare_file(&prepare("f.bin")).await.unwrap();
    let code = azure_error(put_blob(&prepared.url, binary(1001)).await, 413).await;
    assert!(code.starts_with("RequestBodyTooLarge"), "{code}");
    expect_status(client.file_resource(prepared.file.id, false).await, 404);
    assert_eq!(
        put_blob(&prepared.url, binary(1000))
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(
        client
            .file_resource(prepared.file.id, false)
            .await
            .unwrap()
            .file
            .size_bytes,
        1000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sliced_file_is_its_parts_in_the_order_of_its_manifest() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let mut new = prepare("s.csv");
    new.is_sliced = true;
    let prepared = client.prepare_file(&new).await.unwrap();
    let params = prepared.abs_upload_params.clone().unwrap();
    let base = prepared.url.split_once('?').unwrap();
    let base = (base.0.trim_end_matches("manifest"), base.1);
    assert!(prepared.url.contains("/s.csvmanifest?"), "{}", prepared.url);
    let part_url = |part: &str| format!("{}{part}?{}", base.0, base.1);
    for (part, body) in [
        ("part_2", "3,4\n"),
        ("part_1", "1,2\n"),
        ("part_x", "unused\n"),
    ] {
        assert_eq!(
            put_blob(&part_url(part), body.into())
                .await
                .status()
                .as_u16(),
            201
        );
    }
    expect_status(client.file_resource(prepared.file.id, false).await, 404);
    let entry = |part: &str| {
        format!(
            r#"{{"url": "https://{}.blob.core.windows.net/{}/{}{part}"}}"#,
            params.account_name, params.container, params.blob_name
        )
    };
    let unknown = format!(r#"{{"entries": [{}]}}"#, entry("part_9"));
    let code = azure_error(put_blob(&part_url("manifest"), unknown.into()).await, 400).await;
    assert!(code.contains("part_9"), "{code}");
    let manifest = format!(
        r#"{{"entries": [{}, {}]}}"#,
        entry("part_1"),
        entry("part_2")
    );
    assert_eq!(
        put_blob(&part_url("manifest"), manifest.into())
            .await
            .status()
            .as_u16(),
        201
    );

    let detail = client.file_resource(prepared.file.id, true).await.unwrap();
    assert!(detail.file.is_sliced);
    assert_eq!(detail.file.size_bytes, 8);
    // Its url is the manifest's; each entry's url names a part the way kbcstorage splits it.
    let listed: serde_json::Value = reqwest::get(&detail.url)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let urls: Vec<&str> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    let read = |url: &str| {
        let sig = detail.url.split_once('?').unwrap().1.to_string();
        let blob = url
            .split(&format!(
                "blob.core.windows.net/{}/",
                detail.abs_path.container
            ))
            .nth(1)
            .unwrap()
            .to_string();
        let at = format!(
            "{}/blob/{}/{blob}?{sig}",
            app.url, detail.abs_path.container
        );
        async move { reqwest::get(at).await.unwrap().text().await.unwrap() }
    };
    assert_eq!(urls.len(), 2);
    assert_eq!(read(urls[0]).await, "1,2\n");
    assert_eq!(read(urls[1]).await, "3,4\n");
    // The file's content is the parts in order: what the Storage API's download reads.
    let whole = detail.url.replace("manifest?", "?");
    assert_eq!(
        reqwest::get(whole).await.unwrap().text().await.unwrap(),
        "1,2\n3,4\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_files_are_not_supported() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let mut public = prepare("s.csv");
    public.is_public = true;
    let err = expect_status(client.prepare_file(&public).await, 501);
    assert_eq!(err.code, "storage.files.publicNotSupported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_honours_q_since_id_and_max_id() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let mut ids = Vec::new();
    for (name, tags) in [
        ("1", vec!["a"]),
        ("2", vec!["a", "b"]),
        ("3", vec!["b"]),
        ("4", vec!["a", "b"]),
    ] {
        let mut new = prepare(name);
        new.tags = strings(&tags);
        let prepared = client.prepare_file(&new).await.unwrap();
        client
            .upload_prepared(&prepared, name.to_string())
            .await
            .unwrap();
        ids.push(prepared.file.id);
    }
    let names =
        |files: Vec<FileResource>| files.into_iter().map(|f| f.file.name).collect::<Vec<_>>();
    let list = |q: FileListQuery| {
        let client = client.clone();
        async move { names(client.list_file_resources(&q).await.unwrap()) }
    };
    assert_eq!(
        list(FileListQuery {
            q: Some(TagQuery(strings(&["a", "b"]))),
            ..Default::default()
        })
        .await,
        strings(&["4", "2"])
    );
    assert_eq!(
        list(FileListQuery {
            since_id: Some(ids[1].0),
            ..Default::default()
        })
        .await,
        strings(&["4", "3"])
    );
    assert_eq!(
        list(FileListQuery {
            max_id: Some(ids[2].0),
            since_id: Some(ids[0].0),
            ..Default::default()
        })
        .await,
        strings(&["2"])
    );
    let bad = reqwest::Client::new()
        .get(format!("{}/v2/storage/files", app.url))
        .query(&[("q", "name:x")])
        .header("X-StorageApi-Token", &created.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let body = bad.text().await.unwrap();
    assert!(
        body.contains("query parameter q") && body.contains("tags:"),
        "{body}"
    );
}
