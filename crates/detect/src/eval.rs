//! Detection probability by FRP and false alarms, measured on simulated granules that go through
//! the same GDAL write → read → detect path as real ones.

use crate::engine::Engine;
use crate::profile::SensorProfile;
use crate::read::read_scene;
use crate::sim::{simulate, SimOptions, TruthKind};
use crate::write::{write_granule, GranuleFormat};
use crate::DetectError;
use std::fmt;
use std::path::Path;

/// FRP bins of the report, MW: [lo, hi).
pub const FRP_BINS: [(f64, f64); 6] = [
    (0.5, 1.0),
    (1.0, 2.0),
    (2.0, 5.0),
    (5.0, 10.0),
    (10.0, 50.0),
    (50.0, f64::INFINITY),
];

#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub seed: u64,
    /// Scenes with fires, per regime (day, night).
    pub scenes: usize,
    pub fires_per_scene: usize,
    /// Fire-free scenes (clouds, lakes, hot bare ground), per regime.
    pub fire_free_scenes: usize,
    pub rows: usize,
    pub cols: usize,
}

impl EvalOptions {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            scenes: 6,
            fires_per_scene: 40,
            fire_free_scenes: 3,
            rows: 384,
            cols: 384,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bin {
    pub fires: usize,
    pub detected: usize,
}

impl Bin {
    pub fn probability(&self) -> Option<f64> {
        (self.fires > 0).then(|| self.detected as f64 / self.fires as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegimeReport {
    pub bins: [Bin; 6],
    /// Detections not at any simulated heat source, in the scenes with fires.
    pub false_alarms: usize,
    /// Pixels away from every heat source in those scenes.
    pub fire_free_pixels: usize,
    /// Detections in the dedicated fire-free scenes (must be 0).
    pub fire_free_scene_detections: usize,
    pub fire_free_scene_pixels: usize,
    pub industrial: Bin,
    /// Median of estimated / true FRP over detected straw fires.
    pub frp_ratio_median: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub profile: String,
    pub seed: u64,
    pub day: RegimeReport,
    pub night: RegimeReport,
}

/// Runs the evaluation; granules are written to and read from `work_dir`.
pub fn evaluate(
    profile: &SensorProfile,
    o: &EvalOptions,
    work_dir: &Path,
) -> Result<EvalReport, DetectError> {
    let engine = Engine::new(profile);
    let mut regimes = [RegimeReport::default(), RegimeReport::default()];
    for (ri, day) in [true, false].into_iter().enumerate() {
        let report = &mut regimes[ri];
        let mut ratios = Vec::new();
        let total = o.scenes + o.fire_free_scenes;
        for k in 0..total {
            let fire_free = k >= o.scenes;
            let mut so = SimOptions::new(
                o.seed
                    .wrapping_mul(1000)
                    .wrapping_add((ri * 100 + k) as u64),
                day,
            );
            so.rows = o.rows;
            so.cols = o.cols;
            // Spread the scenes across the swath: pixels (and so detection limits) grow off nadir.
            // View zenith from −55° to 55°, as the scan angle that sees it from this orbit.
            let vza = (-55.0 + 110.0 * (k as f64 + 0.5) / total as f64).to_radians();
            let r_ratio = (6371.0 + profile.geometry.altitude_km) / 6371.0;
            so.scan_centre_deg = (vza.sin() / r_ratio).asin().to_degrees();
            if fire_free {
                so.fires = 0;
                so.industrial = 0;
                so.cloud_cover = 0.3;
                so.lakes = 3;
                so.bare_patches = 6;
            } else {
                so.fires = o.fires_per_scene;
                so.industrial = 0;
            }
            let sim = simulate(profile, &so);
            let path = work_dir.join(format!(
                "eval_{}_{}_{k}.tif",
                profile.name,
                if day { "day" } else { "night" }
            ));
            write_granule(&path, &sim.scene, profile, GranuleFormat::GeoTiff)?;
            let scene = read_scene(&path, profile)?;
            let run = engine.run(&scene).map_err(|problem| DetectError::Scene {
                path: path.clone(),
                problem,
            })?;
            let _ = std::fs::remove_file(&path);
            let near = |r: usize, c: usize, fr: usize, fc: usize| {
                r.abs_diff(fr) <= 1 && c.abs_diff(fc) <= 1
            };
            let pixels = scene.rows() * scene.cols();
            if fire_free {
                report.fire_free_scene_detections += run.fires.len();
                report.fire_free_scene_pixels += pixels;
                continue;
            }
            for t in &sim.truth {
                let hit = run.fires.iter().find(|f| near(f.row, f.col, t.row, t.col));
                if t.kind == TruthKind::Industrial {
                    report.industrial.fires += 1;
                    report.industrial.detected += hit.is_some() as usize;
                    continue;
                }
                if let Some(bin) = FRP_BINS
                    .iter()
                    .position(|&(lo, hi)| t.frp_mw >= lo && t.frp_mw < hi)
                {
                    report.bins[bin].fires += 1;
                    report.bins[bin].detected += hit.is_some() as usize;
                }
                if let Some(est) = hit.and_then(|f| f.frp_mw) {
                    ratios.push(est / t.frp_mw);
                }
            }
            report.false_alarms += run
                .fires
                .iter()
                .filter(|f| !sim.truth.iter().any(|t| near(f.row, f.col, t.row, t.col)))
                .count();
            report.fire_free_pixels += pixels - 9 * sim.truth.len();
        }
        ratios.sort_by(f64::total_cmp);
        report.frp_ratio_median = (!ratios.is_empty()).then(|| ratios[ratios.len() / 2]);
    }
    let [day, night] = regimes;
    Ok(EvalReport {
        profile: profile.name.clone(),
        seed: o.seed,
        day,
        night,
    })
}

fn per_million(n: usize, pixels: usize) -> f64 {
    if pixels == 0 {
        0.0
    } else {
        n as f64 * 1.0e6 / pixels as f64
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "profile {}  seed {}", self.profile, self.seed)?;
        writeln!(f, "detection probability by true FRP (detected/fires):")?;
        writeln!(f, "  {:<10} {:>16} {:>16}", "FRP MW", "day", "night")?;
        for (i, (lo, hi)) in FRP_BINS.iter().enumerate() {
            let label = if hi.is_finite() {
                format!("{lo}–{hi}")
            } else {
                format!(">{lo}")
            };
            let cell = |b: &Bin| match b.probability() {
                Some(p) => format!("{:>5.1}% ({}/{})", 100.0 * p, b.detected, b.fires),
                None => "-".to_string(),
            };
            writeln!(
                f,
                "  {:<10} {:>16} {:>16}",
                label,
                cell(&self.day.bins[i]),
                cell(&self.night.bins[i])
            )?;
        }
        for (name, r) in [("day", &self.day), ("night", &self.night)] {
            writeln!(
                f,
                "{name}: false alarms {} in {} fire-free pixels of fire scenes ({:.2} per million); \
                 fire-free scenes (clouds, lakes, hot bare ground): {} detections in {} pixels ({:.2} per million); \
                 median FRP estimate/true {}",
                r.false_alarms,
                r.fire_free_pixels,
                per_million(r.false_alarms, r.fire_free_pixels),
                r.fire_free_scene_detections,
                r.fire_free_scene_pixels,
                per_million(r.fire_free_scene_detections, r.fire_free_scene_pixels),
                r.frp_ratio_median
                    .map(|v| format!("{v:.2}"))
                    .unwrap_or_else(|| "-".into())
            )?;
        }
        Ok(())
    }
}
