//! Tower-camera fire detection. A camera sees a fire minutes after it starts, long before a
//! satellite passes — but it sees a direction, not a place.
//!
//! ```text
//!  frame bytes ─► frame::decode (by content) ─► thermal::detect | model (ONNX) | colour::detect
//!      ─► masks ─► temporal::Tracker (same camera and pose) ─► locate::Geolocator (bearing,
//!      ground range with curvature, refraction, DEM) ─► fusion::Fusion (triangulate bearings of
//!      several cameras, else the single-camera estimate) ─► LocatedFire::to_detection
//! ```
//!
//! The located fire becomes a normal [`burnwatch_core::Detection`] whose footprint is its search
//! area, so it goes through the same filters, routing, events and queues as a satellite pixel,
//! and joins the event of a satellite hotspot of the same fire. [`sim`] renders synthetic frames
//! and serves them over HTTP with digest authentication; [`eval`] measures the detectors on
//! labelled images.

pub mod boxes;
pub mod colour;
pub mod dem;
pub mod eval;
pub mod frame;
pub mod fusion;
pub mod geometry;
pub mod isapi;
pub mod locate;
pub mod mask;
pub mod model;
pub mod profile;
pub mod sim;
pub mod temporal;
pub mod thermal;
pub mod triangulate;
pub mod watch;

pub use boxes::{FireClass, FrameBox};
pub use frame::{decode, Frame, FrameError, Radiometry, ThermalFrame};
pub use fusion::{Fusion, FusionOutput, LocateMethod, LocatedFire, FILE_MARKER};
pub use geometry::{Direction, Pose};
pub use locate::{CameraSite, Geolocator, Observation};
pub use model::{ModelDescription, OnnxDetector};
pub use profile::{ColourProfile, ConfirmParams, ThermalProfile};
pub use watch::{CameraWatch, Detectors, FrameDetector, FrameResult, Method, WatchOutcome};

use burnwatch_core::Config;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("camera {camera}: frame is {}×{} pixels, the pose is calibrated for {}×{}", got.0, got.1, want.0, want.1)]
    FrameSize {
        camera: String,
        got: (u32, u32),
        want: (u32, u32),
    },
    #[error("profile {path}: {reason}")]
    Profile { path: PathBuf, reason: String },
    #[error("model {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    #[error("DEM {path}: {reason}")]
    Dem { path: PathBuf, reason: String },
    #[error("camera {camera}: {reason}")]
    Config { camera: String, reason: String },
}

impl CameraError {
    /// Short class name, for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CameraError::Frame(f) => f.kind(),
            CameraError::FrameSize { .. } => "frame_size",
            CameraError::Profile { .. } => "profile",
            CameraError::Model { .. } => "model",
            CameraError::Dem { .. } => "dem",
            CameraError::Config { .. } => "config",
        }
    }
}

/// Where the camera descriptions live: `<detect.models_dir>/camera`.
pub fn camera_models_dir(config: &Config) -> PathBuf {
    config.detect.models_dir.join("camera")
}

/// Everything shared by the cameras of one deployment: profiles, loaded models (one instance per
/// model, used by every camera that names it), the DEM, fusion settings.
#[derive(Debug, Clone)]
pub struct Station {
    pub detectors: Detectors,
    pub geolocator: Geolocator,
    pub fusion: burnwatch_core::daemon_config::FusionConfig,
    watches: HashMap<String, Arc<FrameDetector>>,
}

impl Station {
    /// Loads profiles, models and the DEM for the configured cameras; any problem is an error
    /// that names the camera or file, at start-up rather than at the first fire.
    pub fn from_config(config: &Config) -> Result<Self, CameraError> {
        let dir = camera_models_dir(config);
        let f = &config.frames;
        let detectors = Detectors {
            thermal: Arc::new(ThermalProfile::load(&dir, &f.thermal_profile)?),
            colour: Arc::new(ColourProfile::load(&dir, &f.colour_profile)?),
        };
        let mut models: HashMap<String, Arc<OnnxDetector>> = HashMap::new();
        for c in &config.cameras {
            if let Some(name) = &c.model {
                if !models.contains_key(name) {
                    let d = ModelDescription::load(&dir, name)?;
                    models.insert(name.clone(), Arc::new(OnnxDetector::load(d)?));
                }
            }
        }
        let dem = match &f.dem {
            Some(path) => Some(Arc::new(dem::Dem::load(path, cameras_bbox(config))?)),
            None => None,
        };
        let mut watches = HashMap::new();
        for c in &config.cameras {
            let model = c.model.as_ref().and_then(|n| models.get(n).cloned());
            watches.insert(
                c.id.clone(),
                Arc::new(FrameDetector::new(c.clone(), detectors.clone(), model)?),
            );
        }
        Ok(Self {
            detectors,
            geolocator: Geolocator {
                refraction_k: f.fusion.refraction_k,
                dem,
            },
            fusion: f.fusion.clone(),
            watches,
        })
    }

    /// A fresh watch (state across frames) for a configured camera.
    pub fn watch(&self, camera_id: &str) -> Option<CameraWatch> {
        let d = self.watches.get(camera_id)?;
        Some(CameraWatch::new(d.clone(), self.geolocator.clone()))
    }
}

/// The area every camera can see: positions ± their range.
fn cameras_bbox(config: &Config) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in &config.cameras {
        let (dlon, dlat) = burnwatch_core::geodesy::km_to_degrees(c.max_range_km * 1.05, c.lat);
        b[0] = b[0].min(c.lon - dlon);
        b[1] = b[1].min(c.lat - dlat);
        b[2] = b[2].max(c.lon + dlon);
        b[3] = b[3].max(c.lat + dlat);
    }
    b
}
