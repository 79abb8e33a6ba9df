//! `[detect]`: hotspot detection on raw granules.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Folder of sensor profiles (`<name>.toml`).
    #[serde(default = "default_models_dir")]
    pub models_dir: PathBuf,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            models_dir: default_models_dir(),
        }
    }
}

fn default_models_dir() -> PathBuf {
    PathBuf::from("models")
}

impl DetectConfig {
    pub(crate) fn resolve_paths(&mut self, fix: &dyn Fn(&mut PathBuf)) {
        fix(&mut self.models_dir);
    }
}
