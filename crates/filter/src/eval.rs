//! `burnwatch eval filter`: a simulated season (from `burnwatch simulate season`) through the
//! real path — registry import, every daily file through the pipeline with the configured
//! filters and cropland class, then the learner — measured against the simulator's truth.
//!
//! The store is in memory and fresh, so the measurement never touches an operator's store and
//! is the same on every run.

use crate::learn::{learn_and_propose, LearnRun};
use crate::registry::{import_sources, ImportOptions, ImportReport};
use crate::FilterError;
use burnwatch_core::geodesy::haversine_km;
use burnwatch_core::Config;
use burnwatch_pipeline::{Pipeline, Routing};
use burnwatch_store::{DetectionQuery, SourceStore, SqliteStore, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// A place where the simulator put a persistent heat source.
#[derive(Debug, Clone, Deserialize)]
struct TruthSite {
    site_id: usize,
    name: String,
    lon: f64,
    lat: f64,
    footprint_km: f64,
    registered: bool,
}

/// One pixel the simulator wrote into a daily product file.
#[derive(Debug, Clone, Deserialize)]
struct TruthPixel {
    acq_date: String,
    acq_time: String,
    lat: String,
    lon: String,
    /// "site", "crop" or "off_crop".
    kind: String,
    origin_id: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvalReport {
    pub season: PathBuf,
    pub files: usize,
    pub files_rejected: usize,
    pub detections_stored: usize,
    /// Truth pixels with no stored detection (a same-pass duplicate merged by the pipeline).
    pub truth_unmatched: usize,
    pub registry: ImportReport,
    pub registered_sites: usize,
    pub registered_detections: usize,
    pub registered_suppressed: usize,
    pub hidden_sites: usize,
    pub hidden_found: usize,
    pub hidden_missed: Vec<String>,
    pub candidates: usize,
    pub candidates_at_sites: usize,
    pub false_candidates: usize,
    /// False candidates within 1 km of a simulated crop or off-cropland fire.
    pub false_at_fire_places: usize,
    pub crop_detections: usize,
    pub crop_suppressed: usize,
    pub crop_classed_straw: usize,
    pub off_crop_detections: usize,
    pub off_crop_suppressed: usize,
    pub off_crop_not_straw: usize,
    pub alerts: i64,
    /// Suppressions by kind of reason ("registry", "silence", "product_flag", …).
    pub reasons: BTreeMap<String, usize>,
    pub learn: Option<LearnRun>,
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        f64::NAN
    } else {
        n as f64 / of as f64
    }
}

/// A measured figure against its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub name: &'static str,
    pub value: f64,
    pub target: &'static str,
    pub met: bool,
}

impl EvalReport {
    pub fn registered_suppressed_share(&self) -> f64 {
        share(self.registered_suppressed, self.registered_detections)
    }
    pub fn hidden_found_share(&self) -> f64 {
        share(self.hidden_found, self.hidden_sites)
    }
    pub fn false_candidate_share(&self) -> f64 {
        // No candidates at all: nothing false was proposed.
        if self.candidates == 0 {
            0.0
        } else {
            share(self.false_candidates, self.candidates)
        }
    }
    pub fn crop_suppressed_share(&self) -> f64 {
        share(self.crop_suppressed, self.crop_detections)
    }

    /// The four targets.
    pub fn targets(&self) -> Vec<Target> {
        let t = |name, value: f64, target, met: bool| Target {
            name,
            value,
            target,
            met: met && value.is_finite(),
        };
        vec![
            t(
                "detections at registered sites suppressed",
                self.registered_suppressed_share(),
                "≥ 99 %",
                self.registered_suppressed_share() >= 0.99,
            ),
            t(
                "hidden sites found by the learner",
                self.hidden_found_share(),
                "≥ 90 %",
                self.hidden_found_share() >= 0.90,
            ),
            t(
                "false candidates (not at any site)",
                self.false_candidate_share(),
                "≤ 5 %",
                self.false_candidate_share() <= 0.05,
            ),
            t(
                "crop-fire detections wrongly suppressed",
                self.crop_suppressed_share(),
                "≤ 1 %",
                self.crop_suppressed_share() <= 0.01,
            ),
        ]
    }

