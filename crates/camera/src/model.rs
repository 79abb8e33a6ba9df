//! A YOLO-format ONNX fire/smoke detector run in-process with tract: letterbox to the model's
//! square input (bilinear, as the training pipeline's cv2 INTER_LINEAR), one forward pass,
//! decode the 1×(4+C)×N output (cx, cy, w, h, one score per class), per-class thresholds and our
//! own NMS. Which file, which size, which classes and thresholds: a model description in
//! `models/camera/` — burnwatch ships no weights.

use crate::boxes::{nms, FireClass, FrameBox};
use crate::profile::{load_toml, profile_path, ConfirmParams};
use crate::CameraError;
use image::RgbImage;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDescription {
    pub name: String,
    pub description: String,
    /// The ONNX file, relative to the description's folder.
    pub path: PathBuf,
    /// Side of the square input, pixels.
    pub input_size: u32,
    /// Class names in the order of the output's score rows.
    pub classes: Vec<String>,
    pub letterbox_fill: u8,
    pub nms_iou: f32,
    pub max_boxes: usize,
    /// Per-class score to keep a box (class name → score).
    pub thresholds: BTreeMap<String, f32>,
    pub confirm: ConfirmParams,
}

impl ModelDescription {
    /// Reads `dir/<name>.toml` and resolves the weights' path against `dir`.
    pub fn load(dir: &Path, name: &str) -> Result<Self, CameraError> {
        let path = profile_path(dir, name);
        let mut d: Self = load_toml(&path)?;
        if d.path.is_relative() {
            d.path = dir.join(&d.path);
        }
        let bad = |reason: String| CameraError::Profile {
            path: path.clone(),
            reason,
        };
        if d.input_size == 0 || !d.input_size.is_multiple_of(32) {
            return Err(bad(format!(
                "input_size {} is not a positive multiple of 32",
                d.input_size
            )));
        }
        if !d.classes.iter().any(|c| FireClass::parse(c).is_some()) {
            return Err(bad("no class is fire, flame or smoke".into()));
        }
        for c in d.thresholds.keys() {
            if !d.classes.contains(c) {
                return Err(bad(format!("threshold for unknown class {c:?}")));
            }
        }
        Ok(d)
    }
}

/// Where the frame went in the square input: scale and padding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    pub scale: f32,
    pub pad_x: f32,
    pub pad_y: f32,
}

/// Letterboxes an RGB frame into a CHW f32 tensor scaled to 0–1, `size`×`size`.
pub fn letterbox(img: &RgbImage, size: u32, fill: u8) -> (Vec<f32>, Letterbox) {
    let (w, h) = img.dimensions();
    let scale = (size as f32 / w as f32).min(size as f32 / h as f32);
    let (nw, nh) = (
        ((w as f32 * scale).round() as u32).clamp(1, size),
        ((h as f32 * scale).round() as u32).clamp(1, size),
    );
    let (px, py) = ((size - nw) / 2, (size - nh) / 2);
    let s = size as usize;
    let plane = s * s;
    let mut out = vec![fill as f32 / 255.0; 3 * plane];
    let raw = img.as_raw();
    let (sx, sy) = (w as f32 / nw as f32, h as f32 / nh as f32);
    for y in 0..nh {
        let fy = ((y as f32 + 0.5) * sy - 0.5).max(0.0);
        let y0 = (fy as u32).min(h - 1);
        let y1 = (y0 + 1).min(h - 1);
        let wy = fy - y0 as f32;
        for x in 0..nw {
            let fx = ((x as f32 + 0.5) * sx - 0.5).max(0.0);
            let x0 = (fx as u32).min(w - 1);
            let x1 = (x0 + 1).min(w - 1);
            let wx = fx - x0 as f32;
            let at = |xx: u32, yy: u32, c: usize| raw[((yy * w + xx) * 3) as usize + c] as f32;
            let o = (y + py) as usize * s + (x + px) as usize;
            for c in 0..3 {
                let top = at(x0, y0, c) * (1.0 - wx) + at(x1, y0, c) * wx;
                let bottom = at(x0, y1, c) * (1.0 - wx) + at(x1, y1, c) * wx;
                out[c * plane + o] = (top * (1.0 - wy) + bottom * wy) / 255.0;
            }
        }
    }
    (
        out,
        Letterbox {
            scale,
            pad_x: px as f32,
            pad_y: py as f32,
        },
    )
}

