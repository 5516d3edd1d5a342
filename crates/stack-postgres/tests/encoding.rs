//! A database whose encoding is not UTF8 is refused when the backend connects: sizes are
//! counted in UTF-8 bytes and values must come back byte for byte.

mod support;

use stackport_stack_postgres::PostgresBackend;
use stackport_testkit::postgres::{with_database, Cluster};

#[test]
fn a_database_not_in_utf8_is_refused() {
    let cluster = Cluster::shared();
    let mut client = cluster.connect();
    let name = format!("latin1_{}", std::process::id());
    // One statement each: CREATE DATABASE refuses to run in a transaction block.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    client
        .batch_execute(&format!(
            "CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' \
             TEMPLATE template0"
        ))
        .unwrap();
    let latin1 = with_database(cluster.url(), &name);
    let err = PostgresBackend::connect(&latin1).err().expect("refused");
    assert_eq!(err.code(), "storage.backend.encoding", "{err}");
    assert!(err.message().contains("LATIN1"), "{}", err.message());
    client
        .batch_execute(&format!("DROP DATABASE {name}"))
        .unwrap();
}
