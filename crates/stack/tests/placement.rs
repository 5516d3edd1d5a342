//! PostgreSQL projects placed on the servers a stack registers: the placement is recorded, each
//! project's tables live on its own server, a drained server takes no new projects, and a server
//! that is down stops only its own projects.

use std::path::Path;

use stackport_model::api::{NewBucket, NewProject, NewTable};
use stackport_model::{BackendName, ProjectId, Stage};
use stackport_stack::table_servers::PostgresServer;
use stackport_stack::{ErrorKind, ImportOptions, Stack, StackSettings};
use stackport_testkit::postgres::Cluster;
use stackport_testkit::stack::cols;
use stackport_testkit::TempDir;

fn server(id: &str, url: &str) -> PostgresServer {
    PostgresServer {
        id: id.into(),
        url: url.into(),
        sealed_password: None,
        accepts_new_projects: true,
    }
}

fn open(dir: &Path, servers: Vec<PostgresServer>) -> Stack {
    try_open(dir, "local", servers).expect("the stack opens")
}

fn try_open(dir: &Path, id: &str, servers: Vec<PostgresServer>) -> stackport_stack::Result<Stack> {
    stackport_engines::open(dir, || {
        let mut s = StackSettings::local_default("127.0.0.1:0");
        s.id = id.into();
        s.backends.push(BackendName::POSTGRESQL);
        s.postgres = servers;
        s
    })
}

fn create(stack: &Stack, backend: &str) -> (ProjectId, Option<String>, String) {
    let created = stack
        .create_project(&NewProject {
            name: format!("on {backend}"),
            backend: Some(backend.into()),
        })
        .expect("a project is created");
    (created.project.id, created.project.placement, created.token)
}

/// Whether the database at `url` holds the schema of `project`'s tables.
fn holds_schema(url: &str, project: ProjectId) -> bool {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query_opt(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = $1",
            &[&format!("p{}", project.0)],
        )
        .unwrap()
        .is_some()
}

/// A table with one row in the project whose token is `token`.
fn fill(stack: &Stack, token: &str) -> stackport_stack::Result<()> {
    let auth = stack.authenticate(Some(token))?;
    let bucket = stack
        .create_bucket(
            &auth,
            &NewBucket {
                name: "b".into(),
                stage: Stage::In,
                display_name: None,
                description: None,
                backend: None,
            },
        )?
        .id;
    let table = stack.create_table(
        &auth,
        &bucket,
        &NewTable {
            name: "t".into(),
            columns: cols(&["id"]),
            primary_key: Vec::new(),
            definition: None,
            display_name: None,
        },
    )?;
    stack.import_table(
        &auth,
        &table.id,
        &ImportOptions::default(),
        &mut "id\n1\n".as_bytes(),
    )?;
    Ok(())
}

#[test]
fn projects_are_spread_over_the_servers_and_stay_where_they_were_placed() {
    let cluster = Cluster::shared();
    let (a, b) = (
        cluster.fresh_database("pg_a"),
        cluster.fresh_database("pg_b"),
    );
    let dir = TempDir::new("placement");
    let stack = open(&dir, vec![server("pg1", &a), server("pg2", &b)]);

    let (p1, at1, t1) = create(&stack, "postgresql");
    let (p2, at2, t2) = create(&stack, "postgresql");
    let (_, at3, _) = create(&stack, "postgresql");
    let (_, at_sqlite, _) = create(&stack, "sqlite");
    assert_eq!(
        [at1.as_deref(), at2.as_deref(), at3.as_deref()],
        [Some("pg1"), Some("pg2"), Some("pg1")],
        "each new project goes to the server holding the fewest"
    );
    assert_eq!(at_sqlite, None, "an embedded project has no server");

    fill(&stack, &t1).unwrap();
    fill(&stack, &t2).unwrap();
    assert!(holds_schema(&a, p1) && !holds_schema(&b, p1));
    assert!(holds_schema(&b, p2) && !holds_schema(&a, p2));
    assert_eq!(
        stack.get_project(p2).unwrap().placement.as_deref(),
        Some("pg2"),
        "the placement is recorded with the project"
    );

    // Drained: pg2 holds fewer projects, yet takes no new one.
    drop(stack);
    let mut drained = server("pg2", &b);
    drained.accepts_new_projects = false;
    let path = dir.join("stack.json");
    let mut settings = StackSettings::load(&path).unwrap();
    settings.postgres[1] = drained;
    settings.save(&path).unwrap();
    let stack = open(&dir, Vec::new());
    let (_, at4, _) = create(&stack, "postgresql");
    assert_eq!(at4.as_deref(), Some("pg1"));
    let auth = stack.authenticate(Some(&t2)).unwrap();
    let table = "in.c-b.t".parse().unwrap();
    assert_eq!(
        stack.get_table(&auth, &table).unwrap().rows_count,
        1,
        "a project on a drained server is served where it is"
    );

    stack.delete_project(p2).unwrap();
    assert!(!holds_schema(&b, p2), "deleting a project drops its schema");
}

