//! A stack killed with SIGKILL while a job runs: when it starts again, the job has ended as an
//! error that says so, and the job that was waiting runs. The real binary, a real crash.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use stackport_client::Client;
use stackport_model::api::{JobStatus, NewBucket, NewConfiguration, NewJob, NewProject, RawJson};
use stackport_model::Stage;

const MANAGE: &str = "crash-manage-token-0123456789abcdefghij";

struct Stack {
    child: Child,
    url: String,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn serve(data: &Path) -> Stack {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_stackport"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .env("STACKPORT_MANAGE_TOKEN", MANAGE)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("stackport serve starts");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while Client::new(&url).index().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the stack did not come up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Stack { child, url }
}

mod common;

async fn transformation(client: &Client, script: &str, output: serde_json::Value) -> String {
    let doc = json!({
        "storage": {"output": {"tables": output}},
        "parameters": {"blocks": [{"name": "b", "codes": [{"name": "c", "script": [script]}]}]}
    });
    client
        .create_config(
            &"keboola.sqlite-transformation".parse().unwrap(),
            &NewConfiguration {
                name: "t".into(),
                configuration: Some(RawJson::from_string(doc.to_string()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_running_when_the_stack_is_killed_ends_as_an_error() {
    let dir = common::temp("stack-crash");
    let data = dir.path().join("data");
    // Both endless jobs below are one project's: the stack must let a project run two at once.
    let mut settings = stackport_stack::StackSettings::local_default("127.0.0.1:0");
    settings.jobs.max_running_per_project = 2;
    std::fs::create_dir_all(&data).unwrap();
    settings.save(&data.join("stack.json")).unwrap();
    let stack = serve(&data).await;
    let project = Client::new(&stack.url)
        .with_manage_token(MANAGE)
        .create_project(&NewProject {
            name: "Crash".into(),
            backend: None,
        })
        .await
        .unwrap();
    let client = Client::new(&stack.url).with_storage_token(&project.token);
    client
        .create_bucket(&NewBucket {
            name: "x".into(),
            stage: Stage::Out,
            display_name: None,
            description: None,
            backend: None,
        })
        .await
        .unwrap();
    let endless = transformation(
        &client,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;",
        json!([]),
    )
    .await;
    let quick = transformation(
        &client,
        "CREATE TABLE \"one\" AS SELECT 1 AS \"n\";",
        json!([{"source": "one", "destination": "out.c-x.one"}]),
    )
    .await;
    let job = |config: &str| NewJob {
        component: "keboola.sqlite-transformation".parse().unwrap(),
        config: config.into(),
        config_row_ids: vec![],
        mode: Default::default(),
    };
    let running = [
        client.create_job(&job(&endless)).await.unwrap(),
        client.create_job(&job(&endless)).await.unwrap(),
    ];
    for r in &running {
        let started = Instant::now();
        while client.get_job(r.id).await.unwrap().status != JobStatus::Processing {
            assert!(started.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let waiting = client.create_job(&job(&quick)).await.unwrap();

    // SIGKILL: no shutdown code runs.
    drop(stack);
    let stack = serve(&data).await;
    let client = Client::new(&stack.url).with_storage_token(&project.token);
    for r in &running {
        let job = client.get_job(r.id).await.unwrap();
        assert_eq!(job.status, JobStatus::Error, "{}", job.result);
        assert!(job.result["message"]
            .as_str()
            .unwrap()
            .contains("stack stopped"));
        let log = client.job_log(r.id).await.unwrap();
        assert_eq!(log.last().map(|e| e.event.as_str()), Some("job.failed"));
    }
    let done = client
        .wait_for_job(waiting.id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Success, "{}", done.result);
    drop(stack);
}
