//! Pooled connections the server ended while they sat idle (a restart, a terminated
//! session) are replaced, not handed out.

mod support;

use stackport_model::ProjectId;
use stackport_stack::backend::TableBackend;

/// The pooled connections the server ended while they sat idle are replaced, not handed out.
#[test]
fn idle_sessions_the_server_ended_are_replaced() {
    let url = support::url();
    let b = support::on(&url);
    let p = ProjectId(9402);
    assert_eq!(b.list_physical(p).unwrap(), Vec::<String>::new());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let others = "FROM pg_stat_activity WHERE datname = current_database() \
                  AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
    let killed = admin
        .query(&format!("SELECT pg_terminate_backend(pid) {others}"), &[])
        .unwrap();
    assert!(!killed.is_empty(), "the pool's idle session was there");
    // Termination is a signal: wait until the sessions are gone from the server's view.
    while admin
        .query_one(&format!("SELECT count(*) {others}"), &[])
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        std::thread::yield_now();
    }
    assert_eq!(
        b.list_physical(p).expect("a live connection is used"),
        Vec::<String>::new()
    );
}
