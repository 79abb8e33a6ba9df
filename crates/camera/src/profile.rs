//! The camera detectors' numbers, read from `models/*.toml` so that no threshold lives in code:
//! the thermal contextual test, the colour rules, and the temporal confirmation of each.

use crate::CameraError;
use burnwatch_detect::profile::Window;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Temporal confirmation (Pyronear's scheme): pool the boxes of the last `frames` frames of one
/// camera and pose, keep a box seen in at least `min_fraction` of them whose mean score reaches
/// `min_score` (or `open_alert_score` while the camera has a fire reported).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmParams {
    pub frames: usize,
    pub min_fraction: f32,
    pub min_score: f32,
    pub open_alert_score: f32,
    /// Boxes of two frames are the same object from this IoU on.
    pub iou: f32,
    /// A reported fire counts as an open alert for this long, seconds.
    pub alert_hold_secs: f64,
    /// A fire still seen is reported again after this long, seconds.
    pub repeat_secs: f64,
}

/// Thermal (radiometric) frames: hot relative to a growing background window and hot in
/// absolute terms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalProfile {
    pub name: String,
    pub description: String,
    /// Background window growth; the same table as the satellite profiles.
    pub window: Window,
    /// A pixel is tested only if at least this hot, K…
    pub candidate_k: f32,
    /// …and this much hotter than the frame's median, K. Such pixels are also left out of
    /// every background window, so a large fire does not raise its own background.
    pub candidate_rise_k: f32,
    /// Contextual test: T > Tb + `rise_mad`·δ and T − Tb > `rise_k` (δ = mean absolute deviation).
    pub rise_mad: f32,
    pub rise_k: f32,
    /// δ below this is taken as this, K: a uniform field would otherwise make any bump a fire.
    pub mad_floor_k: f32,
    /// A fire whatever its surroundings, K.
    pub absolute_k: f32,
    /// Confidence ramps S(x; a, b) on T, on T − Tb and on (T − Tb)/δ.
    pub confidence_temp_k: [f32; 2],
    pub confidence_rise_k: [f32; 2],
    pub confidence_z: [f32; 2],
    pub confirm: ConfirmParams,
}

/// Visible frames, colour rules: only candidate generators (sunsets, sodium lamps and autumn
/// leaves pass them too).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColourProfile {
    pub name: String,
    pub description: String,
    /// Chen et al. 2004: R > R_T, R ≥ G > B, S ≥ (255 − R)·S_T/R_T.
    pub chen_red_min: u8,
    pub chen_saturation: f32,
    /// Çelik & Demirel 2009 (YCbCr): Y > Cb, Cr > Cb, |Cr − Cb| ≥ τ, and Y, Cr above and Cb
    /// below the frame's means.
    pub celik_tau: f32,
    pub celik_use_means: bool,
    /// Smoke (Chen 2004): greyish, max − min of R, G, B below this…
    pub smoke_grey_max_spread: u8,
    /// …with an intensity in this range.
    pub smoke_intensity: [u8; 2],
    /// Pixels are pooled in square cells of this side; a cell counts when at least
    /// `min_cell_hits` of its pixels pass.
    pub cell: usize,
    pub min_cell_hits: usize,
    /// Rows tested: every `row_step`-th (1 = all); cell hits count tested pixels.
    pub row_step: usize,
    /// A region needs at least this many passing pixels (fire) and this fraction of the frame
    /// (smoke, which is large or nothing).
    pub min_fire_pixels: usize,
    pub min_smoke_fraction: f32,
    /// Score = S(fill; a, b) where fill is the share of passing pixels in the region's cells.
    pub score_fill: [f32; 2],
    pub confirm: ConfirmParams,
}

pub(crate) fn load_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CameraError> {
    let text = std::fs::read_to_string(path).map_err(|e| CameraError::Profile {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| CameraError::Profile {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// `dir/<name>.toml`.
pub fn profile_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

impl ConfirmParams {
    fn check(&self, path: &Path) -> Result<(), CameraError> {
        let bad = |reason: String| CameraError::Profile {
            path: path.to_owned(),
            reason,
        };
        if self.frames == 0 {
            return Err(bad("confirm.frames must be at least 1".into()));
        }
        if !(0.0..=1.0).contains(&self.min_fraction) {
            return Err(bad("confirm.min_fraction must be in 0–1".into()));
        }
        if self.open_alert_score > self.min_score {
            return Err(bad(
                "confirm.open_alert_score must not exceed confirm.min_score".into(),
            ));
        }
        Ok(())
    }
}

/// The shipped profiles, compiled in from `models/camera/` so that a deployment without a models
/// folder still detects; a file of the same name in the models folder takes precedence.
const BUILTIN: [(&str, &str); 2] = [
    (
        "thermal",
        include_str!("../../../models/camera/thermal.toml"),
    ),
    ("colour", include_str!("../../../models/camera/colour.toml")),
];

/// Reads `dir/<name>.toml`, or the shipped profile of that name when the file is absent.
fn load_or_builtin<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
) -> Result<(T, PathBuf), CameraError> {
    let path = profile_path(dir, name);
    if !path.exists() {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) {
            let p = toml::from_str(text).map_err(|e| CameraError::Profile {
                path: path.clone(),
                reason: format!("shipped profile: {e}"),
            })?;
            return Ok((p, path));
        }
    }
    Ok((load_toml(&path)?, path))
}

impl ThermalProfile {
    pub fn load(dir: &Path, name: &str) -> Result<Self, CameraError> {
        let (p, path): (Self, PathBuf) = load_or_builtin(dir, name)?;
        p.confirm.check(&path)?;
        let w = &p.window;
        if w.min_size % 2 == 0 || w.max_size < w.min_size {
            return Err(CameraError::Profile {
                path,
                reason: "window sizes must be odd and min_size ≤ max_size".into(),
            });
        }
        Ok(p)
    }
}

impl ColourProfile {
    pub fn load(dir: &Path, name: &str) -> Result<Self, CameraError> {
        let (p, path): (Self, PathBuf) = load_or_builtin(dir, name)?;
        p.confirm.check(&path)?;
        if p.cell == 0 || p.cell > 64 {
            return Err(CameraError::Profile {
                path,
                reason: "cell must be 1–64 pixels".into(),
            });
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_load_without_a_models_folder_and_files_take_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let t = ThermalProfile::load(dir.path(), "thermal").unwrap();
        assert_eq!(t.name, "thermal");
        let c = ColourProfile::load(dir.path(), "colour").unwrap();
        assert_eq!(c.cell, 4);
        let text =
            include_str!("../../../models/camera/colour.toml").replace("cell = 4 ", "cell = 8 ");
        std::fs::write(dir.path().join("colour.toml"), text).unwrap();
        assert_eq!(ColourProfile::load(dir.path(), "colour").unwrap().cell, 8);
        let e = ThermalProfile::load(dir.path(), "thermal-night").unwrap_err();
        assert!(e.to_string().contains("thermal-night.toml"), "{e}");
    }
}
