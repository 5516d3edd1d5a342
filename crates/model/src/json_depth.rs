//! How deeply a JSON document nests, found without recursion.
//!
//! Parsers and scanners recurse once per level of nesting, so a small document of brackets
//! (`[[[[…]]]]`, 20 KB) can overflow a thread's stack and take the whole process down. Every
//! document the stack takes in is measured here first, by a loop that needs no stack at all.

/// The hard bound of any setting: far below what recursion over one level costs a 2 MiB thread.
pub const MAX_DEPTH: usize = 1_000;

/// A document nests deeper than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// The limit.
    pub limit: usize,
    /// Where the level past the limit opens.
    pub at_byte: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "arrays and objects are nested deeper than {} levels (at byte {})",
            self.limit, self.at_byte
        )
    }
}

impl std::error::Error for TooDeep {}

/// Fails when arrays and objects in `doc` nest deeper than `limit` levels (`{}` is 1). Only
/// the nesting is measured: whether the text is valid JSON is the parser's to say.
pub fn check(doc: &[u8], limit: usize) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (at_byte, &b) in doc.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(TooDeep { limit, at_byte });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_levels_of_arrays_and_objects() {
        assert!(check(b"{}", 1).is_ok());
        assert!(check(br#"{"a":[{"b":[]}]}"#, 4).is_ok());
        assert_eq!(
            check(br#"{"a":[{"b":[]}]}"#, 3),
            Err(TooDeep {
                limit: 3,
                at_byte: 11
            })
        );
        assert!(check(b"[1,[2],[3],[4]]", 2).is_ok());
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        assert!(check(br#"{"a":"[[[[{{{{"}"#, 1).is_ok());
        assert!(check(br#"{"a":"\"[[[["}"#, 1).is_ok());
        assert!(check(br#"["\\",[[]]]"#, 2).is_err());
    }

    #[test]
    fn the_attack_document_is_refused() {
        let doc = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(check(doc.as_bytes(), 100).unwrap_err().at_byte, 100);
    }
}
