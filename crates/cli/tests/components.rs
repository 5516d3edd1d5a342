//! The component programs shipped with stackport, run by a real stack's jobs through the common
//! interface: the program gets its decrypted secret and nothing on disk keeps it afterwards.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use stackport_client::Client;
use stackport_demo::{create_empty_project, eu_central_settings, EmbeddedStack};
use stackport_model::api::{Job, JobStatus, NewConfiguration, NewJob, RawJson, Runner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "s3cret-token-5f2c9a7e41";
const CSV: &str = "id,name\n1,Alice\n2,Bob\n";

mod common;
use common::temp;

/// A one-file HTTP server: answers `CSV` to a request bearing `SECRET`, 401 otherwise, and
/// keeps the Authorization headers it saw.
async fn csv_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/orders.csv", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let auth = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("authorization: ")
                            .or_else(|| l.strip_prefix("Authorization: "))
                    })
                    .unwrap_or("")
                    .to_string();
                log.lock().unwrap().push(auth.clone());
                let response = if auth == format!("Bearer {SECRET}") {
                    format!("HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{CSV}", CSV.len())
                } else {
                    "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        .to_string()
                };
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// A stack of the demo's settings whose components may reach `allow` (`network.outboundAllow`).
async fn stack_allowing(dir: &Path, allow: &[&str]) -> EmbeddedStack {
    let allow: Vec<String> = allow.iter().map(|a| a.to_string()).collect();
    let stack = EmbeddedStack::start(
        dir,
        move |addr| {
            let mut settings = eu_central_settings(addr);
            settings.network.outbound_allow = allow;
            settings
        },
        "components-manage-token-0123456789abcdef",
    )
    .await
    .unwrap();
    use_this_binary(&stack).await;
    stack
}

/// Points the shipped components at the binary under test.
async fn use_this_binary(stack: &EmbeddedStack) {
    let manage = stack.manage_client();
    let mut components = manage.manage_components().await.unwrap();
    for c in &mut components {
        if let Some(Runner::Program { command, .. }) = &mut c.runner {
            if command.first().map(String::as_str) == Some("{stackport}") {
                command[0] = env!("CARGO_BIN_EXE_stackport").to_string();
            }
        }
    }
    manage.replace_components(&components).await.unwrap();
}