    pub fn all_met(&self) -> bool {
        self.targets().iter().all(|t| t.met)
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "season {}", self.season.display())?;
        writeln!(
            f,
            "  {} files ({} rejected), {} detections stored, {} alerts; {} truth pixels unmatched",
            self.files,
            self.files_rejected,
            self.detections_stored,
            self.alerts,
            self.truth_unmatched
        )?;
        writeln!(
            f,
            "  registry: {} rows, {} imported, {} duplicates merged, {} bad rows",
            self.registry.rows,
            self.registry.imported.len(),
            self.registry.duplicates.len(),
            self.registry.errors.len()
        )?;
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(f, "  suppressed by: {}", reasons.join(", "))?;
        writeln!(
            f,
            "  registered sites: {} — {}/{} of their detections suppressed",
            self.registered_sites, self.registered_suppressed, self.registered_detections
        )?;
        writeln!(
            f,
            "  hidden sites: {} — {} found{}",
            self.hidden_sites,
            self.hidden_found,
            if self.hidden_missed.is_empty() {
                String::new()
            } else {
                format!(" (missed: {})", self.hidden_missed.join(", "))
            }
        )?;
        writeln!(
            f,
            "  candidates: {} — {} at sites, {} false ({} at fire places)",
            self.candidates,
            self.candidates_at_sites,
            self.false_candidates,
            self.false_at_fire_places
        )?;
        writeln!(
            f,
            "  crop-fire detections: {} — {} suppressed, {} classed straw",
            self.crop_detections, self.crop_suppressed, self.crop_classed_straw
        )?;
        writeln!(
            f,
            "  off-cropland fire detections: {} — {} suppressed, {} classed not_straw",
            self.off_crop_detections, self.off_crop_suppressed, self.off_crop_not_straw
        )?;
        for t in self.targets() {
            writeln!(
                f,
                "  {:<44} {:>7.2} %  target {:<7} {}",
                t.name,
                100.0 * t.value,
                t.target,
                if t.met { "met" } else { "MISSED" }
            )?;
        }
        Ok(())
    }
}

