//! Precision and recall of the visible-frame detectors on labelled images (labels.csv: file,
//! label fire/smoke/none, …): per label, for the colour rules alone and for the model, each
//! alone on the still image and with temporal confirmation over a short sequence made from it
//! (small shifts, brightness flicker and sensor noise, as consecutive frames of a fixed camera
//! differ) — so a detection that only survives one exact picture does not count as confirmed.

use crate::boxes::{FireClass, FrameBox};
use crate::frame::{decode, Frame, Radiometry};
use crate::mask::ActiveMasks;
use crate::model::OnnxDetector;
use crate::profile::{ColourProfile, ConfirmParams};
use crate::temporal::{PoseKey, Tracker};
use crate::{colour, CameraError};
use chrono::{Duration, TimeZone, Utc};
use image::RgbImage;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("labels {path}: {reason}")]
    Labels { path: PathBuf, reason: String },
    #[error(transparent)]
    Camera(#[from] CameraError),
}

/// One labelled image.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub file: String,
    /// "fire", "smoke" or "none".
    pub label: String,
}

pub fn read_labels(path: &Path) -> Result<Vec<Labelled>, EvalError> {
    let err = |reason: String| EvalError::Labels {
        path: path.to_owned(),
        reason,
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let headers = r.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| err(format!("no {name:?} column")))
    };
    let (fc, lc) = (col("file")?, col("label")?);
    let mut out = Vec::new();
    for (n, row) in r.records().enumerate() {
        let row = row.map_err(|e| err(format!("row {}: {e}", n + 2)))?;
        let label = row.get(lc).unwrap_or("").trim().to_ascii_lowercase();
        if !["fire", "smoke", "none"].contains(&label.as_str()) {
            return Err(err(format!(
                "row {}: label {label:?} is not fire, smoke or none",
                n + 2
            )));
        }
        out.push(Labelled {
            file: row.get(fc).unwrap_or("").trim().to_owned(),
            label,
        });
    }
    Ok(out)
}

/// True/false positives and false negatives of one label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> Option<f64> {
        let d = self.tp + self.fp;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }

    pub fn recall(&self) -> Option<f64> {
        let d = self.tp + self.fn_;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }
}

/// One detector's results.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorReport {
    pub name: String,
    /// "fire", "smoke", "none" (nothing raised), and "alarm" (fire or smoke raised on a fire or
    /// smoke image — what an operator cares about).
    pub labels: BTreeMap<&'static str, Counts>,
    pub images: usize,
    pub ms_per_frame: f64,
    /// Per image: what was predicted.
    pub predictions: Vec<(String, BTreeSet<FireClass>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub detectors: Vec<DetectorReport>,
    /// Images that could not be read, with why.
    pub unreadable: Vec<(String, String)>,
}

pub struct EvalOptions {
    pub images_dir: PathBuf,
    pub colour: ColourProfile,
    pub model: Option<Arc<OnnxDetector>>,
    /// Frames in each synthetic sequence for temporal confirmation (0 = still images only).
    pub sequence_frames: usize,
    pub seed: u64,
}

/// A frame of a fixed camera a moment later: shifted by up to 2 px, brightness ±5 %, noise ±4.
pub fn perturb(img: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let (w, h) = img.dimensions();
    let (dx, dy) = (rng.random_range(-2i64..=2), rng.random_range(-2i64..=2));
    let gain: f32 = rng.random_range(0.95..1.05);
    let seed: u64 = rng.random();
    let mut noise = ChaCha8Rng::seed_from_u64(seed);
    RgbImage::from_fn(w, h, |x, y| {
        let sx = (x as i64 + dx).clamp(0, w as i64 - 1) as u32;
        let sy = (y as i64 + dy).clamp(0, h as i64 - 1) as u32;
        let p = img.get_pixel(sx, sy);
        let n = noise.random_range(-4i32..=4);
        image::Rgb(p.0.map(|c| ((c as f32 * gain) as i32 + n).clamp(0, 255) as u8))
    })
}

type Detect<'a> = Box<dyn Fn(&RgbImage) -> Result<Vec<FrameBox>, CameraError> + 'a>;

fn classes(boxes: &[FrameBox]) -> BTreeSet<FireClass> {
    boxes.iter().map(|b| b.class).collect()
}

