//! Sensor profiles: every threshold of the contextual algorithm, per sensor, in a TOML file under
//! `models/` with its source cited beside it. The engine has no sensor-specific constants, so a new
//! sensor (a geostationary imager, another polar orbiter) is a new file.

use crate::planck::BandPlanck;
use crate::DetectError;
use burnwatch_core::Instrument;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorProfile {
    /// The profile's name, equal to its file stem (`viirs-375m`).
    pub name: String,
    pub description: String,
    /// `MODIS`, `VIIRS` or `AHI`: the instrument detections carry.
    pub instrument: String,
    /// Platform used when a granule does not say its own ("Suomi NPP", "Aqua", "Himawari-9").
    pub default_satellite: String,
    /// Lower-case words which, found in a granule's instrument/sensor metadata, select this profile.
    #[serde(default)]
    pub identify: Vec<String>,
    pub bands: Bands,
    #[serde(default)]
    pub inputs: Inputs,
    pub geometry: Geometry,
    /// Solar zenith below this is day, degrees.
    pub day_max_solar_zenith_deg: f32,
    /// Process water pixels too (offshore gas flares); the background then uses pixels of the
    /// centre's own land/water kind.
    pub process_water: bool,
    pub window: Window,
    pub day: Regime,
    pub night: Regime,
    pub confidence: Confidence,
    pub frp: Frp,
    #[serde(default)]
    pub simulation: Simulation,
}

/// An emissive band: where to find it and how to turn it into brightness temperature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Band or variable names to look for (case-insensitive; the last path component of an
    /// HDF/NetCDF subdataset also matches).
    pub names: Vec<String>,
    /// Central wavenumber, cm⁻¹.
    pub wavenumber_cm: f64,
    /// Band correction `T_eff = planck_a + planck_b·T`.
    #[serde(default)]
    pub planck_a: f64,
    #[serde(default = "one")]
    pub planck_b: f64,
    /// Brightness temperature at which the detector saturates, K.
    pub saturation_k: Option<f32>,
    /// Night-time value a very hot pixel folds to (VIIRS I4), K: simulator only.
    pub fold_k: Option<f32>,
    /// True brightness temperature above which a night pixel folds instead of saturating, K:
    /// simulator only.
    pub fold_above_k: Option<f32>,
    /// Plausible brightness temperatures; outside is an invalid pixel, not a cold or hot one.
    #[serde(default = "default_valid_k")]
    pub valid_k: [f32; 2],
    /// Noise-equivalent temperature difference at 300 K, for the simulator.
    #[serde(default = "default_nedt")]
    pub nedt_k: f32,
}

fn one() -> f64 {
    1.0
}
fn default_valid_k() -> [f32; 2] {
    [150.0, 600.0]
}
fn default_nedt() -> f32 {
    0.1
}

