//! `[filter]`: industrial and other non-straw heat sources.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {}

impl FilterConfig {
    pub(crate) fn resolve_paths(&mut self, _fix: &dyn Fn(&mut PathBuf)) {}
}