/// Runs the sequence through a tracker: the classes confirmed at any frame.
fn confirmed(
    detect: &Detect,
    img: &RgbImage,
    params: &ConfirmParams,
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Result<BTreeSet<FireClass>, CameraError> {
    let mut tracker = Tracker::new(params.clone());
    let t0 = Utc
        .with_ymd_and_hms(2025, 6, 10, 3, 0, 0)
        .single()
        .expect("valid time");
    let pose = PoseKey::of(&crate::geometry::Pose {
        pan_deg: 0.0,
        tilt_deg: 0.0,
        hfov_deg: 50.0,
        vfov_deg: 30.0,
    });
    let mut seen = BTreeSet::new();
    for k in 0..n {
        let frame = if k == 0 {
            img.clone()
        } else {
            perturb(img, rng)
        };
        let boxes = detect(&frame)?;
        let u = tracker.update(pose, t0 + Duration::seconds(30 * k as i64), boxes);
        seen.extend(u.confirmed.iter().map(|b| b.class));
    }
    Ok(seen)
}

fn score(
    name: String,
    truth: &[(String, String)],
    predicted: Vec<(String, BTreeSet<FireClass>)>,
    ms: f64,
) -> DetectorReport {
    let mut labels: BTreeMap<&'static str, Counts> = BTreeMap::new();
    for ((_, label), (_, pred)) in truth.iter().zip(&predicted) {
        for (name, class) in [
            ("fire", Some(FireClass::Fire)),
            ("smoke", Some(FireClass::Smoke)),
            ("none", None),
        ] {
            let is = label == name;
            let said = match class {
                Some(c) => pred.contains(&c),
                None => pred.is_empty(),
            };
            let c = labels.entry(name).or_default();
            match (is, said) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => {}
            }
        }
        let is = label != "none";
        let said = !pred.is_empty();
        let c = labels.entry("alarm").or_default();
        match (is, said) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (true, false) => c.fn_ += 1,
            (false, false) => {}
        }
    }
    DetectorReport {
        name,
        labels,
        images: predicted.len(),
        ms_per_frame: ms,
        predictions: predicted,
    }
}

/// Evaluates the colour rules (and the model, when given) on the labelled images.
pub fn evaluate(labels: &[Labelled], opts: &EvalOptions) -> Result<EvalReport, EvalError> {
    let mut images = Vec::new();
    let mut unreadable = Vec::new();
    for l in labels {
        let path = opts.images_dir.join(&l.file);
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| decode(&b, Radiometry::default()).map_err(|e| e.to_string()))
        {
            Ok(Frame::Visible(img)) => images.push((l.clone(), img)),
            Ok(Frame::Thermal(_)) => {
                unreadable.push((l.file.clone(), "a thermal frame, not a colour image".into()))
            }
            Err(e) => unreadable.push((l.file.clone(), e)),
        }
    }
    let truth: Vec<(String, String)> = images
        .iter()
        .map(|(l, _)| (l.file.clone(), l.label.clone()))
        .collect();
    let colour_detect: Detect =
        Box::new(|img: &RgbImage| Ok(colour::detect(img, &opts.colour, ActiveMasks::none())));
    let mut detectors: Vec<(String, Detect, ConfirmParams)> = vec![(
        "colour rules".into(),
        colour_detect,
        opts.colour.confirm.clone(),
    )];
    if let Some(m) = &opts.model {
        let m = m.clone();
        let confirm = m.description.confirm.clone();
        let name = format!("model {}", m.description.name);
        detectors.push((name, Box::new(move |img: &RgbImage| m.detect(img)), confirm));
    }
    let mut reports = Vec::new();
    for (name, detect, params) in &detectors {
        let started = Instant::now();
        let mut still = Vec::new();
        for (l, img) in &images {
            still.push((l.file.clone(), classes(&detect(img)?)));
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0 / images.len().max(1) as f64;
        reports.push(score(name.clone(), &truth, still, ms));
        if opts.sequence_frames > 0 {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            let started = Instant::now();
            let mut seq = Vec::new();
            for (l, img) in &images {
                seq.push((
                    l.file.clone(),
                    confirmed(detect, img, params, opts.sequence_frames, &mut rng)?,
                ));
            }
            let ms = started.elapsed().as_secs_f64() * 1000.0
                / (images.len() * opts.sequence_frames).max(1) as f64;
            reports.push(score(
                format!("{name} + temporal ({} frames)", opts.sequence_frames),
                &truth,
                seq,
                ms,
            ));
        }
    }
    Ok(EvalReport {
        detectors: reports,
        unreadable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_labels_are_scored_per_image() {
        let truth = vec![
            ("a".to_string(), "fire".to_string()),
            ("b".to_string(), "smoke".to_string()),
            ("c".to_string(), "none".to_string()),
            ("d".to_string(), "none".to_string()),
        ];
        let f = |c: &[FireClass]| c.iter().copied().collect::<BTreeSet<_>>();
        let pred = vec![
            ("a".to_string(), f(&[FireClass::Fire, FireClass::Smoke])),
            ("b".to_string(), f(&[])),
            ("c".to_string(), f(&[FireClass::Fire])),
            ("d".to_string(), f(&[])),
        ];
        let r = score("x".into(), &truth, pred, 1.0);
        assert_eq!(
            r.labels["fire"],
            Counts {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
        assert_eq!(
            r.labels["smoke"],
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            r.labels["none"],
            Counts {
                tp: 1,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            r.labels["alarm"],
            Counts {
                tp: 1,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(r.labels["fire"].precision(), Some(0.5));
        assert_eq!(Counts::default().recall(), None);
    }

    #[test]
    fn labels_csv_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.csv");
        std::fs::write(&p, "file,label,source\na.jpg,fire,\"x, y\"\nb.png,None,z\n").unwrap();
        let l = read_labels(&p).unwrap();
        assert_eq!(
            l[1],
            Labelled {
                file: "b.png".into(),
                label: "none".into()
            }
        );
        std::fs::write(&p, "file,label\na.jpg,flames\n").unwrap();
        assert!(read_labels(&p).unwrap_err().to_string().contains("flames"));
    }
}
