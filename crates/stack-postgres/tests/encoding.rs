//! A database whose encoding is not UTF8 is refused when the backend connects: sizes are
//! counted in UTF-8 bytes and values must come back byte for byte.

mod support;

use stackport_stack_postgres::PostgresBackend;

#[test]
fn a_database_not_in_utf8_is_refused() {
    let url = support::url();
    let admin: postgres::Config = url.parse().unwrap();
    let mut client = admin.connect(postgres::NoTls).unwrap();
    // One statement each: CREATE DATABASE refuses to run in a transaction block.
    client
        .batch_execute("DROP DATABASE IF EXISTS stackport_latin1")
        .unwrap();
    client
        .batch_execute(
            "CREATE DATABASE stackport_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' \
             TEMPLATE template0",
        )
        .unwrap();
    let latin1 = format!("{url} dbname=stackport_latin1");
    let err = PostgresBackend::connect(&latin1).err().expect("refused");
    assert_eq!(err.code(), "storage.backend.encoding", "{err}");
    assert!(err.message().contains("LATIN1"), "{}", err.message());
    client
        .batch_execute("DROP DATABASE stackport_latin1")
        .unwrap();
}