/// Turns the raw output (`rows` = 4 + classes, `n` anchors, row-major rows × n) into frame boxes.
pub fn decode_output(
    out: &[f32],
    rows: usize,
    n: usize,
    desc: &ModelDescription,
    lb: Letterbox,
    (w, h): (u32, u32),
) -> Vec<FrameBox> {
    let classes: Vec<(usize, FireClass, f32)> = desc
        .classes
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let class = FireClass::parse(name)?;
            let t = desc.thresholds.get(name).copied().unwrap_or(0.25);
            Some((i, class, t))
        })
        .filter(|(i, _, _)| 4 + i < rows)
        .collect();
    let mut boxes = Vec::new();
    for j in 0..n {
        for &(i, class, threshold) in &classes {
            let score = out[(4 + i) * n + j];
            // NaN scores fail this too.
            if score.partial_cmp(&threshold) == Some(std::cmp::Ordering::Less) || score.is_nan() {
                continue;
            }
            let (cx, cy, bw, bh) = (out[j], out[n + j], out[2 * n + j], out[3 * n + j]);
            let to_x = |v: f32| ((v - lb.pad_x) / lb.scale).clamp(0.0, w as f32);
            let to_y = |v: f32| ((v - lb.pad_y) / lb.scale).clamp(0.0, h as f32);
            let b = FrameBox {
                class,
                x0: to_x(cx - bw / 2.0),
                y0: to_y(cy - bh / 2.0),
                x1: to_x(cx + bw / 2.0),
                y1: to_y(cy + bh / 2.0),
                score: score.min(1.0),
                max_temp_k: None,
            };
            if b.area() > 0.0 {
                boxes.push(b);
            }
        }
    }
    let mut kept = nms(boxes, desc.nms_iou);
    kept.truncate(desc.max_boxes);
    kept
}

/// A loaded model, ready to run on frames. `Sync`: one instance serves every camera.
pub struct OnnxDetector {
    pub description: ModelDescription,
    #[cfg(feature = "onnx")]
    plan: std::sync::Arc<tract_onnx::prelude::TypedRunnableModel>,
}

impl std::fmt::Debug for OnnxDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxDetector")
            .field("model", &self.description.name)
            .field("path", &self.description.path)
            .finish()
    }
}

impl OnnxDetector {
    /// Loads and optimises the model named by a description.
    #[cfg(feature = "onnx")]
    pub fn load(description: ModelDescription) -> Result<Self, CameraError> {
        use tract_onnx::prelude::*;
        let path = description.path.clone();
        let err = |e: TractError| CameraError::Model {
            path: path.clone(),
            reason: format!("{e:#}"),
        };
        if !path.is_file() {
            return Err(CameraError::Model {
                path: path.clone(),
                reason: "no such model file (burnwatch ships no weights: point the description's `path` at yours)".into(),
            });
        }
        let s = description.input_size as usize;
        let plan = tract_onnx::onnx()
            .model_for_path(&path)
            .map_err(err)?
            .with_input_fact(0, f32::fact([1, 3, s, s]).into())
            .map_err(err)?
            .into_optimized()
            .map_err(err)?
            .into_runnable()
            .map_err(err)?;
        Ok(Self { description, plan })
    }

    #[cfg(not(feature = "onnx"))]
    pub fn load(description: ModelDescription) -> Result<Self, CameraError> {
        Err(CameraError::Model {
            path: description.path.clone(),
            reason: "burnwatch-camera was built without the `onnx` feature".into(),
        })
    }

