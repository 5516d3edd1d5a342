//! A form's pairs read into a tree: `metadata[0][key]=k` puts `k` under the path
//! `metadata`, `0`, `key`.
//!
//! Each branch keeps an index of its keys, so a large form is read in linear time, and every
//! field's nesting is measured against the limit before anything is inserted.

use std::collections::HashMap;

use super::FormError;

/// One value of a form: a string, or the fields nested under a name.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Leaf(String),
    Branch(Branch),
}

/// Fields nested under one name, in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Branch {
    entries: Vec<(String, Node)>,
    index: HashMap<String, usize>,
    /// The index an `x[]` entry gets: one past the largest numeric key, as on the reference.
    next_index: u64,
    /// Whether every key is a number (`x[]` or `x[3]`): such a branch can be a list.
    numeric: bool,
}

impl Branch {
    fn new() -> Self {
        Branch {
            numeric: true,
            ..Branch::default()
        }
    }

    /// Whether the branch can be read as a list (every key a number, or none at all).
    pub fn is_list(&self) -> bool {
        self.numeric
    }

    /// The entries in the order they were sent.
    pub fn into_entries(self) -> Vec<(String, Node)> {
        self.entries
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    fn push(&mut self, key: String, node: Node) -> usize {
        match key.parse::<u64>() {
            Ok(n) => self.next_index = self.next_index.max(n.saturating_add(1)),
            Err(_) => self.numeric = false,
        }
        let at = self.entries.len();
        self.index.insert(key.clone(), at);
        self.entries.push((key, node));
        at
    }
}

/// One bracketed part of a field's name: `[]` appends, `[k]` names a key.
enum Segment<'a> {
    Append,
    Key(&'a str),
}

/// [`parse_with_lists`] without list fields.
#[cfg(test)]
pub fn parse(body: &str, max_depth: usize) -> Result<Node, FormError> {
    parse_with_lists(body, max_depth, &[])
}

/// Reads a form body into a tree; a field nested deeper than `max_depth` levels (counted as in
/// JSON: `a=1` is one level, `a[b]=1` two) is refused before it is stored. A plain name of
/// `lists` may repeat and means a list (`x=a&x=b` is `x[]=a&x[]=b`), as Python's `requests`
/// writes a list in a form; any other repeated name is refused, since which of its values was
/// meant cannot be known.
pub fn parse_with_lists(body: &str, max_depth: usize, lists: &[&str]) -> Result<Node, FormError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(body)
        .map_err(|e| FormError::invalid(format!("the form is not valid: {e}")))?;
    let mut root = Branch::new();
    for (mut field, value) in pairs {
        if lists.contains(&field.as_str()) {
            field.push_str("[]");
        }
        let segments = segments(&field)?;
        if segments.len() > max_depth {
            return Err(FormError::too_deep(format!(
                "form field '{}' nests {} levels, deeper than {max_depth}",
                truncated(&field),
                segments.len()
            )));
        }
        insert(&mut root, &segments, value, &field)?;
    }
    Ok(Node::Branch(root))
}

/// A field's name for a message: a long one cut short.
fn truncated(field: &str) -> String {
    match field.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &field[..at]),
        None => field.to_string(),
    }
}

/// `name[a][]` → `name`, `a`, append.
fn segments(field: &str) -> Result<Vec<Segment<'_>>, FormError> {
    let malformed = || {
        FormError::invalid(format!(
            "form field '{}' is not valid: write a name, then any [key] or [] parts, as in \
             metadata[0][key]",
            truncated(field)
        ))
    };
    let (name, mut rest) = field.split_at(field.find('[').unwrap_or(field.len()));
    if name.is_empty() {
        return Err(malformed());
    }
    let mut segments = vec![Segment::Key(name)];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(malformed)?;
        let close = inner.find(']').ok_or_else(malformed)?;
        segments.push(match &inner[..close] {
            "" => Segment::Append,
            key => Segment::Key(key),
        });
        rest = &inner[close + 1..];
    }
    Ok(segments)
}

