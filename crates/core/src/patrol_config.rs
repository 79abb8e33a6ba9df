//! `[patrol]`: field evidence sent from the patrol page.
//!
//! ```toml
//! [patrol]
//! photos_dir = "../var/photos"   # default: photos/ beside the store file
//! max_photo_mb = 10              # larger uploads are refused with 413
//! far_km = 1.0                   # a photo farther than this from the alert point (and outside
//!                                # its search circle) is flagged
//! old_slack_minutes = 30         # …and one taken this long before the first detection
//! ```
//!
//! Values are checked while the file is read, so a bad setting fails at load with its name.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawPatrol")]
pub struct PatrolConfig {
    /// Where uploaded photos are kept; `None`: a `photos/` folder beside the store file.
    pub photos_dir: Option<PathBuf>,
    pub max_photo_bytes: usize,
    /// A photo taken farther than this from the alert point, and outside its search circle, is
    /// flagged `far`.
    pub far_km: f64,
    /// A fire burns before a satellite sees it, so only a photo older than the first detection
    /// by more than this is flagged old.
    pub old_slack_minutes: f64,
}

impl Default for PatrolConfig {
    fn default() -> Self {
        Self {
            photos_dir: None,
            max_photo_bytes: (DEFAULT_MAX_MB * 1024.0 * 1024.0) as usize,
            far_km: DEFAULT_FAR_KM,
            old_slack_minutes: DEFAULT_OLD_SLACK_MINUTES,
        }
    }
}

const DEFAULT_MAX_MB: f64 = 10.0;
const DEFAULT_FAR_KM: f64 = 1.0;
const DEFAULT_OLD_SLACK_MINUTES: f64 = 30.0;

impl PatrolConfig {
    /// Makes a relative photo folder relative to the config file, like every other path.
    pub fn resolve_paths(&mut self, fix: &dyn Fn(&mut PathBuf)) {
        if let Some(p) = &mut self.photos_dir {
            fix(p);
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatrol {
    photos_dir: Option<PathBuf>,
    max_photo_mb: Option<f64>,
    far_km: Option<f64>,
    old_slack_minutes: Option<f64>,
}

impl TryFrom<RawPatrol> for PatrolConfig {
    type Error = String;

    fn try_from(r: RawPatrol) -> Result<Self, String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(format!("patrol.{name} must be a positive number, got {v}"))
            }
        };
        let mb = positive("max_photo_mb", r.max_photo_mb.unwrap_or(DEFAULT_MAX_MB))?;
        // Beyond this a phone on a weak signal never finishes the upload anyway.
        if mb > 100.0 {
            return Err(format!("patrol.max_photo_mb is at most 100, got {mb}"));
        }
        let slack = r.old_slack_minutes.unwrap_or(DEFAULT_OLD_SLACK_MINUTES);
        if !(slack.is_finite() && slack >= 0.0) {
            return Err(format!(
                "patrol.old_slack_minutes must be a non-negative number, got {slack}"
            ));
        }
        Ok(Self {
            photos_dir: r.photos_dir,
            max_photo_bytes: (mb * 1024.0 * 1024.0) as usize,
            far_km: positive("far_km", r.far_km.unwrap_or(DEFAULT_FAR_KM))?,
            old_slack_minutes: slack,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wrap {
        patrol: PatrolConfig,
    }

    fn parse(text: &str) -> Result<PatrolConfig, String> {
        toml::from_str::<Wrap>(text)
            .map(|w| w.patrol)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_values() {
        let c = parse("[patrol]\n").unwrap();
        assert_eq!(c, PatrolConfig::default());
        assert_eq!(c.max_photo_bytes, 10 * 1024 * 1024);
        let c = parse("[patrol]\nphotos_dir = \"p\"\nmax_photo_mb = 2.5\nfar_km = 0.5\n").unwrap();
        assert_eq!(c.photos_dir, Some(PathBuf::from("p")));
        assert_eq!(c.max_photo_bytes, 2_621_440);
        assert_eq!(c.far_km, 0.5);
    }

    #[test]
    fn bad_values_fail_with_their_name() {
        assert!(parse("[patrol]\nmax_photo_mb = 0\n")
            .unwrap_err()
            .contains("max_photo_mb"));
        assert!(parse("[patrol]\nfar_km = -1\n")
            .unwrap_err()
            .contains("far_km"));
        assert!(parse("[patrol]\nphoto_dir = \"x\"\n")
            .unwrap_err()
            .contains("photo_dir"));
    }
}