fn read_csv<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, FilterError> {
    let bad = |message: String| FilterError::File {
        path: path.to_owned(),
        message,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    reader
        .deserialize()
        .map(|r| r.map_err(|e| bad(e.to_string())))
        .collect()
}

/// Files of a folder, oldest product first: by the date in the name, then by name.
fn daily_files(dir: &Path) -> Result<Vec<PathBuf>, FilterError> {
    let read = |e: std::io::Error| FilterError::Read {
        path: dir.to_owned(),
        source: e,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .map(|e| e.map(|e| e.path()).map_err(read))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.is_file())
        .collect();
    let date_in = |p: &Path| -> String {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        let b = name.as_bytes();
        (0..b.len().saturating_sub(9))
            .find(|&i| {
                b[i..i + 10].iter().enumerate().all(|(k, c)| match k {
                    4 | 7 => *c == b'-',
                    _ => c.is_ascii_digit(),
                })
            })
            .map(|i| name[i..i + 10].to_owned())
            .unwrap_or_default()
    };
    files.sort_by_key(|p| (date_in(p), p.clone()));
    Ok(files)
}

/// Runs the season in `dir` and measures it.
pub fn evaluate_season(dir: &Path) -> Result<EvalReport, FilterError> {
    let mut config = Config::load(&dir.join("burnwatch.toml"))?;
    // A rejected file would be moved out of the season; keep it inside, where it is visible.
    config.ingest.quarantine_dir = dir.join("eval-quarantine");
    let mut store = SqliteStore::open_in_memory()?;
    let routing = Routing::load(&config.regions)?;
    store.replace_regions(&routing.region_rows()?)?;
    let registry = import_sources(
        &mut store,
        &dir.join("registry/industrial.csv"),
        &ImportOptions::default(),
        &config.filter.registry,
    )?;
    let filters = crate::prepare_store(&config.filter, &store)?;
    let mut pipeline = Pipeline::new(store, routing, filters, &config);
    let mut report = EvalReport {
        season: dir.to_owned(),
        registry,
        ..Default::default()
    };
    for file in daily_files(&dir.join("daily"))? {
        let r = pipeline.ingest_file(&file)?;
        report.files += 1;
        report.files_rejected += r.error.is_some() as usize;
    }
    let mut store = pipeline.into_store();
    let archive_dir = dir.join("archive");
    let archives = if archive_dir.is_dir() {
        daily_files(&archive_dir)?
    } else {
        Vec::new()
    };
    let run = learn_and_propose(
        &mut store,
        &config.filter,
        &config.seasons,
        None,
        None,
        &archives,
    )?;

    let stored = store.detections(&DetectionQuery::default())?;
    report.detections_stored = stored.len();
    report.alerts = store.counts()?.alerts;
    for d in stored.iter().filter_map(|d| d.suppressed_by.as_deref()) {
        let kind = d.split(':').next().unwrap_or(d).to_owned();
        *report.reasons.entry(kind).or_default() += 1;
    }
    let by_key: HashMap<(String, String, String, String), usize> = stored
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let d = &s.detection;
            (
                (
                    d.acq_time.format("%Y-%m-%d").to_string(),
                    d.acq_time.format("%H%M").to_string(),
                    format!("{:.5}", d.lat),
                    format!("{:.5}", d.lon),
                ),
                i,
            )
        })
        .collect();

    let sites: Vec<TruthSite> = read_csv(&dir.join("truth/sites.csv"))?;
    let pixels: Vec<TruthPixel> = read_csv(&dir.join("truth/detections.csv"))?;
    let registered: HashMap<usize, bool> =
        sites.iter().map(|s| (s.site_id, s.registered)).collect();
    report.registered_sites = sites.iter().filter(|s| s.registered).count();
    report.hidden_sites = sites.len() - report.registered_sites;
    let mut fire_places = Vec::new();
    for p in &pixels {
        let key = (
            p.acq_date.clone(),
            format!("{:0>4}", p.acq_time),
            p.lat.clone(),
            p.lon.clone(),
        );
        let Some(&i) = by_key.get(&key) else {
            report.truth_unmatched += 1;
            continue;
        };
        let d = &stored[i];
        let suppressed = d.suppressed_by.is_some() as usize;
        match p.kind.as_str() {
            "site" => {
                if registered.get(&p.origin_id).copied().unwrap_or(false) {
                    report.registered_detections += 1;
                    report.registered_suppressed += suppressed;
                }
            }
            "crop" => {
                report.crop_detections += 1;
                report.crop_suppressed += suppressed;
                report.crop_classed_straw += (d.fire_class.as_deref() == Some("straw")) as usize;
                fire_places.push((d.detection.lon, d.detection.lat));
            }
            "off_crop" => {
                report.off_crop_detections += 1;
                report.off_crop_suppressed += suppressed;
                report.off_crop_not_straw +=
                    (d.fire_class.as_deref() == Some("not_straw")) as usize;
                fire_places.push((d.detection.lon, d.detection.lat));
            }
            other => {
                return Err(FilterError::File {
                    path: dir.join("truth/detections.csv"),
                    message: format!("unknown kind {other:?}"),
                })
            }
        }
    }

    let candidates = store.candidates(None)?;
    report.candidates = candidates.len();
    let at_site = |lon: f64, lat: f64, buffer: f64, s: &TruthSite| {
        haversine_km(lon, lat, s.lon, s.lat) <= buffer + s.footprint_km
    };
    for c in &candidates {
        if sites.iter().any(|s| at_site(c.lon, c.lat, c.buffer_km, s)) {
            report.candidates_at_sites += 1;
        } else {
            report.false_candidates += 1;
            if fire_places
                .iter()
                .any(|&(x, y)| haversine_km(c.lon, c.lat, x, y) <= 1.0)
            {
                report.false_at_fire_places += 1;
            }
        }
    }
    for s in sites.iter().filter(|s| !s.registered) {
        if candidates
            .iter()
            .any(|c| at_site(c.lon, c.lat, c.buffer_km, s))
        {
            report.hidden_found += 1;
        } else {
            report.hidden_missed.push(s.name.clone());
        }
    }
    report.learn = Some(run);
    Ok(report)
}