async fn config(client: &Client, component: &str, doc: serde_json::Value) -> String {
    client
        .create_config(
            &component.parse().unwrap(),
            &NewConfiguration {
                name: component.into(),
                configuration: Some(RawJson::from_string(doc.to_string()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .to_string()
}

async fn run(client: &Client, component: &str, config: &str) -> Job {
    let job = client
        .create_job(&NewJob {
            component: component.parse().unwrap(),
            config: config.into(),
            config_row_ids: vec![],
            mode: Default::default(),
        })
        .await
        .unwrap();
    client
        .wait_for_job(job.id, Duration::from_secs(60))
        .await
        .unwrap()
}

/// Every file under `dir` whose bytes contain `needle`. `dir` must exist and hold files: a
/// search of nothing would pass vacuously.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let read = search(entries, needle, &mut found);
    assert!(read > 0, "no file was read under {}", dir.display());
    found
}

/// Adds the files of `entries` (and below) that contain `needle` to `found`; returns how many
/// were read. A directory removed meanwhile (a job's, at its end) is passed over.
fn search(entries: std::fs::ReadDir, needle: &[u8], found: &mut Vec<PathBuf>) -> usize {
    let mut read = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Ok(inner) = std::fs::read_dir(&path) {
                read += search(inner, needle, found);
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            // A file SQLite removed meanwhile (a -wal at checkpoint) simply is not read.
            read += 1;
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(path);
            }
        }
    }
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_run_with_their_secret_which_no_file_keeps() {
    let dir = temp("run");
    // The test's own server listens on loopback, which components may reach only when listed.
    let stack = stack_allowing(&dir.path().join("stack"), &["127.0.0.1"]).await;
    let (project, token) = create_empty_project(&stack, "Components").await.unwrap();
    let client = stack.storage_client(&token);
    let (url, seen) = csv_server().await;

    // The extractor downloads with its secret, which reaches the server decrypted.
    let extractor = config(
        &client,
        "keboola.ex-http",
        json!({"parameters": {"url": url, "#token": SECRET, "table": "orders", "destination": "in.c-http.orders", "primary_key": ["id"]}}),
    )
    .await;
    let job = run(&client, "keboola.ex-http", &extractor).await;
    assert_eq!(job.status, JobStatus::Success, "{}", job.result);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [format!("Bearer {SECRET}")]
    );
    let table = client
        .get_table(&"in.c-http.orders".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(table.rows_count, 2);
    assert_eq!(
        table
            .primary_key
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        ["id"]
    );

    // The writer gets the table as CSV and writes it into the project's export directory.
    let writer = config(
        &client,
        "stackport.wr-csv-file",
        json!({
            "storage": {"input": {"tables": [{"source": "in.c-http.orders", "destination": "orders.csv"}]}},
            "parameters": {"directory": "finance"}
        }),
    )
    .await;
    let job = run(&client, "stackport.wr-csv-file", &writer).await;
    assert_eq!(job.status, JobStatus::Success, "{}", job.result);
    let exports = stack.dir.join("exports").join(project.to_string());
    assert_eq!(
        std::fs::read_to_string(exports.join("finance/orders.csv")).unwrap(),
        "\"id\",\"name\"\n\"1\",\"Alice\"\n\"2\",\"Bob\"\n"
    );
    // A configuration cannot aim it elsewhere: not up, not absolute, not through a symlink.
    std::os::unix::fs::symlink(dir.path(), exports.join("out")).unwrap();
    for directory in ["../", "/tmp", "out"] {
        let escaping = config(
            &client,
            "stackport.wr-csv-file",
            json!({
                "storage": {"input": {"tables": [{"source": "in.c-http.orders", "destination": "master.key"}]}},
                "parameters": {"directory": directory}
            }),
        )
        .await;
        let job = run(&client, "stackport.wr-csv-file", &escaping).await;
        assert_eq!(job.status, JobStatus::Error, "{directory}: {}", job.result);
        assert!(
            job.result["message"]
                .as_str()
                .unwrap()
                .contains("exit code 1"),
            "{}",
            job.result
        );
    }
    assert!(
        !dir.path().join("master.key").exists()
            && !std::path::Path::new("/tmp/master.key").exists()
    );

    // A refused download fails the job as the user's error, with the reason.
    let wrong = config(
        &client,
        "keboola.ex-http",
        json!({"parameters": {"url": url, "#token": "not-the-token"}}),
    )
    .await;
    let job = run(&client, "keboola.ex-http", &wrong).await;
    assert_eq!(job.status, JobStatus::Error);
    let message = job.result["message"].as_str().unwrap();
    assert!(
        message.contains("exit code 1") && message.contains("401"),
        "{message}"
    );

    // A program that prints its whole configuration: the log shows the secret masked, also each
    // line of a multi-line one.
    let manage = stack.manage_client();
    let mut components = manage.manage_components().await.unwrap();
    let mut echo = components
        .iter()
        .find(|c| c.id.as_str() == "keboola.ex-http")
        .unwrap()
        .clone();
    echo.id = "test.echo".parse().unwrap();
    echo.runner = Some(Runner::Program {
        command: vec![
            "sh".into(),
            "-c".into(),
            "cat config.json; echo; echo \"$(cat config.json)\" >&2; exit 3".into(),
        ],
        timeout_seconds: Some(60),
    });
    components.push(echo);
    manage.replace_components(&components).await.unwrap();
    let pem = format!("-----BEGIN KEY-----\n{SECRET}-line-two\n-----END KEY-----");
    let echo = config(
        &client,
        "test.echo",
        json!({"parameters": {"#token": SECRET, "#key": pem}}),
    )
    .await;
    let job = run(&client, "test.echo", &echo).await;
    assert_eq!(job.status, JobStatus::Error);
    let message = job.result["message"].as_str().unwrap();
    assert!(
        message.contains("exit code 3") && message.contains("*****") && !message.contains(SECRET),
        "{message}"
    );
    let log: Vec<String> = client
        .job_log(job.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert!(log.iter().any(|l| l.contains("*****")), "{log:?}");

    // Nothing the stack keeps on disk holds the plaintext: not the data folder (gone), not
    // the databases, not the log.
    assert!(
        files_containing(&stack.dir, SECRET.as_bytes()).is_empty(),
        "{:?}",
        files_containing(&stack.dir, SECRET.as_bytes())
    );
    let left = std::fs::read_dir(stack.dir.join("jobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "every job's data folder was removed");
    for job in client.list_jobs(&Default::default()).await.unwrap() {
        for line in client.job_log(job.id).await.unwrap() {
            assert!(!line.message.contains(SECRET), "{}", line.message);
        }
    }
    stack.stop().await.unwrap();
}

/// A server on 127.0.0.1 that answers every request for `path` with a 302 to `location`, and
/// anything else with 404.
async fn redirect_server(routes: Vec<(&'static str, String)>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let routes = Arc::new(routes);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let response = match routes.iter().find(|(p, _)| *p == path) {
                    Some((_, location)) => format!(
                        "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    ),
                    None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        .to_string(),
                };
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    base
}

/// The message of a job that must have failed as the configuration's error.
fn user_error(job: &Job) -> String {
    assert_eq!(job.status, JobStatus::Error, "{}", job.result);
    let message = job.result["message"].as_str().unwrap().to_string();
    assert!(message.contains("exit code 1"), "{message}");
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ex_http_refuses_the_stacks_own_addresses_unless_allowed() {
    let dir = temp("refused");
    let stack = stack_allowing(&dir.path().join("stack"), &[]).await;
    let (_, token) = create_empty_project(&stack, "Fetch").await.unwrap();
    let client = stack.storage_client(&token);
    let (url, seen) = csv_server().await;
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    for address in [
        format!("http://127.0.0.1:{port}/orders.csv"),
        // A name is checked for what it resolves to.
        format!("http://localhost:{port}/orders.csv"),
        // And an address in another spelling for the address it is.
        format!("http://[::ffff:127.0.0.1]:{port}/orders.csv"),
    ] {
        let fetch = config(
            &client,
            "keboola.ex-http",
            json!({"parameters": {"url": address, "#token": SECRET}}),
        )
        .await;
        let message = user_error(&run(&client, "keboola.ex-http", &fetch).await);
        assert!(
            message.contains("refused")
                && message.contains("a loopback address")
                && message.contains("network.outboundAllow"),
            "{address}: {message}"
        );
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "no request reached the server"
    );
    stack.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ex_http_checks_every_redirect() {
    let dir = temp("redirects");
    let stack = stack_allowing(&dir.path().join("stack"), &["127.0.0.1"]).await;
    let (_, token) = create_empty_project(&stack, "Fetch").await.unwrap();
    let client = stack.storage_client(&token);
    let (csv_url, seen) = csv_server().await;
    let base = redirect_server(vec![
        (
            "/metadata",
            "http://169.254.169.254/latest/meta-data/".into(),
        ),
        ("/elsewhere", csv_url.clone()),
        ("/again", "/again".into()),
    ])
    .await;
    let fetch = |path: &str| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let id = config(
                &client,
                "keboola.ex-http",
                json!({"parameters": {"url": url, "#token": SECRET}}),
            )
            .await;
            run(&client, "keboola.ex-http", &id).await
        }
    };

    // An allowed server cannot send the download to a refused address.
    let message = user_error(&fetch("/metadata").await);
    assert!(
        message.contains("refused") && message.contains("169.254.169.254 is a link-local address"),
        "{message}"
    );
    // A redirect to another allowed server is followed, but the token stays with the origin
    // it was given for.
    let message = user_error(&fetch("/elsewhere").await);
    assert!(message.contains("401"), "{message}");
    assert_eq!(seen.lock().unwrap().as_slice(), [String::new()]);
    // And the redirects end.
    let message = user_error(&fetch("/again").await);
    assert!(
        message.contains("redirected more than 10 times"),
        "{message}"
    );
    stack.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_projects_writing_the_same_directory_keep_their_own_files() {
    let dir = temp("exports");
    let stack = stack_allowing(&dir.path().join("stack"), &[]).await;
    let mut projects = Vec::new();
    for name in ["X", "Y"] {
        let (project, token) = create_empty_project(&stack, name).await.unwrap();
        let client = stack.storage_client(&token);
        client
            .create_bucket(&stackport_model::api::NewBucket {
                name: "sales".into(),
                stage: stackport_model::Stage::In,
                display_name: None,
                description: None,
                backend: None,
            })
            .await
            .unwrap();
        let table = client
            .create_table(
                &"in.c-sales".parse().unwrap(),
                &stackport_model::api::NewTable {
                    name: "orders".into(),
                    columns: vec!["id".parse().unwrap(), "who".parse().unwrap()],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        client
            .import_table(
                &table.id,
                &Default::default(),
                format!("id,who\n1,{name}\n"),
            )
            .await
            .unwrap();
        let writer = config(
            &client,
            "stackport.wr-csv-file",
            json!({
                "storage": {"input": {"tables": [{"source": "in.c-sales.orders", "destination": "in.c-sales.orders.csv"}]}},
                "parameters": {"directory": "shared"}
            }),
        )
        .await;
        let job = run(&client, "stackport.wr-csv-file", &writer).await;
        assert_eq!(job.status, JobStatus::Success, "{}", job.result);
        projects.push((project, name));
    }
    for (project, name) in projects {
        let path = stack
            .dir
            .join("exports")
            .join(project.to_string())
            .join("shared/in.c-sales.orders.csv");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("\"id\",\"who\"\n\"1\",\"{name}\"\n"),
            "{}",
            path.display()
        );
    }
    stack.stop().await.unwrap();
}
