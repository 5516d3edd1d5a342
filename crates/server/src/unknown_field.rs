//! Serde's "unknown field" error, said so that the caller can fix the request: the field, the
//! nearest field the endpoint knows, and all it knows. Body types refuse unknown fields
//! (`#[serde(deny_unknown_fields)]`), so a misspelt `configId` is a 400 and not a
//! configuration with a random id.

/// The message for a body that did not deserialize, from serde's (or axum's) error text.
pub fn body_error_message(text: &str) -> String {
    match parse_unknown_field(text) {
        Some((field, known)) => unknown_field_message(field, &known),
        None => format!("the request body is not valid: {text}"),
    }
}

/// `unknown field 'configId'; did you mean 'configurationId'? (known: name, configurationId, …)`.
fn unknown_field_message(field: &str, known: &[&str]) -> String {
    let mut message = format!("the request body is not valid: unknown field '{field}'");
    if let Some(nearest) = nearest(field, known) {
        message.push_str(&format!("; did you mean '{nearest}'?"));
    }
    if known.is_empty() {
        message.push_str(" (this body takes no fields)");
    } else {
        message.push_str(&format!(" (known: {})", known.join(", ")));
    }
    message
}

/// Reads serde's ``unknown field `x`, expected one of `a`, `b`, `c` `` (or ``expected `a` or
/// `b` ``, ``expected `a` ``, `there are no fields`) out of `text`.
fn parse_unknown_field(text: &str) -> Option<(&str, Vec<&str>)> {
    let rest = &text[text.find("unknown field `")? + "unknown field `".len()..];
    let end = rest.find('`')?;
    let field = &rest[..end];
    let rest = &rest[end + 1..];
    let known = if let Some(list) = rest
        .strip_prefix(", expected one of ")
        .or_else(|| rest.strip_prefix(", expected "))
    {
        // Up to serde_json's " at line L column C".
        let list = list.split(" at line ").next().unwrap_or(list);
        // `a`, `b` or `a` or `b`: the names are every other piece between backticks.
        list.split('`').skip(1).step_by(2).collect()
    } else {
        Vec::new()
    };
    Some((field, known))
}

/// The known field nearest to `field`: one that contains it or is contained in it, letter by
/// letter in order (`configId` in `configurationId`), comes first; then by edit distance,
/// ignoring case.
fn nearest<'a>(field: &str, known: &[&'a str]) -> Option<&'a str> {
    let field = field.to_lowercase();
    known
        .iter()
        .map(|k| {
            let lower = k.to_lowercase();
            let related = is_subsequence(&field, &lower) || is_subsequence(&lower, &field);
            ((!related, edit_distance(&field, &lower)), *k)
        })
        .min_by_key(|(key, _)| *key)
        .map(|(_, k)| k)
}

fn is_subsequence(needle: &str, haystack: &str) -> bool {
    let mut rest = haystack.chars();
    needle.chars().all(|c| rest.any(|h| h == c))
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_the_nearest_known_one_and_all_known() {
        let text = "Failed to deserialize the JSON body into the target type: unknown field \
                    `configId`, expected one of `name`, `configurationId`, `description`, \
                    `configuration`, `state`, `changeDescription`, `isDisabled`, `branchId` at \
                    line 1 column 11";
        assert_eq!(
            body_error_message(text),
            "the request body is not valid: unknown field 'configId'; did you mean \
             'configurationId'? (known: name, configurationId, description, configuration, \
             state, changeDescription, isDisabled, branchId)"
        );
    }

    #[test]
    fn one_two_and_no_known_fields() {
        assert_eq!(
            body_error_message("unknown field `nam`, expected `name` or `definition`"),
            "the request body is not valid: unknown field 'nam'; did you mean 'name'? (known: \
             name, definition)"
        );
        assert_eq!(
            body_error_message("unknown field `changeDescripton`, expected `changeDescription`"),
            "the request body is not valid: unknown field 'changeDescripton'; did you mean \
             'changeDescription'? (known: changeDescription)"
        );
        assert_eq!(
            body_error_message("unknown field `x`, there are no fields at line 1 column 4"),
            "the request body is not valid: unknown field 'x' (this body takes no fields)"
        );
    }

    #[test]
    fn misspellings_find_their_field() {
        let known = ["provider", "metadata", "columnsMetadata"];
        assert_eq!(nearest("colmnsMetadata", &known), Some("columnsMetadata"));
        assert_eq!(nearest("Provider", &known), Some("provider"));
        let known = [
            "name",
            "stage",
            "displayName",
            "description",
            "backend",
            "color",
        ];
        assert_eq!(nearest("display_name", &known), Some("displayName"));
        assert_eq!(nearest("stag", &known), Some("stage"));
    }

    #[test]
    fn other_errors_are_passed_on() {
        assert_eq!(
            body_error_message("missing field `name` at line 1 column 2"),
            "the request body is not valid: missing field `name` at line 1 column 2"
        );
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
