//! `burnwatch detect`, `burnwatch simulate granule`, `burnwatch eval detect`: arguments and
//! printing only; the work is in `burnwatch-detect`.

use anyhow::{bail, Context, Result};
use burnwatch_core::config::Config;
use burnwatch_detect::eval::{evaluate, EvalOptions};
use burnwatch_detect::sim::{simulate, write_truth_csv, SimOptions};
use burnwatch_detect::{
    read_scene, to_detections, write_fire_mask, write_granule, Engine, GranuleFormat, SensorProfile,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Sensor profiles folder: `--models`, else the config's `[detect] models_dir` when it exists,
/// else `models/` here.
fn models_dir(config_path: &Path, models: Option<PathBuf>) -> PathBuf {
    if let Some(m) = models {
        return m;
    }
    if config_path.exists() {
        if let Ok(c) = Config::load(config_path) {
            if c.detect.models_dir.is_dir() {
                return c.detect.models_dir;
            }
        }
    }
    PathBuf::from("models")
}

fn load_profile(config_path: &Path, models: Option<PathBuf>, name: &str) -> Result<SensorProfile> {
    let dir = models_dir(config_path, models);
    Ok(SensorProfile::load(&dir, name)?)
}

#[derive(clap::Args)]
pub struct DetectArgs {
    /// A granule: GeoTIFF, NetCDF, HDF4/HDF5.
    granule: PathBuf,
    /// Sensor profile name (models/<name>.toml): modis-c6, viirs-375m, himawari-ahi, …
    #[arg(long)]
    sensor: String,
    /// Folder of sensor profiles (default: the config's [detect] models_dir, else models/).
    #[arg(long)]
    models: Option<PathBuf>,
    /// Write the fire pixels as GeoJSON here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the fire mask (VNP14IMG classes 0–9) as a GeoTIFF here.
    #[arg(long)]
    mask: Option<PathBuf>,
}

pub fn detect(config_path: &Path, a: DetectArgs) -> Result<()> {
    let profile = load_profile(config_path, a.models, &a.sensor)?;
    let t0 = std::time::Instant::now();
    let scene = read_scene(&a.granule, &profile)?;
    let t_read = t0.elapsed();
    let engine = Engine::new(&profile);
    let t1 = std::time::Instant::now();
    let run = engine
        .run(&scene)
        .map_err(|p| anyhow::anyhow!("granule {}: {p}", a.granule.display()))?;
    let t_detect = t1.elapsed();
    let (detections, rejected) = to_detections(&a.granule, &scene, &profile, &run)?;
    if let Some(mask) = &a.mask {
        write_fire_mask(mask, &engine.fire_mask(&scene, &run), &scene)?;
    }
    if let Some(out) = &a.out {
        let features: Vec<serde_json::Value> = detections
            .iter()
            .map(|d| {
                serde_json::json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
                    "properties": {
                        "source": d.source.as_str(),
                        "instrument": d.instrument.as_str(),
                        "satellite": d.satellite,
                        "acq_time_utc": d.acq_time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        "frp_mw": d.frp_mw,
                        "confidence": d.confidence.as_str(),
                        "confidence_raw": d.confidence_raw,
                        "day_night": d.day_night.map(|x| x.as_str()),
                        "scan_km": d.scan_km,
                        "track_km": d.track_km,
                        "bright_t4_k": d.bright_t4_k,
                        "bright_t11_k": d.bright_t11_k,
                    }
                })
            })
            .collect();
        let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
        std::fs::write(out, serde_json::to_string_pretty(&fc)?)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    let s = &run.stats;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "{}: {} fire pixels ({} {}×{} pixels, {} valid, {} clear, {} candidates, {} unclassified; read {:.0} ms, detect {:.0} ms)",
        a.granule.display(),
        detections.len(),
        profile.name,
        scene.rows(),
        scene.cols(),
        s.valid,
        s.clear,
        s.candidates,
        s.unknown_background,
        t_read.as_secs_f64() * 1e3,
        t_detect.as_secs_f64() * 1e3
    )?;
    for r in &rejected {
        eprintln!("{}: fire {}: {}", a.granule.display(), r.line, r.message);
    }
    if !s.skipped_tests.is_empty() {
        let skipped: Vec<&str> = s.skipped_tests.iter().copied().collect();
        eprintln!("tests skipped for missing inputs: {}", skipped.join("; "));
    }
    for d in &detections {
        writeln!(
            out,
            "  {:>10.5} {:>9.5}  T4 {:>6.1} K  T11 {:>6.1} K  FRP {:>7}  {:<7} {}×{} km",
            d.lon,
            d.lat,
            d.bright_t4_k.unwrap_or(f64::NAN),
            d.bright_t11_k.unwrap_or(f64::NAN),
            d.frp_mw
                .map(|f| format!("{f:.1} MW"))
                .unwrap_or_else(|| "-".into()),
            d.confidence.as_str(),
            d.scan_km.unwrap_or(f64::NAN),
            d.track_km.unwrap_or(f64::NAN),
        )?;
    }
    out.flush()?;
    Ok(())
}

