//! `GET /v2/storage/triggers`.

use super::query;

query! {
    /// The reference's filters of the trigger listing.
    pub struct TriggerListQuery {
        /// Only triggers of this component.
        pub component: Option<String> = string "component",
        /// Only triggers of this configuration.
        pub configuration_id: Option<String> = string "configurationId",
    }
}
