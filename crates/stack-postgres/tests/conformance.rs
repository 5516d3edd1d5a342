//! The table-row conformance suite every backend passes.

mod support;

use stackport_stack::backend::TableBackend;

#[test]
fn passes_the_conformance_suite() {
    let backend = support::backend();
    assert_eq!(backend.name().as_str(), "postgresql");
    stackport_stack::backend::conformance::run_all(&backend);
}