    /// Fire and smoke boxes of one visible frame.
    #[cfg(feature = "onnx")]
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<FrameBox>, CameraError> {
        use tract_onnx::prelude::*;
        let d = &self.description;
        let s = d.input_size as usize;
        let (data, lb) = letterbox(img, d.input_size, d.letterbox_fill);
        let err = |e: TractError| CameraError::Model {
            path: d.path.clone(),
            reason: format!("{e:#}"),
        };
        // The letterboxed buffer becomes the input tensor as it is: no second 4.9 MB copy.
        let input: Tensor = tract_ndarray::Array4::from_shape_vec((1, 3, s, s), data)
            .map_err(|e| CameraError::Model {
                path: d.path.clone(),
                reason: e.to_string(),
            })?
            .into();
        let result = self.plan.run(tvec!(input.into_tvalue())).map_err(err)?;
        let out = result[0].to_plain_array_view::<f32>().map_err(err)?;
        let shape = out.shape().to_vec();
        let want = 4 + d.classes.len();
        // (1, 4+C, N) as exported by Ultralytics; (1, N, 4+C) from some converters.
        let (rows, n, transposed): (usize, usize, Vec<f32>) = match shape.as_slice() {
            [1, r, n] if *r == want => (*r, *n, Vec::new()),
            [1, n, r] if *r == want => (
                *r,
                *n,
                out.clone()
                    .permuted_axes(vec![0, 2, 1])
                    .iter()
                    .copied()
                    .collect(),
            ),
            _ => {
                return Err(CameraError::Model {
                    path: d.path.clone(),
                    reason: format!(
                    "output shape {shape:?} is not 1×{want}×N (cx, cy, w, h and {} class scores)",
                    d.classes.len()
                ),
                })
            }
        };
        let flat = if transposed.is_empty() {
            out.as_slice().ok_or_else(|| CameraError::Model {
                path: d.path.clone(),
                reason: "output tensor is not contiguous".into(),
            })?
        } else {
            &transposed
        };
        Ok(decode_output(flat, rows, n, d, lb, img.dimensions()))
    }

    #[cfg(not(feature = "onnx"))]
    pub fn detect(&self, _img: &RgbImage) -> Result<Vec<FrameBox>, CameraError> {
        unreachable!("an OnnxDetector cannot be built without the onnx feature")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc() -> ModelDescription {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/camera");
        ModelDescription::load(&dir, "flame-yolov8").unwrap()
    }

    #[test]
    fn letterbox_centres_a_wide_frame_and_decode_maps_boxes_back() {
        let img = RgbImage::from_pixel(1280, 720, image::Rgb([255, 0, 0]));
        let (t, lb) = letterbox(&img, 640, 114);
        assert_eq!((lb.scale, lb.pad_x, lb.pad_y), (0.5, 0.0, 140.0));
        let plane = 640 * 640;
        assert!((t[0] - 114.0 / 255.0).abs() < 1e-6, "padding row");
        assert!((t[320 * 640 + 320] - 1.0).abs() < 1e-6 && t[plane + 320 * 640 + 320] == 0.0);
        // One anchor: a fire box centred at input (320, 340), 40×20 → frame (640, 400), 80×40.
        let d = desc();
        let n = 3;
        let mut out = vec![0f32; 6 * n];
        let put = |out: &mut Vec<f32>, j: usize, v: [f32; 6]| {
            for (r, x) in v.iter().enumerate() {
                out[r * n + j] = *x;
            }
        };
        put(&mut out, 0, [320.0, 340.0, 40.0, 20.0, 0.1, 0.9]);
        put(&mut out, 1, [321.0, 341.0, 40.0, 20.0, 0.1, 0.6]); // a duplicate for NMS
        put(&mut out, 2, [100.0, 300.0, 10.0, 10.0, 0.2, 0.1]); // below both thresholds
        let boxes = decode_output(&out, 6, n, &d, lb, (1280, 720));
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        let b = boxes[0];
        assert_eq!(b.class, FireClass::Fire);
        assert!((b.x0 - 600.0).abs() < 1e-3 && (b.x1 - 680.0).abs() < 1e-3);
        assert!((b.y0 - 380.0).abs() < 1e-3 && (b.y1 - 420.0).abs() < 1e-3);
    }

    #[test]
    fn a_missing_weights_file_is_a_clear_error() {
        let mut d = desc();
        d.path = PathBuf::from("/nonexistent/model.onnx");
        let e = OnnxDetector::load(d).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/model.onnx"), "{e}");
    }
}
