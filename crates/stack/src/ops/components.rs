//! The stack's component registry as the API sees it.

use stackport_model::api::Component;

use crate::error::Result;
use crate::Stack;

impl Stack {
    /// Every component this stack has.
    pub fn components(&self) -> Vec<Component> {
        self.registry.all()
    }

    /// Replaces the registry (stack administrator). Configurations of components that leave it
    /// stay where they are; new ones cannot be created until the component is back.
    pub fn replace_components(&self, components: Vec<Component>) -> Result<Vec<Component>> {
        self.registry.replace(components)?;
        Ok(self.registry.all())
    }
}
