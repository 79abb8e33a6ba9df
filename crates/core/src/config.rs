//! burnwatch.toml. Unknown keys are rejected so a misspelt setting fails loudly instead of being
//! silently ignored for a whole season. Relative paths are taken from the config file's folder.

use crate::coords::InputCrs;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid config {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub regions: RegionsConfig,
    #[serde(default)]
    pub events: EventsConfig,
    #[serde(default)]
    pub ingest: IngestConfig,
    #[serde(default)]
    pub server: crate::daemon_config::ServerConfig,
    #[serde(default)]
    pub inbox: crate::daemon_config::InboxConfig,
    pub firms: Option<crate::daemon_config::FirmsConfig>,
    #[serde(default)]
    pub cameras: Vec<crate::daemon_config::CameraConfig>,
    #[serde(default)]
    pub frames: crate::daemon_config::FramesConfig,
    #[serde(default)]
    pub notify: crate::notify_config::NotifyConfig,
    #[serde(default)]
    pub detect: crate::detect_config::DetectConfig,
    #[serde(default)]
    pub filter: crate::filter_config::FilterConfig,
    #[serde(default)]
    pub reports: crate::reports_config::ReportsConfig,
    #[serde(default)]
    pub patrol: crate::patrol_config::PatrolConfig,
    /// `[deadlines]`: the one definition of response deadlines (see `schedule`).
    #[serde(default)]
    pub deadlines: crate::schedule::Deadlines,
    /// `[[seasons]]`: the named seasons of each year, with their own deadlines.
    #[serde(default)]
    pub seasons: crate::schedule::Seasons,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite database file.
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("var/burnwatch.sqlite"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionsConfig {
    /// County-level polygons (optional: townships may carry their county in `parent_field`).
    pub counties: Option<LayerConfig>,
    /// Township polygons: alerts are routed to these.
    pub townships: Option<LayerConfig>,
    /// A fire this close to a township border is also shown to the neighbour, km.
    #[serde(default = "default_border_km")]
    pub border_km: f64,
}

impl Default for RegionsConfig {
    fn default() -> Self {
        Self {
            counties: None,
            townships: None,
            border_km: default_border_km(),
        }
    }
}

fn default_border_km() -> f64 {
    0.5
}

/// One polygon layer that OGR can read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerConfig {
    pub path: PathBuf,
    /// Layer name inside a multi-layer source (GeoPackage); the first layer when absent.
    pub layer: Option<String>,
    pub id_field: String,
    pub name_field: Option<String>,
    /// Field holding the parent region's id (a township's county code).
    pub parent_field: Option<String>,
    #[serde(default)]
    pub crs: InputCrs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsConfig {
    /// Detections of one pass closer than this belong to one fire, transitively, km.
    #[serde(default = "default_cluster_radius_km")]
    pub cluster_radius_km: f64,
    /// A later detection this close in space…
    #[serde(default = "default_cluster_radius_km")]
    pub attach_radius_km: f64,
    /// …and within this many hours of an event's last detection joins that event.
    #[serde(default = "default_attach_window_hours")]
    pub attach_window_hours: f64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            cluster_radius_km: default_cluster_radius_km(),
            attach_radius_km: default_cluster_radius_km(),
            attach_window_hours: default_attach_window_hours(),
        }
    }
}

fn default_cluster_radius_km() -> f64 {
    0.8
}

fn default_attach_window_hours() -> f64 {
    24.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Where rejected files are moved, each with a `.reason.txt` beside it.
    pub quarantine_dir: PathBuf,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            quarantine_dir: PathBuf::from("var/quarantine"),
        }
    }
}

impl Config {
    /// The deadlines and seasons that the notifier, the statistics and the learner all read.
    pub fn schedule(&self) -> crate::schedule::Schedule {
        crate::schedule::Schedule {
            deadlines: self.deadlines,
            seasons: self.seasons.clone(),
        }
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = without_dot_dot(&base.join(&*p));
            }
        };
        fix(&mut self.store.path);
        fix(&mut self.ingest.quarantine_dir);
        fix(&mut self.inbox.dir);
        self.frames.resolve_paths(&|p| fix(p));
        self.detect.resolve_paths(&|p| fix(p));
        self.filter.resolve_paths(&|p| fix(p));
        self.patrol.resolve_paths(&|p| fix(p));
        for layer in [&mut self.regions.counties, &mut self.regions.townships]
            .into_iter()
            .flatten()
        {
            fix(&mut layer.path);
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.notify.validate()?;
        if let Some(f) = &self.firms {
            if !(1..=5).contains(&f.day_range) {
                return Err(format!(
                    "firms.day_range must be 1 to 5, got {}",
                    f.day_range
                ));
            }
            if f.products.is_empty() {
                return Err("firms.products is empty: name at least one FIRMS source".into());
            }
        }
        let mut ids = std::collections::HashSet::new();
        for c in &self.cameras {
            if !ids.insert(&c.id) {
                return Err(format!("camera id {:?} appears twice", c.id));
            }
            if c.preset.is_none() && c.pose_url.is_none() {
                return Err(format!(
                    "camera {:?} needs a preset or a pose_url: a frame without a pose cannot be located",
                    c.id
                ));
            }
            if c.auth != crate::daemon_config::CameraAuth::None && c.username.is_none() {
                return Err(format!(
                    "camera {:?} uses authentication but has no username",
                    c.id
                ));
            }
        }
        let e = &self.events;
        for (name, v) in [
            ("events.cluster_radius_km", e.cluster_radius_km),
            ("events.attach_radius_km", e.attach_radius_km),
            ("events.attach_window_hours", e.attach_window_hours),
            ("regions.border_km", self.regions.border_km),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} must be a non-negative number, got {v}"));
            }
        }
        Ok(())
    }
}

/// `samples/../var/x` → `var/x`, lexically, so paths in logs and reports read plainly.
fn without_dot_dot(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("bw-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.toml");
        std::fs::write(&path, "[events]\ncluster_radius_m = 800\n").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("cluster_radius_m"), "{err}");
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let dir = std::env::temp_dir().join(format!("bw-config2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ok.toml");
        std::fs::write(
            &path,
            "[store]\npath = \"db.sqlite\"\n[regions.townships]\npath = \"t.geojson\"\nid_field = \"code\"\ncrs = \"gcj02\"\n",
        )
        .unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.store.path, dir.join("db.sqlite"));
        let t = c.regions.townships.unwrap();
        assert_eq!(t.path, dir.join("t.geojson"));
        assert_eq!(t.crs, InputCrs::Gcj02);
        assert_eq!(c.events.cluster_radius_km, 0.8);
    }

    #[test]
    fn parent_steps_are_resolved_lexically() {
        assert_eq!(
            without_dot_dot(Path::new("/a/samples/../var/db")),
            PathBuf::from("/a/var/db")
        );
        assert_eq!(
            without_dot_dot(Path::new("samples/./../../x")),
            PathBuf::from("../x")
        );
    }

    #[test]
    fn negative_radius_is_invalid() {
        let dir = std::env::temp_dir().join(format!("bw-config3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("neg.toml");
        std::fs::write(&path, "[events]\ncluster_radius_km = -1\n").unwrap();
        assert!(Config::load(&path).is_err());
    }
}