fn insert(
    root: &mut Branch,
    segments: &[Segment<'_>],
    value: String,
    field: &str,
) -> Result<(), FormError> {
    let conflict = || {
        FormError::invalid(format!(
            "form field '{}' is given more than once or both as a value and as nested fields; \
             send a list as name[]=a&name[]=b",
            truncated(field)
        ))
    };
    let mut branch = root;
    let (last, parents) = segments.split_last().expect("a field has a name");
    for segment in parents {
        let key = key_of(branch, segment);
        let at = match branch.position(&key) {
            Some(at) => at,
            None => branch.push(key, Node::Branch(Branch::new())),
        };
        branch = match &mut branch.entries[at].1 {
            Node::Branch(child) => child,
            Node::Leaf(_) => return Err(conflict()),
        };
    }
    let key = key_of(branch, last);
    if branch.position(&key).is_some() {
        return Err(conflict());
    }
    branch.push(key, Node::Leaf(value));
    Ok(())
}

fn key_of(branch: &Branch, segment: &Segment<'_>) -> String {
    match segment {
        Segment::Append => branch.next_index.to_string(),
        Segment::Key(key) => (*key).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(s: &str) -> Node {
        Node::Leaf(s.into())
    }

    fn entries(node: Node) -> Vec<(String, Node)> {
        match node {
            Node::Branch(b) => b.into_entries(),
            Node::Leaf(l) => panic!("a leaf {l}"),
        }
    }

    #[test]
    fn nesting_and_lists_make_a_tree_in_the_order_sent() {
        let tree = parse(
            "name=a+b&x[]=1&x[]=2&metadata[0][key]=k&metadata[0][value]=v%26w&p[in.c-x]=read",
            100,
        )
        .unwrap();
        let top = entries(tree);
        let keys: Vec<_> = top.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["name", "x", "metadata", "p"]);
        assert_eq!(top[0].1, leaf("a b"));
        let Node::Branch(x) = &top[1].1 else { panic!() };
        assert!(x.is_list());
        assert_eq!(
            x.clone().into_entries(),
            [("0".into(), leaf("1")), ("1".into(), leaf("2"))]
        );
        let metadata = entries(top[2].1.clone());
        let first = entries(metadata[0].1.clone());
        assert_eq!(
            first,
            [("key".into(), leaf("k")), ("value".into(), leaf("v&w"))]
        );
        let Node::Branch(p) = &top[3].1 else { panic!() };
        assert!(!p.is_list());
        assert_eq!(p.clone().into_entries(), [("in.c-x".into(), leaf("read"))]);
    }

    #[test]
    fn append_follows_the_largest_index() {
        let x = entries(entries(parse("x[5]=a&x[]=b", 10).unwrap())[0].1.clone());
        assert_eq!(x, [("5".into(), leaf("a")), ("6".into(), leaf("b"))]);
    }

    #[test]
    fn depth_is_counted_as_in_json() {
        assert!(parse("a[b][c]=1", 3).is_ok());
        let e = parse("a[b][c][d]=1", 3).unwrap_err();
        assert!(e.too_deep, "{e}");
        assert!(
            e.to_string().contains("nests 4 levels, deeper than 3"),
            "{e}"
        );
    }

    #[test]
    fn repeated_conflicting_and_malformed_fields_are_refused() {
        for body in [
            "a=1&a=2",
            "a=1&a[b]=2",
            "a[b]=2&a=1",
            "a[b=1",
            "[a]=1",
            "a[b]c=1",
        ] {
            let e = parse(body, 10).unwrap_err();
            assert!(!e.too_deep, "{body}");
            assert!(e.to_string().contains("form field '"), "{body}: {e}");
        }
    }

    #[test]
    fn a_list_field_may_repeat_its_plain_name() {
        let tree = parse_with_lists("ids=a&ids=b&n=1", 10, &["ids"]).unwrap();
        let Node::Branch(root) = tree else {
            panic!("a form is a branch")
        };
        let entries = root.into_entries();
        assert_eq!(entries[0].0, "ids");
        let Node::Branch(ids) = &entries[0].1 else {
            panic!("ids is a list")
        };
        assert!(ids.is_list());
        assert_eq!(ids.clone().into_entries().len(), 2);
        assert!(parse_with_lists("n=1&n=2", 10, &["ids"]).is_err());
    }

    #[test]
    fn an_empty_body_is_an_empty_form() {
        assert_eq!(entries(parse("", 10).unwrap()), []);
    }
}
