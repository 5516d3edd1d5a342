//! Finds and replaces values of a JSON document (its secrets, or one value at a path) without
//! touching anything else.
//!
//! Configurations are stored byte-exact (key order, spacing, number spelling), so encrypting their
//! `#` values cannot go through a parse and re-serialize: this scanner copies the document as it
//! is and swaps only the secret tokens. Callers validate the document first (serde_json gives the
//! better error); the scanner still refuses what it cannot read rather than guess.

use std::fmt;

/// Where a value sits in a document: `parameters.db.#password`, `items[2].#token`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The deepest nesting any scanner here reads, whatever a stack's settings allow: a hard bound
/// that keeps recursion far from a thread's stack size (3,000 levels were measured to fit).
pub const MAX_DEPTH: usize = crate::json_depth::MAX_DEPTH;

/// A value found under a `#` key: a string's text, or a number's spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretValue<'a> {
    pub path: &'a JsonPath,
    pub value: String,
}

/// The document is not JSON this scanner can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError(pub String);

/// Calls `f` for every string or number under a key starting with `#`, at any depth below it:
/// inside arrays and objects under such a key too (`"#creds": {"pass": "…"}`), so no value a user
/// marked secret is left in plaintext, and the stack seals exactly what a snapshot strips. Where
/// `f` answers `Some(text)`, the value is replaced by the JSON string `text`. Everything else is
/// copied byte for byte.
pub fn rewrite_secrets<E>(
    doc: &str,
    f: &mut dyn FnMut(SecretValue<'_>) -> Result<Option<String>, E>,
) -> Result<Result<String, E>, ScanError> {
    let mut scanner = Scanner::new(doc, None);
    let result = scanner.document(f)?;
    Ok(result.map(|()| scanner.out))
}

/// Replaces the value at an object-key path (`["authorization", "oauth_api"]`) with the raw JSON
/// `replacement`, copying everything else byte for byte. `None` when the path is not there, so a
/// caller can tell "removed" from "never present".
pub fn replace_value(
    doc: &str,
    path: &[&str],
    replacement: &str,
) -> Result<Option<String>, ScanError> {
    let mut scanner = Scanner::new(
        doc,
        Some(Target {
            path,
            replacement,
            hit: false,
        }),
    );
    let _ = scanner.document::<std::convert::Infallible>(&mut |_| Ok(None))?;
    let hit = scanner.target.as_ref().is_some_and(|t| t.hit);
    Ok(hit.then_some(scanner.out))
}

/// Every secret value of a document, with its path.
pub fn secret_values(doc: &str) -> Result<Vec<(String, String)>, ScanError> {
    let mut found = Vec::new();
    let _ = rewrite_secrets::<std::convert::Infallible>(doc, &mut |s| {
        found.push((s.path.to_string(), s.value));
        Ok(None)
    })?;
    Ok(found)
}

struct Target<'t> {
    path: &'t [&'t str],
    replacement: &'t str,
    hit: bool,
}

struct Scanner<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    out: String,
    path: JsonPath,
    target: Option<Target<'a>>,
    /// Arrays and objects open around the value being read: the scanner recurses once per
    /// level, so it stops at [`MAX_DEPTH`] instead of overflowing its thread's stack.
    depth: usize,
}

impl<'a> Scanner<'a> {
    fn new(doc: &'a str, target: Option<Target<'a>>) -> Self {
        Scanner {
            src: doc.as_bytes(),
            text: doc,
            pos: 0,
            out: String::with_capacity(doc.len()),
            path: JsonPath::default(),
            target,
            depth: 0,
        }
    }