#[test]
fn a_server_that_is_down_stops_only_its_own_projects() {
    let cluster = Cluster::shared();
    let up = cluster.fresh_database("pg_up");
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let down = "postgres://postgres@127.0.0.1:1/postgres";
    let dir = TempDir::new("placement-down");
    let stack = open(&dir, vec![server("pg1", &up), server("pg2", down)]);
    let (_, at_up, on_up) = create(&stack, "postgresql");
    let (_, at_down, on_down) = create(&stack, "postgresql");
    let (_, _, on_sqlite) = create(&stack, "sqlite");
    assert_eq!(
        (at_up.as_deref(), at_down.as_deref()),
        (Some("pg1"), Some("pg2"))
    );

    let err = fill(&stack, &on_down).expect_err("its server does not answer");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.message()
            .contains("cannot reach the PostgreSQL server at 127.0.0.1:1"),
        "{}",
        err.message()
    );
    fill(&stack, &on_up).expect("a project on a server that is up works");
    fill(&stack, &on_sqlite).expect("an embedded project works");
}

#[test]
fn a_database_holds_one_stack_only() {
    let url = Cluster::shared().fresh_database("pg_claimed");
    let (a, b) = (TempDir::new("claim-a"), TempDir::new("claim-b"));
    let first = try_open(&a, "eu-central", vec![server("pg1", &url)]).expect("the first opens");
    let (_, _, token) = create(&first, "postgresql");
    fill(&first, &token).unwrap();
    // Both stacks' first project would be p1: the second stack must never reach it.
    let err = try_open(&b, "us-east", vec![server("pg1", &url)])
        .err()
        .expect("another stack's database is refused");
    assert_eq!(err.code(), "storage.backend.claimed");
    assert!(
        err.message()
            .contains("holds the tables of stack 'eu-central'"),
        "{}",
        err.message()
    );
    drop(first);
    let again = try_open(&a, "eu-central", vec![server("pg1", &url)]).expect("its own reopens");
    let auth = again.authenticate(Some(&token)).unwrap();
    assert_eq!(
        again
            .get_table(&auth, &"in.c-b.t".parse().unwrap())
            .unwrap()
            .rows_count,
        1,
        "the first stack's rows are untouched"
    );
}

#[test]
fn stack_init_seals_a_servers_password_and_names_no_plaintext() {
    let dir = TempDir::new("placement-init");
    let settings = StackSettings::local_default("127.0.0.1:0");
    Stack::init(
        &dir,
        &settings,
        &["postgres://stack:Pa55-w0rd%21@db.internal:5432/tables".into()],
    )
    .unwrap();
    let written = std::fs::read_to_string(dir.join("stack.json")).unwrap();
    assert!(!written.contains("Pa55"), "{written}");
    let stored = StackSettings::load(&dir.join("stack.json")).unwrap();
    assert!(stored.backends.contains(&BackendName::POSTGRESQL));
    assert_eq!(stored.postgres[0].id, "pg1");
    assert_eq!(
        stored.postgres[0].url,
        "postgres://stack@db.internal:5432/tables"
    );
    assert!(stored.postgres[0].sealed_password.is_some());

    let id = Stack::add_postgres_server(&dir, "postgres://stack@db2.internal:5432/tables").unwrap();
    assert_eq!(id, "pg2");
    let stored = StackSettings::load(&dir.join("stack.json")).unwrap();
    assert_eq!(stored.postgres.len(), 2);
    assert_eq!(stored.postgres[1].sealed_password, None);

    let mut edited: serde_json::Value = serde_json::from_str(&written).unwrap();
    edited["postgres"][0]["url"] = "postgres://stack:plain@db.internal:5432/tables".into();
    std::fs::write(dir.join("stack.json"), edited.to_string()).unwrap();
    let err = StackSettings::load(&dir.join("stack.json")).unwrap_err();
    assert!(
        err.message().contains("must not hold a password") && !err.message().contains("plain@"),
        "{}",
        err.message()
    );
}