#[derive(clap::Args)]
pub struct SimulateGranuleArgs {
    /// Sensor profile name (models/<name>.toml).
    #[arg(long)]
    sensor: String,
    /// Output granule: .tif (GeoTIFF, brightness temperatures) or .nc (NetCDF-4, swath-style
    /// radiances with latitude/longitude).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Straw fires to place.
    #[arg(long, default_value_t = 20)]
    fires: usize,
    /// Truth CSV: every heat source with its FRP.
    #[arg(long)]
    truth: Option<PathBuf>,
    #[arg(long, conflicts_with = "night")]
    day: bool,
    #[arg(long)]
    night: bool,
    #[arg(long, default_value_t = 256)]
    rows: usize,
    #[arg(long, default_value_t = 256)]
    cols: usize,
    /// Centre longitude, latitude (default: the demo prefecture).
    #[arg(long, default_value_t = 116.57)]
    lon: f64,
    #[arg(long, default_value_t = 35.145)]
    lat: f64,
    /// Persistent industrial hot spots.
    #[arg(long, default_value_t = 2)]
    industrial: usize,
    #[arg(long)]
    models: Option<PathBuf>,
}

pub fn simulate_granule(config_path: &Path, a: SimulateGranuleArgs) -> Result<()> {
    let profile = load_profile(config_path, a.models, &a.sensor)?;
    // Day unless told otherwise.
    let mut o = SimOptions::new(a.seed, !a.night);
    o.fires = a.fires;
    o.rows = a.rows;
    o.cols = a.cols;
    o.centre_lon = a.lon;
    o.centre_lat = a.lat;
    o.industrial = a.industrial;
    if !(o.centre_lat.abs() < 80.0 && o.centre_lon.abs() <= 180.0) {
        bail!("--lon/--lat must be a place on Earth below 80° latitude");
    }
    let sim = simulate(&profile, &o);
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_granule(
        &a.out,
        &sim.scene,
        &profile,
        GranuleFormat::from_path(&a.out),
    )?;
    if let Some(t) = &a.truth {
        write_truth_csv(t, &sim.truth).with_context(|| format!("writing {}", t.display()))?;
    }
    eprintln!(
        "wrote {} ({}, {}×{} pixels, {}, {} heat sources)",
        a.out.display(),
        profile.name,
        o.rows,
        o.cols,
        if o.day { "day" } else { "night" },
        sim.truth.len()
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct EvalDetectArgs {
    /// Sensor profile name (models/<name>.toml).
    #[arg(long)]
    sensor: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Scenes with fires per regime (day, night).
    #[arg(long, default_value_t = 6)]
    scenes: usize,
    /// Fire-free scenes (clouds, lakes, hot bare ground) per regime.
    #[arg(long, default_value_t = 3)]
    fire_free: usize,
    #[arg(long, default_value_t = 40)]
    fires: usize,
    #[arg(long, default_value_t = 384)]
    size: usize,
    #[arg(long)]
    models: Option<PathBuf>,
}

pub fn eval_detect(config_path: &Path, a: EvalDetectArgs) -> Result<()> {
    let profile = load_profile(config_path, a.models, &a.sensor)?;
    let mut o = EvalOptions::new(a.seed);
    o.scenes = a.scenes;
    o.fire_free_scenes = a.fire_free;
    o.fires_per_scene = a.fires;
    o.rows = a.size;
    o.cols = a.size;
    let dir = std::env::temp_dir().join(format!("burnwatch-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let report = evaluate(&profile, &o, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    print!("{}", report?);
    Ok(())
}
