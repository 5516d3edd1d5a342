//! The table-row seam as a stack uses it: backends matched to `stack.json` at open, structure
//! changes recorded by the stack's clock, exports streamed as the backend's CSV.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use stackport_model::api::{NewColumn, NewTable};
use stackport_model::{ColumnName, TableId};
use stackport_stack::{ExportOptions, ImportOptions, ManualClock, Stack, TokenAuth};
use stackport_testkit::stack::{cols, new_bucket, new_project, open, open_with, try_open};
use stackport_testkit::TempDir;

/// `stack.json` as JSON, changed by `edit`, written back as a hand edit would.
fn edit_settings(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let path = dir.join("stack.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut json);
    let bytes = serde_json::to_vec_pretty(&json).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    bytes
}

#[test]
fn settings_naming_a_backend_this_build_lacks_stop_the_stack_at_open() {
    let dir = TempDir::new("backends-unknown");
    drop(open(&dir));
    let written = edit_settings(dir.path(), |s| {
        s["backends"] = serde_json::json!(["sqlite", "postgres"]);
    });
    let err = try_open(&dir).err().expect("a stack offering postgres");
    assert_eq!(err.code(), "stack.invalidSettings");
    assert!(
        err.message()
            .contains("backends in stack.json names 'postgres'"),
        "{}",
        err.message()
    );
    assert!(
        err.message().ends_with("this build has: sqlite"),
        "{}",
        err.message()
    );
    assert_eq!(
        std::fs::read(dir.path().join("stack.json")).unwrap(),
        written,
        "the settings are left as the operator wrote them"
    );
    edit_settings(dir.path(), |s| {
        s["backends"] = serde_json::json!(["sqlite"])
    });
    try_open(&dir).expect("opens again once the settings are fixed");
}

#[test]
fn a_backend_name_off_the_rule_is_refused_when_the_settings_are_read() {
    let dir = TempDir::new("backends-spelling");
    drop(open(&dir));
    edit_settings(dir.path(), |s| s["defaultBackend"] = "SQLite".into());
    let err = try_open(&dir).err().expect("a default spelled SQLite");
    assert_eq!(err.code(), "stack.invalidSettings");
    assert!(
        err.message().contains("backend name 'SQLite' is not valid"),
        "{}",
        err.message()
    );
}

#[test]
fn a_default_backend_the_stack_does_not_offer_is_refused_at_open() {
    let dir = TempDir::new("backends-default");
    drop(open(&dir));
    edit_settings(dir.path(), |s| s["defaultBackend"] = "postgres".into());
    let err = try_open(&dir).err().expect("a default outside backends");
    assert_eq!(err.code(), "stack.invalidSettings");
    assert!(
        err.message().contains("default backend 'postgres'"),
        "{}",
        err.message()
    );
}

#[test]
fn structure_changes_go_by_the_stacks_clock() {
    let dir = TempDir::new("backends-clock");
    // Long after any wall clock this test runs by: a time from anywhere else shows.
    let year_2100 = 4_102_444_800_000_000;
    let clock = Arc::new(ManualClock::at(year_2100));
    let stack = open_with(&dir, Some(clock.clone()), |_| {});
    let (_, auth, _) = new_project(&stack, "p");
    let bucket = new_bucket(&stack, &auth, "b");
    let new = NewTable {
        name: "t".into(),
        columns: cols(&["id"]),
        primary_key: Vec::new(),
        definition: None,
        display_name: None,
    };
    let table = stack.create_table(&auth, &bucket, &new).unwrap();
    assert_eq!(table.last_change_date.timestamp_micros(), year_2100);
    clock.advance_seconds(60);
    let column = NewColumn {
        name: ColumnName::parse("v").unwrap(),
        definition: None,
    };
    let table = stack.add_column(&auth, &table.id, &column).unwrap();
    assert_eq!(
        table.last_change_date.timestamp_micros(),
        year_2100 + 60_000_000,
        "a column added a minute later"
    );
}

fn export(stack: &Stack, auth: &TokenAuth, id: &TableId, options: &ExportOptions) -> Vec<u8> {
    let stream = stack.prepare_export(auth, id, options).unwrap();
    let mut out = Vec::new();
    stream.write_to(stack, &mut out).unwrap();
    out
}

#[test]
fn exports_stream_the_stacks_csv_plain_or_gzip() {
    let dir = TempDir::new("backends-export");
    let stack = open(&dir);
    let (_, auth, _) = new_project(&stack, "p");
    let bucket = new_bucket(&stack, &auth, "b");
    let new = NewTable {
        name: "t".into(),
        columns: cols(&["id", "note"]),
        primary_key: Vec::new(),
        definition: None,
        display_name: None,
    };
    let table = stack.create_table(&auth, &bucket, &new).unwrap();
    let csv = "id,note\n1,\"say \"\"hi\"\"\"\n2,\"two\nlines\"\n3,\n";
    stack
        .import_table(
            &auth,
            &table.id,
            &ImportOptions::default(),
            &mut csv.as_bytes(),
        )
        .unwrap();
    let plain = export(&stack, &auth, &table.id, &ExportOptions::default());
    assert_eq!(
        String::from_utf8(plain.clone()).unwrap(),
        "\"id\",\"note\"\n\"1\",\"say \"\"hi\"\"\"\n\"2\",\"two\nlines\"\n\"3\",\"\"\n"
    );
    let gzip = export(
        &stack,
        &auth,
        &table.id,
        &ExportOptions {
            gzip: true,
            ..Default::default()
        },
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzip[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain, "gzip wraps the same bytes");
    let picked = export(
        &stack,
        &auth,
        &table.id,
        &ExportOptions {
            columns: Some(vec!["note".into()]),
            limit: Some(1),
            include_internal_timestamp: true,
            ..Default::default()
        },
    );
    let text = String::from_utf8(picked).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "\"note\",\"_timestamp\"");
    assert!(
        lines[1].starts_with("\"say \"\"hi\"\"\",\"20"),
        "one row, its time last: {text}"
    );
    assert_eq!(lines.len(), 2, "{text}");
}