    fn document<E>(
        &mut self,
        f: &mut dyn FnMut(SecretValue<'_>) -> Result<Option<String>, E>,
    ) -> Result<Result<(), E>, ScanError> {
        self.skip_ws();
        let result = self.value(false, f)?;
        self.skip_ws();
        if self.pos != self.src.len() {
            return Err(self.error("text after the end of the document"));
        }
        Ok(result)
    }

    fn at_target(&self) -> bool {
        self.target.as_ref().is_some_and(|t| {
            t.path.len() == self.path.0.len()
                && t.path
                    .iter()
                    .zip(&self.path.0)
                    .all(|(want, have)| matches!(have, Segment::Key(k) if k == want))
        })
    }

    fn error(&self, what: &str) -> ScanError {
        ScanError(format!("{what} at byte {}", self.pos))
    }

    fn skip_ws(&mut self) {
        let start = self.pos;
        while self.pos < self.src.len()
            && matches!(self.src[self.pos], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.pos += 1;
        }
        self.out.push_str(&self.text[start..self.pos]);
    }

    fn expect(&mut self, byte: u8) -> Result<(), ScanError> {
        if self.src.get(self.pos) == Some(&byte) {
            self.out.push(byte as char);
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", byte as char)))
        }
    }

    /// One value; `secret` says whether it sits under a `#` key.
    fn value<E>(
        &mut self,
        secret: bool,
        f: &mut dyn FnMut(SecretValue<'_>) -> Result<Option<String>, E>,
    ) -> Result<Result<(), E>, ScanError> {
        match self.src.get(self.pos) {
            Some(b'{' | b'[') if self.depth >= MAX_DEPTH => Err(self.error(&format!(
                "arrays and objects nested deeper than {MAX_DEPTH} levels"
            ))),
            Some(b'{') => {
                self.depth += 1;
                let result = self.object(secret, f);
                self.depth -= 1;
                result
            }
            Some(b'[') => {
                self.depth += 1;
                let result = self.array(secret, f);
                self.depth -= 1;
                result
            }
            Some(b'"') => {
                let (start, end) = self.string_token()?;
                let raw = &self.text[start..end];
                if !secret {
                    self.out.push_str(raw);
                    return Ok(Ok(()));
                }
                let value: String = serde_json::from_str(raw)
                    .map_err(|e| ScanError(format!("unreadable string at byte {start}: {e}")))?;
                Ok(self.replace(raw, value, f))
            }
            Some(_) => {
                let start = self.pos;
                while self.pos < self.src.len()
                    && !matches!(
                        self.src[self.pos],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.pos += 1;
                }
                let raw = &self.text[start..self.pos];
                let is_number = raw.starts_with(|c: char| c == '-' || c.is_ascii_digit());
                if !matches!(raw, "true" | "false" | "null") && !is_number {
                    return Err(ScanError(format!("unexpected '{raw}' at byte {start}")));
                }
                if secret && is_number {
                    Ok(self.replace(raw, raw.to_string(), f))
                } else {
                    self.out.push_str(raw);
                    Ok(Ok(()))
                }
            }
            None => Err(self.error("unexpected end of the document")),
        }
    }

    fn replace<E>(
        &mut self,
        raw: &str,
        value: String,
        f: &mut dyn FnMut(SecretValue<'_>) -> Result<Option<String>, E>,
    ) -> Result<(), E> {
        let replacement = f(SecretValue {
            path: &self.path,
            value,
        })?;
        match replacement {
            Some(text) => self
                .out
                .push_str(&serde_json::to_string(&text).expect("a string always serializes")),
            None => self.out.push_str(raw),
        }
        Ok(())
    }

    /// Finds the end of the string token at `pos` and moves past it, returning its byte range.
    fn string_token(&mut self) -> Result<(usize, usize), ScanError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.src.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok((start, self.pos));
                }
                Some(b'\\') => self.pos += 2,
                Some(_) => self.pos += 1,
                None => return Err(self.error("unclosed string")),
            }
        }
    }

    fn object<E>(
        &mut self,
        inherited: bool,
        f: &mut dyn FnMut(SecretValue<'_>) -> Result<Option<String>, E>,
    ) -> Result<Result<(), E>, ScanError> {
        self.expect(b'{')?;
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.expect(b'}')?;
            return Ok(Ok(()));
        }
        loop {
            if self.src.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a key"));
            }
            let (start, end) = self.string_token()?;
            let raw = &self.text[start..end];
            self.out.push_str(raw);
            let key: String = serde_json::from_str(raw)
                .map_err(|e| ScanError(format!("unreadable key at byte {start}: {e}")))?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let secret = inherited || key.starts_with('#');
            self.path.0.push(Segment::Key(key));
            let inner = if self.at_target() {
                // Read the old value to find its end, then put the replacement in its place.
                let mark = self.out.len();
                let inner = self.value(secret, f)?;
                self.out.truncate(mark);
                if let Some(t) = self.target.as_mut() {
                    self.out.push_str(t.replacement);
                    t.hit = true;
                }
                inner
            } else {
                self.value(secret, f)?
            };
            self.path.0.pop();
            if inner.is_err() {
                return Ok(inner);
            }
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.expect(b',')?;
                    self.skip_ws();
                }
                Some(b'}') => {
                    self.expect(b'}')?;
                    return Ok(Ok(()));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array<E>(
        &mut self,
        secret: bool,
        f: &mut dyn FnMut(SecretValue<'_>) -> Result<Option<String>, E>,
    ) -> Result<Result<(), E>, ScanError> {
        self.expect(b'[')?;
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.expect(b']')?;
            return Ok(Ok(()));
        }
        let mut index = 0;
        loop {
            self.path.0.push(Segment::Index(index));
            let inner = self.value(secret, f)?;
            self.path.0.pop();
            if inner.is_err() {
                return Ok(inner);
            }
            index += 1;
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.expect(b',')?;
                    self.skip_ws();
                }
                Some(b']') => {
                    self.expect(b']')?;
                    return Ok(Ok(()));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(doc: &str) -> String {
        rewrite_secrets::<()>(doc, &mut |s| Ok(Some(s.value.to_uppercase())))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn copies_everything_but_secrets_byte_for_byte() {
        let doc = "{ \"b\" : 1.50e3,\n\t\"a\":{}, \"#p\":\"x\\u0041\", \"n\": [true,null] }";
        assert_eq!(
            upper(doc),
            "{ \"b\" : 1.50e3,\n\t\"a\":{}, \"#p\":\"XA\", \"n\": [true,null] }"
        );
        assert_eq!(upper("{}"), "{}");
        assert_eq!(upper(" [ ] "), " [ ] ");
    }

    #[test]
    fn nesting_past_the_bound_is_refused_not_overflowed() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(rewrite_secrets::<()>(&deep, &mut |_| Ok(None)).is_err());
        let fits = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(secret_values(&fits).unwrap(), vec![]);
    }

    #[test]
    fn finds_secrets_at_any_depth_and_in_arrays() {
        let doc = r##"{"p":{"db":{"#password":"pw","user":"u"}},"list":[{"#t":"a"}],"#keys":["k1",["k2"],{"x":"plain","#y":7}],"#flag":true}"##;
        let found = secret_values(doc).unwrap();
        assert_eq!(
            found,
            vec![
                ("p.db.#password".to_string(), "pw".to_string()),
                ("list[0].#t".to_string(), "a".to_string()),
                ("#keys[0]".to_string(), "k1".to_string()),
                ("#keys[1][0]".to_string(), "k2".to_string()),
                ("#keys[2].x".to_string(), "plain".to_string()),
                ("#keys[2].#y".to_string(), "7".to_string()),
            ]
        );
    }

    #[test]
    fn objects_under_hash_keys_are_secret_too() {
        let doc =
            r##"{"#creds":{"pass":"p","n":1,"ok":true},"#list":[{"k":"v"}],"plain":{"a":"b"}}"##;
        let out = rewrite_secrets::<()>(doc, &mut |_| Ok(Some(String::new())))
            .unwrap()
            .unwrap();
        assert_eq!(
            out,
            r##"{"#creds":{"pass":"","n":"","ok":true},"#list":[{"k":""}],"plain":{"a":"b"}}"##
        );
        assert_eq!(secret_values(doc).unwrap().len(), 3);
    }

    #[test]
    fn escaped_hash_keys_count() {
        let found = secret_values(r#"{"\u0023p":"s"}"#).unwrap();
        assert_eq!(found, vec![("#p".to_string(), "s".to_string())]);
    }

    #[test]
    fn replaces_one_value_and_keeps_the_rest() {
        let doc = "{\"a\" : 1,\n \"authorization\": {\"oauth_api\": {\"id\": \"7\", \"x\": [1,{}]}, \"k\":2}}";
        let out = replace_value(doc, &["authorization", "oauth_api"], "{}")
            .unwrap()
            .unwrap();
        assert_eq!(
            out,
            "{\"a\" : 1,\n \"authorization\": {\"oauth_api\": {}, \"k\":2}}"
        );
        assert_eq!(
            replace_value(doc, &["authorization", "nope"], "{}").unwrap(),
            None
        );
        assert_eq!(replace_value("[1]", &["a"], "{}").unwrap(), None);
    }

    #[test]
    fn refuses_broken_documents() {
        for doc in ["{", "{\"a\" 1}", "[1,]x", "{\"a\":tru}", "\"abc"] {
            assert!(secret_values(doc).is_err(), "{doc}");
        }
    }
}
