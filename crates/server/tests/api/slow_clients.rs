//! Slow and idle clients hold nothing that other requests need: a stalled upload does not block
//! its project's writer, a stalled body or header is dropped after the idle timeout, and
//! connections past the limit are answered 503 at once.

use std::time::Duration;

use stackport_stack::StackSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Settings with `idle` seconds of body and header idle timeout.
fn settings(idle: u64, max_connections: usize) -> StackSettings {
    let mut s = StackSettings::local_default("127.0.0.1:0");
    s.limits.body_idle_timeout_seconds = idle;
    s.limits.max_connections = max_connections;
    s
}

fn address(app: &TestApp) -> String {
    app.url.trim_start_matches("http://").to_string()
}

/// Sends the headers of an import and a partial row, then nothing more.
async fn stalled_import(app: &TestApp, token: &str, table: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address(app)).await.expect("connects");
    let head = format!(
        "POST /v2/storage/tables/{table}/import HTTP/1.1\r\nhost: {}\r\nx-storageapi-token: {token}\r\n\
         content-type: text/csv\r\ncontent-length: 1000000\r\n\r\nid,v\n1,",
        address(app)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// Everything the server sends until it closes the connection; fails the test instead of
/// hanging when it never does.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection of a stalled client")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

both_backends!(a_stalled_upload_does_not_block_its_projects_other_writes);
async fn a_stalled_upload_does_not_block_its_projects_other_writes(backend: Backend) {
    // A long idle timeout: only spooling the body before the writer lock lets the others pass.
    let app = spawn_app_with_on(backend, settings(600, 4096)).await;
    let (project, client) = app.new_project_full("p").await;
    let stalled_table = bucket_with_table(&client, "a", "t", &["id", "v"], &[]).await;
    let other = create_table(&client, &bucket_id("in.c-a"), "u", &["id", "v"], &[])
        .await
        .id;
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(stalled_import(&app, &project.token, &stalled_table.to_string()).await);
    }
    let bystander = async {
        for i in 0..5 {
            import_incremental(&client, &other, &format!("id,v\n{i},x\n")).await;
            import_incremental(&client, &stalled_table, &format!("id,v\n{i},y\n")).await;
            client.list_tables().await.expect("listing works");
        }
    };
    tokio::time::timeout(Duration::from_secs(60), bystander)
        .await
        .expect("imports into the same project and table go on while uploads stall");
    assert_eq!(client.get_table(&other).await.unwrap().rows_count, 5);
    drop(stalled);
}

both_backends!(a_stalled_body_is_answered_408_naming_the_limit);
async fn a_stalled_body_is_answered_408_naming_the_limit(backend: Backend) {
    let app = spawn_app_with_on(backend, settings(1, 4096)).await;
    let (project, client) = app.new_project_full("p").await;
    let t = bucket_with_table(&client, "a", "t", &["id", "v"], &[]).await;
    import_csv(&client, &t, "id,v\n9,kept\n").await;
    let before = client.table_fingerprint(&t).await.expect("a fingerprint");
    let mut stream = stalled_import(&app, &project.token, &t.to_string()).await;
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("limits.bodyIdleTimeoutSeconds"), "{answer}");
    // The rows are compared by fingerprint, not by an export: with this stack's one-second
    // idle limit, a streamed export on a loaded machine can itself be cut off as idle.
    let after = client.table_fingerprint(&t).await.expect("a fingerprint");
    assert_eq!((after.rows_count, &after.hash), (1, &before.hash));

    // A JSON body that stalls likewise.
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    let head = format!(
        "POST /v2/storage/buckets HTTP/1.1\r\nhost: x\r\nx-storageapi-token: {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"name\":",
        project.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let app = spawn_app_with(settings(1, 4096)).await;
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    stream
        .write_all(b"GET /v2/storage HTTP/1.1\r\nhost: x\r\nx-storage")
        .await
        .unwrap();
    read_until_closed(&mut stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_are_answered_503_at_once() {
    let app = spawn_app_with(settings(600, 3)).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(address(&app)).await.unwrap());
    }
    // The server takes connections in the order they came: these three hold every slot.
    let body = expect_status(app.manage.list_projects().await, 503);
    assert_eq!(body.code, "stack.overloaded");
    assert!(
        body.error.contains("limits.maxConnections"),
        "{}",
        body.error
    );
    drop(idle);
    // The slots come back once those clients go.
    let mut served = false;
    for _ in 0..100 {
        if app.manage.list_projects().await.is_ok() {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "the stack serves again once the idle clients left");
}
