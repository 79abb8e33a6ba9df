//! `[detect]`: hotspot detection on raw granules.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Folder of sensor profiles (`<name>.toml`).
    #[serde(default = "default_models_dir")]
    pub models_dir: PathBuf,
    /// Profile for granules that name no sensor of their own (no `SENSOR_PROFILE` metadata and
    /// no instrument metadata matching a profile), e.g. "viirs-375m" at a VIIRS receiving station.
    #[serde(default)]
    pub sensor: Option<String>,
    /// When set, `burnwatch ingest` writes each granule's fire mask (VNP14IMG classes 0–9,
    /// GeoTIFF) into this folder as `<granule>.firemask.tif`.
    #[serde(default)]
    pub mask_dir: Option<PathBuf>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            models_dir: default_models_dir(),
            sensor: None,
            mask_dir: None,
        }
    }
}

fn default_models_dir() -> PathBuf {
    PathBuf::from("models")
}

impl DetectConfig {
    pub(crate) fn resolve_paths(&mut self, fix: &dyn Fn(&mut PathBuf)) {
        fix(&mut self.models_dir);
        if let Some(dir) = &mut self.mask_dir {
            fix(dir);
        }
    }
}
