//! A server is registered only with a user that may create what a stack creates there: a schema
//! per project and the login roles of workspaces and transformations.

use stackport_stack_postgres::PostgresBackend;
use stackport_testkit::postgres::Cluster;

#[test]
fn a_user_without_the_rights_for_workspace_accounts_is_refused_naming_it() {
    let cluster = Cluster::shared();
    let url = cluster.fresh_database("rights");
    PostgresBackend::connect(&url)
        .unwrap()
        .check_rights()
        .expect("the superuser may");

    let role = format!("plain_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let db: String = admin
        .query_one("SELECT current_database()::text", &[])
        .unwrap()
        .get(0);
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'not-a-secret-1'; \
             GRANT CREATE ON DATABASE \"{db}\" TO {role}"
        ))
        .unwrap();
    let plain = url.replacen(
        "postgres://postgres@",
        &format!("postgres://{role}:not-a-secret-1@"),
        1,
    );
    let err = PostgresBackend::connect(&plain)
        .expect("the user logs in")
        .check_rights()
        .expect_err("a plain user may not create login roles");
    assert_eq!(err.code(), "storage.backend.rights");
    assert!(
        err.message().contains(&format!("the user '{role}'"))
            && err.message().contains("superuser")
            && !err.message().contains("not-a-secret-1"),
        "{}",
        err.message()
    );
}
