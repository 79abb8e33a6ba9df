//! One camera's watch: decode a frame by content, run the detector that fits it (thermal
//! contextual test, the configured ONNX model, or the colour rules), drop what the masks cover,
//! confirm over frames of the same pose, and turn confirmed fires into observations.

use crate::boxes::FrameBox;
use crate::frame::{decode, Frame, Radiometry};
use crate::locate::{CameraSite, Geolocator, Observation};
use crate::mask::Masks;
use crate::model::OnnxDetector;
use crate::profile::{ColourProfile, ConfirmParams, ThermalProfile};
use crate::temporal::{PoseKey, Tracker};
use crate::{colour, thermal, CameraError};
use crate::geometry::Pose;
use burnwatch_core::daemon_config::CameraConfig;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Which detector looked at a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Thermal,
    Colour,
    Model,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Thermal => "thermal",
            Method::Colour => "colour",
            Method::Model => "model",
        }
    }
}

/// The detectors' settings, shared by every camera.
#[derive(Debug, Clone)]
pub struct Detectors {
    pub thermal: Arc<ThermalProfile>,
    pub colour: Arc<ColourProfile>,
}

/// What one camera's detection needs, without state: safe to share with a blocking thread.
#[derive(Debug, Clone)]
pub struct FrameDetector {
    pub camera: CameraConfig,
    pub detectors: Detectors,
    pub model: Option<Arc<OnnxDetector>>,
    masks: Masks,
    radiometry: Radiometry,
}

/// One frame's detections.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameResult {
    pub kind: &'static str,
    pub size: (u32, u32),
    pub method: Method,
    pub boxes: Vec<FrameBox>,
}

impl FrameDetector {
    pub fn new(
        camera: CameraConfig,
        detectors: Detectors,
        model: Option<Arc<OnnxDetector>>,
    ) -> Result<Self, CameraError> {
        let masks = Masks::new(&camera.id, &camera.masks)?;
        let radiometry = Radiometry {
            scale_k: camera.radiometric_scale_k,
            offset_k: camera.radiometric_offset_k,
        };
        Ok(Self {
            camera,
            detectors,
            model,
            masks,
            radiometry,
        })
    }

    /// Decodes and runs detection on one frame's bytes.
    pub fn detect_bytes(&self, bytes: &[u8], pose: Option<Pose>) -> Result<FrameResult, CameraError> {
        let frame = decode(bytes, self.radiometry)?;
        self.detect(&frame, pose)
    }

    pub fn detect(&self, frame: &Frame, pose: Option<Pose>) -> Result<FrameResult, CameraError> {
        let size = frame.size();
        if let Some([w, h]) = self.camera.frame_size {
            if size != (w, h) {
                return Err(CameraError::FrameSize {
                    camera: self.camera.id.clone(),
                    got: size,
                    want: (w, h),
                });
            }
        }
        let masks = self.masks.active(pose);
        let (method, boxes) = match frame {
            Frame::Thermal(t) => (Method::Thermal, thermal::detect(t, &self.detectors.thermal, masks)),
            Frame::Visible(img) => match &self.model {
                Some(m) => {
                    let boxes = m.detect(img)?;
                    // The model knows nothing of masks: drop boxes whose foot is masked.
                    let kept = boxes
                        .into_iter()
                        .filter(|b| !masks.contains(0.5 * (b.x0 + b.x1) as f64, (b.y1 as f64 - 0.5).max(b.y0 as f64)))
                        .collect();
                    (Method::Model, kept)
                }
                None => (Method::Colour, colour::detect(img, &self.detectors.colour, masks)),
            },
        };
        Ok(FrameResult {
            kind: frame.kind(),
            size,
            method,
            boxes,
        })
    }

    pub fn confirm_params(&self, method: Method) -> ConfirmParams {
        match method {
            Method::Thermal => self.detectors.thermal.confirm.clone(),
            Method::Colour => self.detectors.colour.confirm.clone(),
            Method::Model => self
                .model
                .as_ref()
                .map(|m| m.description.confirm.clone())
                .unwrap_or_else(|| self.detectors.colour.confirm.clone()),
        }
    }
}

/// A camera's state across frames: trackers per detector, and where it stands.
#[derive(Debug)]
pub struct CameraWatch {
    pub detector: Arc<FrameDetector>,
    site: CameraSite,
    geolocator: Geolocator,
    trackers: HashMap<Method, Tracker>,
}

/// What one frame led to.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchOutcome {
    pub frame: FrameResult,
    /// Boxes confirmed over frames in this one.
    pub confirmed: usize,
    /// Confirmed fires to report now, as bearings.
    pub observations: Vec<Observation>,
}

impl CameraWatch {
    pub fn new(detector: Arc<FrameDetector>, geolocator: Geolocator) -> Self {
        let site = CameraSite::from(&detector.camera);
        Self {
            detector,
            site,
            geolocator,
            trackers: HashMap::new(),
        }
    }

    pub fn site(&self) -> &CameraSite {
        &self.site
    }

    /// Folds one frame's detections into the camera's history; call with the frame's pose and
    /// capture time (from its sidecar).
    pub fn update(
        &mut self,
        frame: FrameResult,
        at: DateTime<Utc>,
        pose: Pose,
        frame_sha256: &str,
    ) -> WatchOutcome {
        let params = self.detector.confirm_params(frame.method);
        let tracker = self
            .trackers
            .entry(frame.method)
            .or_insert_with(|| Tracker::new(params));
        let update = tracker.update(PoseKey::of(&pose), at, frame.boxes.clone());
        let observations = update
            .report
            .iter()
            .map(|b| self.geolocator.observe(&self.site, at, frame_sha256, pose, frame.size, b))
            .collect();
        WatchOutcome {
            confirmed: update.confirmed.len(),
            frame,
            observations,
        }
    }
}
