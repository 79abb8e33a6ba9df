//! Hotspot detection on raw granules: burnwatch finds the fires itself, minutes after a pass,
//! instead of waiting hours for a fire-point product.
//!
//! - [`read_scene`] reads a granule through GDAL (GeoTIFF, NetCDF, HDF4/HDF5 subdatasets) into a
//!   [`Scene`]: brightness temperatures (radiances converted by the inverse Planck function),
//!   reflectances, masks, angles, geolocation.
//! - [`Engine`] runs the published contextual algorithm with every threshold from a
//!   [`SensorProfile`] (`models/*.toml`): MODIS C6, VIIRS 375 m, Himawari AHI ship here.
//! - [`to_detections`] turns fire pixels into normalised [`Detection`]s, so they flow through the
//!   same filters, events and queues as fire-point products; [`parse_any`] is the ingest entry
//!   point that sends granules here and everything else to `burnwatch_ingest::parse_file`.
//! - [`sim`] writes physically mixed synthetic granules through GDAL; [`eval`] measures detection
//!   probability by FRP and false alarms on them.

pub mod engine;
pub mod eval;
pub mod footprint;
pub mod planck;
pub mod profile;
mod read;
pub mod scene;
pub mod sim;
mod worker;
mod write;

use burnwatch_core::detect_config::DetectConfig;
use burnwatch_core::{DayNight, Detection, SourceKind};
use burnwatch_ingest::{IngestError, ParsedFile, ProductFormat, RowError};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The array crate of [`Scene`], re-exported so callers build scenes with the same version.
pub use ndarray;

pub use engine::{Background, Engine, FirePixel, Run, RunStats, SceneProblem};
pub use profile::SensorProfile;
pub use read::{normalise_platform, read_scene};
pub use scene::{Field, Geolocation, Scene, SceneMeta};
pub use write::{write_fire_mask, write_granule, GranuleFormat};

/// Why a granule could not be processed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("sensor profile {path}: {reason}")]
    Profile { path: PathBuf, reason: String },
    #[error("granule {path}: cannot open: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("granule {path}: no {band} band (looked for {looked_for}; the file has: {available})")]
    MissingBand {
        path: PathBuf,
        band: String,
        looked_for: String,
        available: String,
    },
    #[error("granule {path}: band {band}: {reason}")]
    BadBand {
        path: PathBuf,
        band: String,
        reason: String,
    },
    #[error("granule {path}: {problem}")]
    Scene {
        path: PathBuf,
        problem: SceneProblem,
    },
    #[error("granule {path}: no geolocation: no latitude/longitude datasets and no geotransform")]
    NoGeolocation { path: PathBuf },
    #[error("granule {path}: {reason}")]
    Metadata { path: PathBuf, reason: String },
    #[error("granule {path}: which sensor? {reason}")]
    UnknownSensor { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("{0}")]
    Worker(String),
}

impl DetectError {
    /// A stable short name for the failure class.
    pub fn kind(&self) -> &'static str {
        match self {
            DetectError::Profile { .. } => "profile",
            DetectError::Open { .. } => "open",
            DetectError::MissingBand { .. } => "missing_band",
            DetectError::BadBand { .. } => "bad_band",
            DetectError::Scene { .. } => "scene",
            DetectError::NoGeolocation { .. } => "no_geolocation",
            DetectError::Metadata { .. } => "metadata",
            DetectError::UnknownSensor { .. } => "unknown_sensor",
            DetectError::Write { .. } => "write",
            DetectError::Worker(_) => "worker",
        }
    }
}

impl From<DetectError> for IngestError {
    fn from(e: DetectError) -> Self {
        IngestError::Malformed {
            reason: e.to_string(),
        }
    }
}

/// True when `path` looks like a raw granule rather than a fire-point product: a GeoTIFF or HDF4
/// file, or a NetCDF/HDF5 file that is not a VNP14IMG fire product (no `FP_*` arrays, no
/// `fire mask`). Decided by content; unreadable files are not granules (the product parser then
/// reports them).
pub fn is_granule(path: &Path) -> bool {
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    if head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || head.starts_with(b"II+\0")
        || head.starts_with(b"MM\0+")
        || head.starts_with(b"\x0e\x03\x13\x01")
    {
        return true;
    }
    let netcdf = head.starts_with(b"CDF\x01")
        || head.starts_with(b"CDF\x02")
        || head.starts_with(b"CDF\x05")
        || head.starts_with(b"\x89HDF\r\n\x1a\n");
    if !netcdf {
        return false;
    }
    let path = path.to_path_buf();
    worker::on_gdal_thread(move || {
        let file = read::GranuleFile::open(&path)?;
        let product = ["fire mask", "fire_mask", "fp_latitude"];
        let short = file
            .meta
            .get("shortname")
            .map(|s| s.to_ascii_uppercase())
            .unwrap_or_default();
        Ok(!short.contains("14IMG") && !product.iter().any(|p| file.has_any(&[p.to_string()])))
    })
    .unwrap_or(false)
}