impl Band {
    pub fn planck(&self) -> BandPlanck {
        BandPlanck::new(self.wavenumber_cm, self.planck_a, self.planck_b)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    /// Middle infrared, ~3.7–4 µm (T4).
    pub mir: Band,
    /// Thermal infrared, ~11 µm (T11).
    pub tir: Band,
    /// A low-gain MIR band used where `mir` saturates (MODIS band 21 for band 22).
    pub mir_high: Option<Band>,
    /// ~12 µm band for the cloud test (MODIS band 32); T11 is used when absent.
    pub tir12: Option<Band>,
}

/// Names of the optional inputs. Defaults cover common spellings; a profile may replace them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Inputs {
    /// Reflectance ~0.65 µm (0–1).
    pub red: Vec<String>,
    /// Reflectance ~0.86 µm.
    pub nir: Vec<String>,
    /// Reflectance ~1.6/2.1 µm.
    pub swir: Vec<String>,
    /// Non-zero = cloud.
    pub cloud_mask: Vec<String>,
    /// Non-zero = water (a land/sea mask with 1 = land is given as `land_mask`).
    pub water_mask: Vec<String>,
    /// Non-zero = land.
    pub land_mask: Vec<String>,
    pub solar_zenith: Vec<String>,
    pub view_zenith: Vec<String>,
    pub solar_azimuth: Vec<String>,
    pub view_azimuth: Vec<String>,
    pub latitude: Vec<String>,
    pub longitude: Vec<String>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Inputs {
    fn default() -> Self {
        Self {
            red: names(&["red", "reflectance_065", "rho065"]),
            nir: names(&["nir", "reflectance_086", "rho086"]),
            swir: names(&["swir", "reflectance_21", "rho21"]),
            cloud_mask: names(&["cloud_mask", "cloudmask"]),
            water_mask: names(&["water_mask", "watermask"]),
            land_mask: names(&["land_mask", "landmask", "land_sea_mask"]),
            solar_zenith: names(&["solar_zenith", "SolarZenith", "solar_zenith_angle", "SZA"]),
            view_zenith: names(&[
                "view_zenith",
                "sensor_zenith",
                "SensorZenith",
                "sensor_zenith_angle",
                "VZA",
            ]),
            solar_azimuth: names(&["solar_azimuth", "SolarAzimuth", "solar_azimuth_angle"]),
            view_azimuth: names(&[
                "view_azimuth",
                "sensor_azimuth",
                "SensorAzimuth",
                "sensor_azimuth_angle",
            ]),
            latitude: names(&["latitude", "lat", "Latitude"]),
            longitude: names(&["longitude", "lon", "Longitude"]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeometryKind {
    /// A cross-track scanner on a low orbit (MODIS, VIIRS): pixels grow toward the scan edge.
    Swath,
    /// A full-disk imager: pixels grow with the view zenith angle.
    Geostationary,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geometry {
    pub kind: GeometryKind,
    /// Pixel size at nadir (sub-satellite point), km.
    pub nadir_scan_km: f64,
    pub nadir_track_km: f64,
    /// Orbit altitude above the surface, km.
    pub altitude_km: f64,
    /// Largest scan angle of a swath, degrees (the swath's edge).
    #[serde(default)]
    pub max_scan_deg: f64,
    /// Samples of a full swath line (for the scan angle of a column when no view zenith is given).
    #[serde(default)]
    pub swath_samples: usize,
    /// On-board aggregation zones (VIIRS): up to `below_scan_deg`, `samples` detector samples make
    /// one pixel along scan; the nadir pixel is the first zone's.
    #[serde(default)]
    pub aggregation: Vec<AggregationZone>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregationZone {
    pub below_scan_deg: f64,
    pub samples: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Side of the first background window, pixels (odd).
    pub min_size: usize,
    /// Largest window before the pixel is left unclassified.
    pub max_size: usize,
    /// Enough background: at least this fraction of the window's pixels…
    pub min_valid_fraction: f32,
    /// …and at least this many.
    pub min_valid_count: usize,
    /// Pixels left out around the centre: ±rows along track, ±cols along scan.
    pub exclude_half_rows: usize,
    pub exclude_half_cols: usize,
}

/// A threshold that may depend on the solar zenith angle: `max(floor, base + per_sza_deg·SZA)`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum Threshold {
    Fixed(f32),
    Sza {
        base: f32,
        per_sza_deg: f32,
        floor: f32,
    },
}

impl Threshold {
    #[inline]
    pub fn at(&self, sza_deg: f32) -> f32 {
        match *self {
            Threshold::Fixed(v) => v,
            Threshold::Sza {
                base,
                per_sza_deg,
                floor,
            } => (base + per_sza_deg * sza_deg).max(floor),
        }
    }

    /// The lowest value it can take (for the cheap first pass).
    pub fn lowest(&self) -> f32 {
        match *self {
            Threshold::Fixed(v) => v,
            Threshold::Sza {
                base,
                per_sza_deg,
                floor,
            } => {
                // SZA ranges over 0..=180.
                let ends = (base).min(base + per_sza_deg * 180.0);
                ends.max(floor)
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub cloud: CloudTests,
    pub potential: Potential,
    pub absolute: Absolute,
    pub background_fire: BackgroundFire,
    pub contextual: Contextual,
    pub glint: Option<Glint>,
    pub desert: Option<Desert>,
    pub coastal: Option<Coastal>,
    pub clearing: Option<Clearing>,
    /// Confidence ramp C1 = S(T4; a, b).
    pub confidence_mir_ramp_k: [f32; 2],
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudTests {
    /// Cloud when T12 (T11 if no 12 µm band) is below this, K.
    pub tir_below_k: Option<f32>,
    /// Cloud when ρ0.65 + ρ0.86 is above this.
    pub vis_sum_above: Option<f32>,
    /// Cloud when ρ0.65 + ρ0.86 > [0] and T12 < [1] K.
    pub vis_sum_and_tir_below: Option<(f32, f32)>,
    /// Over water, cloud when ρ0.86 > [0] and T12 < [1] K.
    pub water_nir_and_tir_below: Option<(f32, f32)>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedianRule {
    /// Side of the window whose median T4 is the threshold, pixels.
    pub window: usize,
    /// The median is clamped to this range, K.
    pub clamp_k: [f32; 2],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Potential {
    pub mir_above_k: Threshold,
    pub dt_above_k: Threshold,
    /// Day: ρ0.86 must be below this (bright surfaces reflect MIR sunlight).
    pub nir_below: Option<f32>,
    /// A scene-dependent T4 threshold: the clamped median T4 around the pixel (VIIRS day).
    pub mir_median: Option<MedianRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Absolute {
    /// T4 above this is fire (if the pixel also passed the potential test when
    /// `requires_potential`).
    pub mir_above_k: Option<f32>,
    #[serde(default)]
    pub requires_potential: bool,
    /// A saturated T4 with T11 above this is fire…
    pub saturated_tir_above_k: Option<f32>,
    /// …if ρ0.65 + ρ0.86 is below this (when reflectances exist).
    pub saturated_vis_sum_below: Option<f32>,
    /// T4 − T11 < 0 with T11 above this is fire (the MIR band wrapped or saturated).
    pub negative_dt_tir_above_k: Option<f32>,
    /// Folded T4 (at most this, K)…
    pub folded_mir_at_most_k: Option<f32>,
    /// …with T11 above this is fire.
    pub folded_tir_above_k: Option<f32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundFire {
    pub mir_above_k: f32,
    pub dt_above_k: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TirTest {
    /// T11 > T11b + mad·δ11 + offset_k …
    pub mad: f32,
    pub offset_k: f32,
    /// … or δ′4 (MAD of the rejected background fires) above this.
    pub or_rejected_mad_above_k: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contextual {
    /// ΔT > ΔTb + dt_mad·δΔT
    pub dt_mad: f32,
    /// ΔT > ΔTb + dt_offset_k
    pub dt_offset_k: f32,
    /// T4 > T4b + mir_mad·δ4
    pub mir_mad: f32,
    /// The thermal test, day only in both MODIS and VIIRS.
    pub tir: Option<TirTest>,
    /// MADs below this are raised to it, K (0 = none).
    #[serde(default)]
    pub mad_floor_k: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlintAction {
    /// The pixel is not a fire (MODIS).
    Reject,
    /// The fire is kept with low confidence (VIIRS 375 m).
    Low,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Glint {
    pub action: GlintAction,
    /// Glint angle below this, degrees.
    pub angle_below_deg: f32,
    /// Glint angle below [0] with ρ0.65 > [1], ρ0.86 > [2], ρswir > [3].
    pub bright: Option<(f32, f32, f32, f32)>,
    /// Glint angle below this with water adjacent or in the background window.
    pub water_angle_below_deg: Option<f32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Desert {
    pub rejected_fraction_above: f32,
    pub rejected_count_at_least: usize,
    pub nir_above: f32,
    pub rejected_mean_below_k: f32,
    pub rejected_mad_below_k: f32,
    /// Reject when T4 < T′4b + this·δ′4.
    pub mir_rejected_mad: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coastal {
    /// Unmasked water: NDVI below this, ρswir below, ρ0.86 below.
    pub ndvi_below: f32,
    pub swir_below: f32,
    pub nir_below: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clearing {
    /// Reject when T11 > T11b + tir_mad·δ11, ρ0.86 > nir_above and T4 < mir_below_k.
    pub tir_mad: f32,
    pub nir_above: f32,
    pub mir_below_k: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassMethod {
    /// low/nominal/high from the 0–100 ramp confidence (MODIS, FIRMS).
    Percent,
    /// VNP14IMG rules: high = saturated, low = glint or T4 − T4b below a margin, else nominal.
    Viirs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confidence {
    pub classes: ClassMethod,
    pub z4_ramp: [f32; 2],
    pub zdt_ramp: [f32; 2],
    pub adjacent_cloud_ramp: [f32; 2],
    pub adjacent_water_ramp: [f32; 2],
    #[serde(default = "default_low_below")]
    pub low_below_percent: f32,
    #[serde(default = "default_high_from")]
    pub high_from_percent: f32,
    /// VIIRS: low when T4 − T4b is below this, K.
    #[serde(default)]
    pub low_below_mir_excess_k: f32,
}

fn default_low_below() -> f32 {
    30.0
}
fn default_high_from() -> f32 {
    80.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frp {
    /// `a` of L = a·T⁴ for the MIR band, W m⁻² sr⁻¹ µm⁻¹ K⁻⁴; fitted from the band when absent.
    pub coefficient: Option<f64>,
    /// Fire temperatures of the fit, K.
    #[serde(default = "default_fit")]
    pub fit_range_k: [f64; 2],
}

fn default_fit() -> [f64; 2] {
    [650.0, 1350.0]
}

/// What the simulator needs beyond the bands: surface optics. Not used by the detector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Simulation {
    /// Land reflectance in the MIR band by day (adds reflected sunlight to T4).
    pub land_mir_reflectance: f32,
    /// Solar irradiance at the top of the atmosphere in the MIR band, W m⁻² µm⁻¹.
    pub mir_solar_irradiance: f32,
}

impl Default for Simulation {
    fn default() -> Self {
        Self {
            land_mir_reflectance: 0.06,
            // Solar spectral irradiance near 3.7–3.9 µm (Thuillier 2003 / Wehrli 1985 tables).
            mir_solar_irradiance: 11.0,
        }
    }
}

impl SensorProfile {
    /// Reads `dir/<name>.toml`.
    pub fn load(dir: &Path, name: &str) -> Result<Self, DetectError> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(DetectError::Profile {
                path: dir.to_path_buf(),
                reason: format!("{name:?} is not a profile name (letters, digits, - _ .)"),
            });
        }
        let path = dir.join(format!("{name}.toml"));
        Self::load_file(&path)
    }

    pub fn load_file(path: &Path) -> Result<Self, DetectError> {
        let text = std::fs::read_to_string(path).map_err(|e| DetectError::Profile {
            path: path.to_path_buf(),
            reason: format!("cannot read: {e}"),
        })?;
        let profile: SensorProfile = toml::from_str(&text).map_err(|e| DetectError::Profile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        profile.validate().map_err(|reason| DetectError::Profile {
            path: path.to_path_buf(),
            reason,
        })?;
        Ok(profile)
    }

    /// Every profile in `dir`, sorted by name.
    pub fn load_all(dir: &Path) -> Result<Vec<Self>, DetectError> {
        let entries = std::fs::read_dir(dir).map_err(|e| DetectError::Profile {
            path: dir.to_path_buf(),
            reason: format!("cannot list sensor profiles: {e}"),
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| Self::load_file(p)).collect()
    }

    pub fn instrument(&self) -> Instrument {
        match self.instrument.to_ascii_uppercase().as_str() {
            "MODIS" => Instrument::Modis,
            "VIIRS" => Instrument::Viirs,
            _ => Instrument::Ahi,
        }
    }

    /// The MIR radiance-method constant for FRP.
    pub fn frp_coefficient(&self) -> f64 {
        self.frp.coefficient.unwrap_or_else(|| {
            self.bands
                .mir
                .planck()
                .frp_coefficient(self.frp.fit_range_k[0], self.frp.fit_range_k[1])
        })
    }

    fn validate(&self) -> Result<(), String> {
        match self.instrument.to_ascii_uppercase().as_str() {
            "MODIS" | "VIIRS" | "AHI" => {}
            other => {
                return Err(format!(
                    "instrument {other:?} is not one burnwatch knows (MODIS, VIIRS, AHI)"
                ))
            }
        }
        let w = &self.window;
        if w.min_size & 1 == 0 || w.max_size & 1 == 0 || w.min_size < 3 || w.max_size < w.min_size {
            return Err(format!(
                "window sizes must be odd, ≥ 3, min ≤ max (got {}..{})",
                w.min_size, w.max_size
            ));
        }
        let (gr, gc) = (2 * w.exclude_half_rows + 1, 2 * w.exclude_half_cols + 1);
        if gr > w.min_size || gc > w.min_size || gr * gc >= w.min_size * w.min_size {
            return Err("the excluded centre must leave pixels in the smallest window".into());
        }
        if !(0.0..=1.0).contains(&w.min_valid_fraction) {
            return Err("window.min_valid_fraction must be within 0..1".into());
        }
        for (name, band) in [("mir", &self.bands.mir), ("tir", &self.bands.tir)] {
            if band.names.is_empty() {
                return Err(format!("bands.{name}.names is empty"));
            }
            if !(band.wavenumber_cm > 100.0 && band.wavenumber_cm < 10_000.0) {
                return Err(format!(
                    "bands.{name}.wavenumber_cm {} is not an infrared wavenumber",
                    band.wavenumber_cm
                ));
            }
            if band.planck_b <= 0.0 {
                return Err(format!("bands.{name}.planck_b must be positive"));
            }
        }
        let g = &self.geometry;
        if !(g.nadir_scan_km > 0.0 && g.nadir_track_km > 0.0 && g.altitude_km > 0.0) {
            return Err("geometry sizes and altitude must be positive".into());
        }
        for regime in [&self.day, &self.night] {
            if let Some(m) = &regime.potential.mir_median {
                if m.window & 1 == 0 || m.clamp_k[0] > m.clamp_k[1] {
                    return Err(
                        "potential.mir_median needs an odd window and clamp_k[0] ≤ clamp_k[1]"
                            .into(),
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
    }

    #[test]
    fn shipped_profiles_load_and_cite_their_sources() {
        let all = SensorProfile::load_all(&models()).unwrap();
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        for want in ["modis-c6", "viirs-375m", "himawari-ahi"] {
            assert!(names.contains(&want), "{names:?}");
        }
        for p in &all {
            let text = std::fs::read_to_string(models().join(format!("{}.toml", p.name))).unwrap();
            // Every numeric setting line carries a citation comment (or is inside a cited table).
            for (i, line) in text.lines().enumerate() {
                let l = line.trim();
                let numeric = l.contains('=')
                    && l.split('=').nth(1).is_some_and(|v| {
                        let v = v.trim_start().trim_start_matches(['[', '{', ' ']);
                        v.starts_with(|c: char| c.is_ascii_digit() || c == '-')
                            || v.starts_with("below_scan_deg")
                            || v.starts_with("window")
                            || v.starts_with("base")
                            || v.starts_with("mad")
                    });
                if numeric && !l.starts_with('#') {
                    assert!(
                        l.contains('#'),
                        "{}.toml line {}: threshold without a source: {l}",
                        p.name,
                        i + 1
                    );
                }
            }
        }
        let viirs = all.iter().find(|p| p.name == "viirs-375m").unwrap();
        assert_eq!(viirs.bands.mir.saturation_k, Some(367.0));
    }

    #[test]
    fn unknown_keys_and_bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = std::fs::read_to_string(models().join("viirs-375m.toml")).unwrap();
        std::fs::write(
            dir.path().join("x.toml"),
            good.replace("process_water", "process_waters"),
        )
        .unwrap();
        let err = SensorProfile::load(dir.path(), "x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("process_waters") && err.contains("x.toml"),
            "{err}"
        );
        assert!(SensorProfile::load(dir.path(), "../etc/passwd").is_err());
        let err = SensorProfile::load(dir.path(), "missing")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.toml"), "{err}");
    }

    #[test]
    fn sza_thresholds_follow_the_geostationary_family() {
        let t = Threshold::Sza {
            base: 310.5,
            per_sza_deg: -0.3,
            floor: 280.0,
        };
        assert_eq!(t.at(0.0), 310.5);
        assert!((t.at(50.0) - 295.5).abs() < 1e-4);
        assert_eq!(t.at(150.0), 280.0);
        assert_eq!(t.lowest(), 280.0);
    }
}
