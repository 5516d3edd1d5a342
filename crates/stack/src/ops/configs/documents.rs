//! The documents a caller sends (`configuration`, `state`, and those of rows): what the stack
//! accepts, and the form it stores them in.

use stackport_model::api::RawJson;
use stackport_model::{ComponentId, ProjectId};

use crate::error::{Error, Result};
use crate::Stack;

/// Largest `configuration` or `state` document.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

impl Stack {
    /// A document as it is stored: within the size and depth limits, its plaintext `#` values
    /// sealed.
    pub(crate) fn accept_document(
        &self,
        project: ProjectId,
        component: &ComponentId,
        doc: &RawJson,
        what: &str,
    ) -> Result<RawJson> {
        check_document(doc, what)?;
        self.check_json_depth(doc.get(), what)?;
        self.seal_document(project, component, doc)
    }
}

/// A document must be a JSON object of at most [`MAX_DOCUMENT_BYTES`]; the size is checked
/// first so a huge body is refused before anything reads into it.
pub(super) fn check_document(doc: &RawJson, what: &str) -> Result<()> {
    if doc.get().len() > MAX_DOCUMENT_BYTES {
        return Err(Error::new(
            crate::ErrorKind::TooLarge,
            "components.documentTooLarge",
            format!(
                "{what} has {} bytes; at most {MAX_DOCUMENT_BYTES} are allowed",
                doc.get().len()
            ),
        ));
    }
    if !doc.is_object() {
        return Err(Error::invalid(
            "components.documentNotObject",
            format!("{what} must be a JSON object such as {{}}"),
        ));
    }
    Ok(())
}

/// Configurations are found by people by their names, so a blank one is refused.
pub(super) fn check_name(name: &str, what: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(
            "components.configurations.nameRequired",
            format!("{what} needs a non-empty name"),
        ));
    }
    Ok(())
}

/// A stored document back in its API form; the store keeps what [`check_document`] let in, so
/// a failure here is the stack's fault, not the caller's.
pub(super) fn raw(text: String) -> Result<RawJson> {
    RawJson::from_string(text).map_err(|e| Error::internal("reading a stored document", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn doc(text: &str) -> RawJson {
        RawJson::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn an_object_up_to_the_limit_is_accepted() {
        check_document(&doc("{}"), "configuration").unwrap();
        check_document(&doc("  \n{\"a\": [1, 2]}"), "configuration").unwrap();
        // Exactly MAX_DOCUMENT_BYTES: `{"a":"…"}` is 8 bytes around the string.
        let at_limit = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_DOCUMENT_BYTES - 8));
        assert_eq!(at_limit.len(), MAX_DOCUMENT_BYTES);
        check_document(&doc(&at_limit), "configuration").unwrap();
    }

    #[test]
    fn a_byte_over_the_limit_is_too_large() {
        let over = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_DOCUMENT_BYTES - 7));
        let e = check_document(&doc(&over), "row state").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
        assert_eq!(e.code(), "components.documentTooLarge");
        assert!(
            e.message().starts_with("row state has 4194305 bytes"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn a_document_that_is_not_an_object_is_refused() {
        for text in ["[]", "\"{}\"", "1", "null", "true", " [{}]"] {
            let e = check_document(&doc(text), "state").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid, "{text}");
            assert_eq!(e.code(), "components.documentNotObject", "{text}");
            assert!(
                e.message().starts_with("state must be a JSON object"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_blank_name_is_refused() {
        check_name("Sales", "a configuration").unwrap();
        for name in ["", " ", "\t\n"] {
            let e = check_name(name, "a configuration").unwrap_err();
            assert_eq!(e.code(), "components.configurations.nameRequired");
        }
    }

    #[test]
    fn a_stored_document_comes_back_as_stored() {
        let text = "{ \"#password\" : \"KBC::ProjectSecure::abc\" , \"n\": 1.50 }";
        assert_eq!(raw(text.to_string()).unwrap().get(), text);
        assert_eq!(raw("{".into()).unwrap_err().kind(), ErrorKind::Internal);
    }
}
