//! File storage: uploads, tags, downloads and who may see which file.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use stackport_client::FileUpload;
use stackport_model::api::NewToken;
use stackport_model::FileId;

use crate::helpers::*;

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Bytes of every value, over several blocks.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_is_uploaded_got_downloaded_and_deleted() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let me = client.verify_token().await.unwrap().token;
    let content = binary(300_000);
    let info = client
        .upload_file(
            &FileUpload {
                name: "export.bin".into(),
                tags: strings(&["backup", "daily"]),
                is_permanent: true,
                max_age_days: None,
            },
            content.clone(),
        )
        .await
        .unwrap();
    assert_eq!(info.name, "export.bin");
    assert_eq!(info.size_bytes, content.len() as u64);
    assert_eq!(info.sha256, sha256_hex(&content));
    assert_eq!(info.tags, strings(&["backup", "daily"]));
    assert!(info.is_permanent);
    assert_eq!(info.max_age_days, None);
    assert_eq!(info.expires, None);
    assert_eq!(info.creator_token.as_ref().map(|t| t.id), Some(me.id));

    assert_eq!(client.get_file(info.id).await.unwrap(), info);
    let downloaded = client.download_file(info.id).await.unwrap();
    assert_eq!(downloaded.len(), content.len());
    assert!(downloaded[..] == content[..], "the download differs");
    let streamed: Vec<u8> = client
        .download_file_stream(info.id)
        .await
        .unwrap()
        .try_fold(Vec::new(), |mut acc, chunk| async move {
            acc.extend_from_slice(&chunk);
            Ok(acc)
        })
        .await
        .unwrap();
    assert_eq!(sha256_hex(&streamed), info.sha256);

    client.delete_file(info.id).await.unwrap();
    expect_error(
        client.get_file(info.id).await,
        404,
        "storage.files.notFound",
    );
    expect_error(
        client.download_file(info.id).await,
        404,
        "storage.files.notFound",
    );
    expect_error(
        client.delete_file(info.id).await,
        404,
        "storage.files.notFound",
    );
    assert!(client.list_files(&[], None).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impermanent_file_gets_an_expiry() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let info = client
        .upload_file(
            &FileUpload {
                name: "tmp.csv".into(),
                max_age_days: Some(2),
                ..Default::default()
            },
            b"a,b\n".to_vec(),
        )
        .await
        .unwrap();
    assert!(!info.is_permanent);
    assert_eq!(info.max_age_days, Some(2));
    let expires = info.expires.expect("an impermanent file expires");
    assert_eq!(
        expires.timestamp_micros() - info.created.timestamp_micros(),
        2 * 86_400 * 1_000_000
    );
    let default = client
        .upload_file(
            &FileUpload {
                name: "default.csv".into(),
                ..Default::default()
            },
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(default.max_age_days, Some(15));
    assert_eq!(default.size_bytes, 0);
    assert_eq!(default.sha256, sha256_hex(b""));
    assert!(client.download_file(default.id).await.unwrap().is_empty());
    expect_error(
        client
            .upload_file(
                &FileUpload {
                    name: "both.csv".into(),
                    is_permanent: true,
                    max_age_days: Some(3),
                    ..Default::default()
                },
                Vec::new(),
            )
            .await,
        400,
        "storage.files.invalid",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_listed_by_tag_newest_first() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let upload = |name: &'static str, tags: &'static [&'static str]| {
        let client = client.clone();
        async move {
            client
                .upload_file(
                    &FileUpload {
                        name: name.into(),
                        tags: strings(tags),
                        is_permanent: true,
                        max_age_days: None,
                    },
                    name.as_bytes().to_vec(),
                )
                .await
                .unwrap()
                .id
        }
    };
    let a = upload("a", &["x"]).await;
    let b = upload("b", &["x", "y"]).await;
    let c = upload("c", &["y"]).await;
    let ids = |files: Vec<stackport_model::api::FileInfo>| -> Vec<FileId> {
        files.into_iter().map(|f| f.id).collect()
    };
    assert_eq!(
        ids(client.list_files(&[], None).await.unwrap()),
        vec![c, b, a]
    );
    assert_eq!(
        ids(client.list_files(&["x"], None).await.unwrap()),
        vec![b, a]
    );
    assert_eq!(
        ids(client.list_files(&["y"], None).await.unwrap()),
        vec![c, b]
    );
    assert_eq!(
        ids(client.list_files(&["x", "y"], None).await.unwrap()),
        vec![b]
    );
    assert!(client.list_files(&["z"], None).await.unwrap().is_empty());
    assert_eq!(
        ids(client.list_files(&[], Some(2)).await.unwrap()),
        vec![c, b]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_without_read_all_file_uploads_sees_only_its_own_files() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let masters = master
        .upload_file(
            &FileUpload {
                name: "master.txt".into(),
                tags: strings(&["shared"]),
                is_permanent: true,
                max_age_days: None,
            },
            b"secret".to_vec(),
        )
        .await
        .unwrap();
    let token = master
        .create_token(&NewToken {
            description: "uploader".into(),
            can_read_all_file_uploads: false,
            ..Default::default()
        })
        .await
        .unwrap();
    let uploader = app.client(token.token.as_deref().unwrap());

    assert!(uploader.list_files(&[], None).await.unwrap().is_empty());
    assert!(uploader
        .list_files(&["shared"], None)
        .await
        .unwrap()
        .is_empty());
    expect_error(uploader.get_file(masters.id).await, 403, "accessDenied");
    expect_error(
        uploader.download_file(masters.id).await,
        403,
        "accessDenied",
    );
    expect_error(uploader.delete_file(masters.id).await, 403, "accessDenied");

    // Its own files it sees; the master sees all.
    let own = uploader
        .upload_file(
            &FileUpload {
                name: "own.txt".into(),
                tags: strings(&["shared"]),
                is_permanent: true,
                max_age_days: None,
            },
            b"mine".to_vec(),
        )
        .await
        .unwrap();
    let listed: Vec<_> = uploader
        .list_files(&["shared"], None)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(listed, vec![own.id]);
    assert_eq!(&uploader.download_file(own.id).await.unwrap()[..], b"mine");
    let all: Vec<_> = master
        .list_files(&[], None)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(all, vec![own.id, masters.id]);
    assert_eq!(
        &master.download_file(masters.id).await.unwrap()[..],
        b"secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_another_project_are_404() {
    let app = spawn_app().await;
    let a = app.new_project("A").await;
    let b = app.new_project("B").await;
    let file = b
        .upload_file(
            &FileUpload {
                name: "b.txt".into(),
                is_permanent: true,
                ..Default::default()
            },
            b"b".to_vec(),
        )
        .await
        .unwrap();
    expect_error(a.get_file(file.id).await, 404, "storage.files.notFound");
    expect_error(
        a.download_file(file.id).await,
        404,
        "storage.files.notFound",
    );
    expect_error(a.delete_file(file.id).await, 404, "storage.files.notFound");
    assert!(a.list_files(&[], None).await.unwrap().is_empty());
    assert_eq!(&b.download_file(file.id).await.unwrap()[..], b"b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_names_with_unicode_and_quotes_download() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    for name in [
        "zpráva 😀.csv",
        "with \"quotes\".txt",
        "comma, semicolon; and 'apostrophe'.txt",
    ] {
        let content = format!("content of {name}").into_bytes();
        let info = client
            .upload_file(
                &FileUpload {
                    name: name.into(),
                    is_permanent: true,
                    ..Default::default()
                },
                content.clone(),
            )
            .await
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(info.name, name);
        let downloaded = client
            .download_file(info.id)
            .await
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(&downloaded[..], &content[..], "{name:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_name_with_control_characters_is_refused_or_downloads() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    for name in [
        "control\u{1}char.txt",
        "del\u{7f}char.txt",
        "tab\there.txt",
        "line\nbreak.txt",
    ] {
        let content = b"payload".to_vec();
        let upload = client
            .upload_file(
                &FileUpload {
                    name: name.into(),
                    is_permanent: true,
                    ..Default::default()
                },
                content.clone(),
            )
            .await;
        // Refusing such a name is fine; storing it and failing to serve it is not.
        match upload {
            Err(e) => assert_eq!(e.status(), Some(400), "{name:?}: {e}"),
            Ok(info) => {
                let downloaded = client.download_file(info.id).await.unwrap_or_else(|e| {
                    panic!("{name:?} was stored but cannot be downloaded: {e}")
                });
                assert_eq!(&downloaded[..], &content[..], "{name:?}");
            }
        }
    }
}