/// Ingest entry point: a granule goes through detection with the `[detect]` configuration,
/// anything else through `burnwatch_ingest::parse_file`.
pub fn parse_any(path: &Path, config: &DetectConfig) -> Result<ParsedFile, IngestError> {
    if is_granule(path) {
        detect_file(path, config).map_err(IngestError::from)
    } else {
        burnwatch_ingest::parse_file(path)
    }
}

/// Detects fires in a granule, choosing the profile from the granule's metadata
/// (`SENSOR_PROFILE`, else instrument names matching a profile's `identify`), else
/// `config.sensor`. Writes the fire mask into `config.mask_dir` when that is set.
pub fn detect_file(path: &Path, config: &DetectConfig) -> Result<ParsedFile, DetectError> {
    let profiles = SensorProfile::load_all(&config.models_dir)?;
    let (scene, profile) = read::read_scene_choosing(path, profiles, config.sensor.clone())?;
    let engine = Engine::new(&profile);
    let run = engine.run(&scene).map_err(|problem| DetectError::Scene {
        path: path.to_path_buf(),
        problem,
    })?;
    if let Some(dir) = &config.mask_dir {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "granule".into());
        std::fs::create_dir_all(dir).map_err(|e| DetectError::Write {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        write_fire_mask(
            &dir.join(format!("{stem}.firemask.tif")),
            &engine.fire_mask(&scene, &run),
            &scene,
        )?;
    }
    to_parsed_file(path, &scene, &profile, &run)
}

/// A run as the ingest pipeline's [`ParsedFile`]: fire pixels whose position is unusable become
/// row errors (line = 1-based fire index), as bad rows do in product files.
pub fn to_parsed_file(
    path: &Path,
    scene: &Scene,
    profile: &SensorProfile,
    run: &Run,
) -> Result<ParsedFile, DetectError> {
    let (detections, rejected) = to_detections(path, scene, profile, run)?;
    Ok(ParsedFile {
        format: ProductFormat::Granule,
        rows_read: detections.len() + rejected.len(),
        detections,
        rejected,
    })
}

/// Fire pixels → normalised detections (source `granule`, the profile's instrument, the
/// granule's platform and start time). Needs the acquisition time.
pub fn to_detections(
    path: &Path,
    scene: &Scene,
    profile: &SensorProfile,
    run: &Run,
) -> Result<(Vec<Detection>, Vec<RowError>), DetectError> {
    if run.fires.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let start = scene.meta.start.ok_or_else(|| DetectError::Metadata {
        path: path.to_path_buf(),
        reason: "no acquisition time (START_TIME / time_coverage_start metadata, or .AYYYYDDD.HHMM. / _dYYYYMMDD_tHHMMSS in the name)".into(),
    })?;
    let satellite = scene
        .meta
        .satellite
        .clone()
        .unwrap_or_else(|| profile.default_satellite.clone());
    let instrument = profile.instrument();
    let mut out = Vec::with_capacity(run.fires.len());
    let mut bad = Vec::new();
    for (k, f) in run.fires.iter().enumerate() {
        let d = Detection {
            source: SourceKind::Granule,
            instrument,
            satellite: satellite.clone(),
            acq_time: start,
            lon: f.lon,
            lat: f.lat,
            frp_mw: f.frp_mw.map(|v| (v * 100.0).round() / 100.0),
            confidence: f.class,
            confidence_raw: Some(match profile.confidence.classes {
                profile::ClassMethod::Percent => format!("{:.0}", f.confidence_percent),
                profile::ClassMethod::Viirs => f.mask_class.to_string(),
            }),
            day_night: Some(if f.day {
                DayNight::Day
            } else {
                DayNight::Night
            }),
            scan_km: Some((f.scan_km * 1000.0).round() / 1000.0),
            track_km: Some((f.track_km * 1000.0).round() / 1000.0),
            firms_type: None,
            bright_t4_k: Some((f.t4 as f64 * 100.0).round() / 100.0),
            bright_t11_k: Some((f.t11 as f64 * 100.0).round() / 100.0),
        };
        if d.has_valid_position() {
            out.push(d);
        } else {
            bad.push(RowError {
                line: k + 1,
                message: format!(
                    "fire pixel at row {} col {} has no valid position ({}, {})",
                    f.row, f.col, f.lon, f.lat
                ),
            });
        }
    }
    Ok((out, bad))
}
