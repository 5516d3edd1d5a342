use super::*;

fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
    q.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn an_unknown_parameter_is_refused_naming_it_and_the_accepted_ones() {
    let e = FileListQuery::from_pairs(pairs(&[("tag", "x")])).unwrap_err();
    assert_eq!(e.parameter, "tag");
    assert!(e.message.contains("'tag'"), "{}", e.message);
    assert!(e.message.contains("tags, limit, offset"), "{}", e.message);
    let e = NoQuery::from_pairs(pairs(&[("force", "1")])).unwrap_err();
    assert!(
        e.message.contains("takes no query parameters"),
        "{}",
        e.message
    );
}

#[test]
fn lists_are_repeated_bracketed_or_comma_separated() {
    let q = FileListQuery::from_pairs(pairs(&[("tags[]", "a"), ("tags[]", "b"), ("tags", "c,d")]))
        .unwrap();
    assert_eq!(q.tags.unwrap(), ["a", "b", "c", "d"]);
}

#[test]
fn booleans_take_any_case_and_digits() {
    for (v, want) in [
        ("True", true),
        ("TRUE", true),
        ("1", true),
        ("False", false),
        ("0", false),
    ] {
        let q = BucketDeleteQuery::from_pairs(pairs(&[("force", v)])).unwrap();
        assert_eq!(q.force, want, "{v}");
    }
    assert!(BucketDeleteQuery::from_pairs(pairs(&[("force", "yes")])).is_err());
}

#[test]
fn a_single_value_given_twice_is_refused() {
    let e = FileListQuery::from_pairs(pairs(&[("limit", "1"), ("limit", "2")])).unwrap_err();
    assert_eq!(e.parameter, "limit");
}

#[test]
fn where_column_and_values_make_a_filter_and_values_keep_commas() {
    let q = ExportQuery::from_pairs(pairs(&[
        ("whereColumn", "id"),
        ("whereValues[]", "1,5"),
        ("whereValues[]", "2"),
        ("whereOperator", "neq"),
    ]))
    .unwrap();
    let f = q.row_filters().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].values, ["1,5", "2"]);
    assert_eq!(f[0].operator, crate::api::FilterOperator::Ne);
    let half = ExportQuery::from_pairs(pairs(&[("whereColumn", "id")])).unwrap();
    assert_eq!(half.row_filters().unwrap_err().parameter, "whereValues");
    let half = ExportQuery::from_pairs(pairs(&[("whereValues[]", "1")])).unwrap();
    assert_eq!(half.row_filters().unwrap_err().parameter, "whereColumn");
}

#[test]
fn a_query_written_reads_back_the_same() {
    let q = ExportQuery {
        columns: Some(vec!["a".into(), "b".into()]),
        where_column: Some("id".parse().unwrap()),
        where_values: vec!["1".into(), "x,y".into()],
        gzip: true,
        limit: Some(3),
        ..ExportQuery::default()
    };
    assert_eq!(ExportQuery::from_pairs(q.to_pairs()).unwrap(), q);
}
