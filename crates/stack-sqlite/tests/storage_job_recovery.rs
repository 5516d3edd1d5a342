//! Storage jobs across a stop: a job that was processing when the stack stopped (a crash, a
//! kill) ends as an error saying so when the stack opens again; a waiting one runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stackport_model::api::{NewTable, StorageJobStatus};
use stackport_model::ColumnName;
use stackport_stack::JobRunner;
use stackport_testkit::stack::{new_bucket, new_project, open};
use stackport_testkit::TempDir;

#[test]
fn an_interrupted_job_fails_and_a_waiting_one_runs_after_reopening() {
    let dir = TempDir::new("storage-job-recovery");
    let (token, interrupted, waiting) = {
        // No runner: the jobs stay waiting.
        let stack = open(&dir);
        let (_, auth, token) = new_project(&stack, "p");
        let bucket = new_bucket(&stack, &auth, "sales");
        let table = stack
            .create_table(
                &auth,
                &bucket,
                &NewTable {
                    name: "orders".into(),
                    columns: vec![ColumnName::parse("id").unwrap()],
                    ..Default::default()
                },
            )
            .unwrap();
        let first = stack.optimize_table(&auth, &table.id).unwrap();
        let second = stack.optimize_table(&auth, &table.id).unwrap();
        (token, first.id, second.id)
    };
    // What a crash while the first one ran leaves.
    let conn = rusqlite::Connection::open(dir.path().join("metadata.sqlite")).unwrap();
    let marked = conn
        .execute(
            "UPDATE storage_jobs SET status = 'processing', started = created WHERE id = ?1",
            [interrupted.0],
        )
        .unwrap();
    assert_eq!(marked, 1);
    drop(conn);

    let stack = Arc::new(open(dir.path()));
    let auth = stack.authenticate(Some(&token)).unwrap();
    let failed = stack.get_storage_job(&auth, interrupted).unwrap();
    assert_eq!(failed.status, StorageJobStatus::Error);
    let error = failed.error.expect("an error");
    assert_eq!(error.code, "storage.jobs.interrupted");
    assert!(
        error
            .message
            .contains("was processing when the stack stopped"),
        "{}",
        error.message
    );
    assert!(failed.end_time.is_some());
    assert_eq!(
        stack.get_storage_job(&auth, waiting).unwrap().status,
        StorageJobStatus::Waiting
    );

    let runner = JobRunner::start(stack.clone(), 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    let ran = loop {
        let job = stack.get_storage_job(&auth, waiting).unwrap();
        if job.is_finished() || Instant::now() > deadline {
            break job;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    runner.stop();
    assert_eq!(ran.status, StorageJobStatus::Success, "{:?}", ran.error);
}
