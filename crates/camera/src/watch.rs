//! One camera's watch: decode a frame by content, run the detector that fits it (thermal
//! contextual test, the configured ONNX model, or the colour rules), drop what the masks cover,
//! confirm over frames of the same pose, and turn confirmed fires into observations.

use crate::boxes::FrameBox;
use crate::frame::{decode, Frame, Radiometry};
use crate::geometry::Pose;
use crate::locate::{CameraSite, Geolocator, Observation};
use crate::mask::Masks;
use crate::model::OnnxDetector;
use crate::profile::{ColourProfile, ConfirmParams, ThermalProfile};
use crate::temporal::{PoseKey, Tracker};
use crate::{colour, thermal, CameraError};
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
    pub fn detect_bytes(
        &self,
        bytes: &[u8],
        pose: Option<Pose>,
    ) -> Result<FrameResult, CameraError> {
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
            Frame::Thermal(t) => (
                Method::Thermal,
                thermal::detect(t, &self.detectors.thermal, masks),
            ),
            Frame::Visible(img) => match &self.model {
                Some(m) => {
                    let boxes = m.detect(img)?;
                    // The model knows nothing of masks: drop boxes whose foot is masked.
                    let kept = boxes
                        .into_iter()
                        .filter(|b| {
                            !masks.contains(
                                0.5 * (b.x0 + b.x1) as f64,
                                (b.y1 as f64 - 0.5).max(b.y0 as f64),
                            )
                        })
                        .collect();
                    (Method::Model, kept)
                }
                None => (
                    Method::Colour,
                    colour::detect(img, &self.detectors.colour, masks),
                ),
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
            .map(|b| {
                self.geolocator
                    .observe(&self.site, at, frame_sha256, pose, frame.size, b)
            })
            .collect();
        WatchOutcome {
            confirmed: update.confirmed.len(),
            frame,
            observations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boxes::FireClass;
    use chrono::TimeZone;
    use image::{ImageFormat, RgbImage};

    fn camera(extra: &str) -> CameraConfig {
        toml::from_str(&format!(
            "id = \"t\"\nname = \"t\"\nlon = 116.5\nlat = 35.1\nheight_m = 40\nkind = \"visible\"\n\
             snapshot_url = \"http://127.0.0.1:1/x\"\n\
             preset = {{ pan_deg = 90.0, tilt_deg = -0.5, hfov_deg = 50.0, vfov_deg = 30.0 }}\n{extra}"
        ))
        .unwrap()
    }

    fn detectors() -> Detectors {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/camera");
        Detectors {
            thermal: Arc::new(ThermalProfile::load(&dir, "thermal").unwrap()),
            colour: Arc::new(ColourProfile::load(&dir, "colour").unwrap()),
        }
    }

    fn jpeg(w: u32, h: u32, flame: Option<(u32, u32)>) -> Vec<u8> {
        let mut img = RgbImage::from_pixel(w, h, image::Rgb([70, 110, 60]));
        if let Some((fx, fy)) = flame {
            for y in fy..fy + 4 {
                for x in fx..fx + 10 {
                    img.put_pixel(x, y, image::Rgb([250, 160, 40]));
                }
            }
        }
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_frame_of_the_wrong_size_is_refused_not_located() {
        let d = FrameDetector::new(camera("frame_size = [320, 240]\n"), detectors(), None).unwrap();
        assert!(d.detect_bytes(&jpeg(320, 240, None), None).is_ok());
        let e = d.detect_bytes(&jpeg(64, 48, None), None).unwrap_err();
        assert_eq!(e.kind(), "frame_size");
        assert!(e.to_string().contains("64×48"), "{e}");
    }

    #[test]
    fn a_flame_seen_in_three_frames_becomes_one_bearing_to_report() {
        let d = Arc::new(FrameDetector::new(camera(""), detectors(), None).unwrap());
        let geo = Geolocator {
            refraction_k: 0.13,
            dem: None,
        };
        let mut w = CameraWatch::new(d.clone(), geo);
        let pose = d.camera.preset.map(|p| Pose {
            pan_deg: p.pan_deg,
            tilt_deg: p.tilt_deg,
            hfov_deg: p.hfov_deg,
            vfov_deg: p.vfov_deg,
        });
        let t0 = Utc.with_ymd_and_hms(2025, 6, 10, 3, 0, 0).unwrap();
        let mut reported = Vec::new();
        for k in 0..4 {
            let frame = d
                .detect_bytes(&jpeg(320, 240, Some((200, 130))), pose)
                .unwrap();
            assert_eq!((frame.method, frame.boxes.len()), (Method::Colour, 1));
            let at = t0 + chrono::Duration::seconds(30 * k);
            reported.extend(
                w.update(frame, at, pose.unwrap(), &format!("sha{k}"))
                    .observations,
            );
        }
        assert_eq!(
            reported.len(),
            1,
            "confirmed at the third frame, reported once"
        );
        let o = &reported[0];
        assert_eq!(
            (o.class, o.frame_sha256.as_str()),
            (FireClass::Fire, "sha2")
        );
        // The flame is right of centre: the bearing is east-south-east of the 90° pan.
        assert!(
            o.azimuth_deg > 90.0 && o.azimuth_deg < 115.0,
            "{}",
            o.azimuth_deg
        );
        assert!(o.ground.is_some(), "{:?}", o.ground_error);
    }
}
