//! Property tests of the readers a snapshot feeds: whatever bytes arrive, they answer with an
//! error or a correct result, never a panic or a hang. CI runs a few hundred cases per property;
//! `scripts/fuzz.sh` runs many more for a bounded time. Failing cases proptest finds are kept in
//! `proptest-regressions/` and replayed first on every run.

use proptest::prelude::*;
use stackport_migrate::snapshot::{self, format::Codec};

/// A manifest-ish JSON document: mostly the right shape, with values that go wrong.
fn manifest_like() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        Just("project.json".to_string()),
        Just("../escape".to_string()),
        Just("/etc/passwd".to_string()),
        Just("a/./b".to_string()),
        Just("storage\\\\x".to_string()),
        "[a-z/._-]{0,20}",
    ];
    let entry = (path, any::<u64>(), "[0-9a-f]{0,64}").prop_map(|(p, b, h)| {
        format!(
            r#"{{"path": {}, "bytes": {b}, "sha256": "{h}"}}"#,
            serde_json::json!(p)
        )
    });
    (0u32..3, prop::collection::vec(entry, 0..4), any::<bool>())
        .prop_map(|(version, files, extra)| manifest_text(version, &files, extra))
}

/// A manifest of format `version` listing `files`, with an unknown field when `extra`.
fn manifest_text(version: u32, files: &[String], extra: bool) -> String {
    format!(
        r#"{{"formatVersion": {version}, "tool": "t", "created": "now",
            "source": {{"stackId": "s", "stackUrl": "u", "projectId": 1, "projectName": "p", "backend": "sqlite"}},
            "inventory": {{"buckets": 0, "tables": 0, "aliases": 0, "rows": 0, "dataBytes": 0, "storedBytes": 0,
                           "configurations": 0, "configurationRows": 0, "orchestrations": 0, "provisioned": 0,
                           "secretsRemoved": 0}},
            "files": [{}]{}}}"#,
        files.join(","),
        if extra { r#", "unknown": 1"# } else { "" }
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any bytes as a manifest: refused, named, never a panic.
    #[test]
    fn any_manifest_bytes_are_refused_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = stackport_testkit::TempDir::new("fuzz-manifest-bytes");
        std::fs::write(dir.join("manifest.json"), &bytes).unwrap();
        prop_assert!(snapshot::open(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Manifests of nearly the right shape: never opened (the files they list are not there or
    /// do not match), never a panic, and the error names a file.
    #[test]
    fn nearly_right_manifests_are_refused_cleanly(text in manifest_like()) {
        let dir = stackport_testkit::TempDir::new("fuzz-manifest-shape");
        std::fs::write(dir.join("manifest.json"), &text).unwrap();
        std::fs::write(dir.join("project.json"), "{}").unwrap();
        match snapshot::open(&dir) {
            Ok(_) => prop_assert!(false, "opened a broken snapshot: {text}"),
            Err(stackport_migrate::MigrateError::Snapshot { file, .. }) => {
                prop_assert!(!file.is_empty())
            }
            Err(_) => {}
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// CSV cut into chunks comes back exactly, whatever the values and however the stream is
    /// split into blocks; a stream that ends mid-row is refused.
    #[test]
    fn chunks_round_trip_any_rows_and_any_block_split(
        rows in prop::collection::vec(prop::collection::vec("[a-z\"\\n\\r ,é]{0,12}", 2), 0..40),
        block in 1usize..64,
        chunk_bytes in 1u64..200,
        cut in any::<bool>(),
    ) {
        let mut csv = String::from("\"a\",\"b\"\n");
        for r in &rows {
            let line: Vec<String> = r.iter().map(|v| format!("\"{}\"", v.replace('"', "\"\""))).collect();
            csv.push_str(&line.join(","));
            csv.push('\n');
        }
        let body = csv["\"a\",\"b\"\n".len()..].to_string();
        let input = if cut && !body.is_empty() { &csv[..csv.len() - 1] } else { &csv[..] };
        let dir = stackport_testkit::TempDir::new("fuzz-chunks");
        let result = snapshot::chunk_table_for_tests(&dir, "in.c-a.t", &["a", "b"], Codec::Zstd, chunk_bytes, input.as_bytes(), block);
        if cut && !body.is_empty() {
            prop_assert!(result.is_err(), "a stream ending mid-row was accepted");
        } else {
            let (rows_seen, chunks) = result.unwrap();
            prop_assert_eq!(rows_seen, rows.len() as u64);
            let mut joined = String::new();
            for c in chunks {
                let packed = std::fs::read(dir.join(c)).unwrap();
                let text = String::from_utf8(zstd::decode_all(&packed[..]).unwrap()).unwrap();
                prop_assert!(text.starts_with("\"a\",\"b\"\n"));
                joined.push_str(&text["\"a\",\"b\"\n".len()..]);
            }
            prop_assert_eq!(joined, body);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
