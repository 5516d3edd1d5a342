//! The PostgreSQL harness itself: fresh databases are separate, a process has one server, and a
//! second process gets its own, which is gone once that process has ended.

use std::process::Command;

use stackport_testkit::postgres::{with_database, Cluster, URL_VAR};

/// Set for the child process of `a_second_process_gets_its_own_server`.
const CHILD_VAR: &str = "STACKPORT_TESTKIT_PG_CHILD";

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"))
}

/// The server's own identity: its data directory and when it started.
fn identity(url: &str) -> (String, String) {
    let row = connect(url)
        .query_one(
            "SELECT current_setting('data_directory'), pg_postmaster_start_time()::text",
            &[],
        )
        .expect("asking the server who it is");
    (row.get(0), row.get(1))
}

#[test]
fn fresh_databases_are_separate() {
    let cluster = Cluster::shared();
    let a = cluster.fresh_database("harness-a");
    let b = cluster.fresh_database("harness-a");
    assert_ne!(a, b, "two fresh databases got one URL");
    let mut a_client = connect(&a);
    let mut b_client = connect(&b);
    let name_of = |c: &mut postgres::Client| -> String {
        c.query_one("SELECT current_database()", &[])
            .unwrap()
            .get(0)
    };
    let a_name = name_of(&mut a_client);
    assert!(
        a_name.starts_with("harness_a_"),
        "the name {a_name} lacks its prefix"
    );
    assert_ne!(a_name, name_of(&mut b_client));

    a_client
        .batch_execute("CREATE TABLE only_in_a (id int); INSERT INTO only_in_a VALUES (1)")
        .unwrap();
    let seen = |c: &mut postgres::Client| -> bool {
        c.query_one("SELECT to_regclass('public.only_in_a') IS NOT NULL", &[])
            .unwrap()
            .get(0)
    };
    assert!(
        seen(&mut a_client),
        "the table is missing from the database it was made in"
    );
    assert!(
        !seen(&mut b_client),
        "a table made in one fresh database is in another"
    );
}

#[test]
fn the_shared_cluster_is_one_server_per_process() {
    let first = Cluster::shared();
    assert!(std::ptr::eq(first, Cluster::shared()));
    let db = first.fresh_database("harness-one");
    assert_eq!(
        identity(first.url()),
        identity(&db),
        "a fresh database is on another server"
    );
}

#[test]
fn a_second_process_gets_its_own_server() {
    if std::env::var_os(CHILD_VAR).is_some() {
        return;
    }
    let mine = identity(Cluster::shared().url());
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "--exact",
            "child_reports_its_server",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_VAR, "1")
        .env_remove(URL_VAR)
        .output()
        .expect("running this test binary again as a second process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("CHILD-SERVER ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("the child did not report its server:\n{stdout}"));
    let (url, data_dir) = line.split_once(' ').unwrap();
    assert_ne!(
        data_dir, mine.0,
        "the second process used this process's server"
    );

    // The child has exited: its watchdog stops that server and removes its directory. Wait for it
    // (a bound only so that a broken watchdog fails the test instead of hanging it).
    let gone = (0..300).any(|_| {
        let refused = postgres::Client::connect(url, postgres::NoTls).is_err();
        if refused && !std::path::Path::new(data_dir).exists() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        false
    });
    assert!(
        gone,
        "the server of the ended process ({url}, {data_dir}) outlived it"
    );
}

/// The child half of `a_second_process_gets_its_own_server`; on its own it only reports.
#[test]
#[ignore = "run as a second process by a_second_process_gets_its_own_server"]
fn child_reports_its_server() {
    let cluster = Cluster::shared();
    let (data_dir, _) = identity(cluster.url());
    println!("CHILD-SERVER {} {data_dir}", cluster.url());
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t_1"),
        "postgres://postgres@127.0.0.1:5432/t_1"
    );
    assert_eq!(
        with_database("postgres://u:p@h:1/postgres?sslmode=disable", "x"),
        "postgres://u:p@h:1/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}
