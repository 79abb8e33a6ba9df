//! One product file through the whole path, atomically and idempotently.

use crate::filter::Filter;
use crate::routing::{Placement, Routing};
use burnwatch_core::config::{Config, EventsConfig};
use burnwatch_core::event::EventRef;
use burnwatch_core::geodesy::km_to_degrees;
use burnwatch_core::{Detection, SAME_PIXEL_KM};
use burnwatch_events::{plan, Candidate, Params};
use burnwatch_ingest::{IngestError, RowError};
use burnwatch_store::{
    BBox, DetectionRow, EventUpdate, FileRecord, IngestBatch, NewEvent, Store, StoreError,
};
use chrono::{Duration, Utc};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot quarantine {path}: {source}")]
    Quarantine {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What happened to one file; `burnwatch ingest --json` prints one per file.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FileReport {
    pub file: String,
    pub format: Option<String>,
    pub rows_read: usize,
    pub rows_rejected: usize,
    pub detections_new: usize,
    pub detections_duplicate: usize,
    pub suppressed: usize,
    /// Detections in no township and not near one: stored, routed to nobody.
    pub outside: usize,
    pub events_new: usize,
    pub events_updated: usize,
    pub alerts_new: usize,
    /// The file-level rejection, when the file was quarantined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantined_to: Option<String>,
    /// Bad rows, with their line numbers; the good rows went through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub row_errors: Vec<RowErrorReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowErrorReport {
    pub line: usize,
    pub message: String,
}

impl From<&RowError> for RowErrorReport {
    fn from(e: &RowError) -> Self {
        Self {
            line: e.line,
            message: e.message.clone(),
        }
    }
}

pub struct Pipeline<S: Store> {
    store: S,
    pub(crate) routing: Routing,
    filters: Vec<Box<dyn Filter>>,
    /// Rebuilds the filters from the store, so a silence or an approved source made while the
    /// daemon runs applies to the next file, not after a restart.
    filter_source: Option<FilterSource<S>>,
    events: EventsConfig,
    quarantine_dir: PathBuf,
    /// Raw granules go through hotspot detection with this.
    detect: burnwatch_core::detect_config::DetectConfig,
    actor: String,
}

pub type FilterSource<S> = Box<dyn Fn(&S) -> Result<Vec<Box<dyn Filter>>, String> + Send>;

/// How often a batch is re-planned when another writer got in first.
const CONFLICT_RETRIES: usize = 3;

impl<S: Store> Pipeline<S> {
    pub fn new(store: S, routing: Routing, filters: Vec<Box<dyn Filter>>, config: &Config) -> Self {
        Self {
            store,
            routing,
            filters,
            filter_source: None,
            events: config.events.clone(),
            quarantine_dir: config.ingest.quarantine_dir.clone(),
            detect: config.detect.clone(),
            actor: "burnwatch-ingest".into(),
        }
    }

    /// Makes every `ingest_file` start from filters rebuilt by `source`.
    pub fn with_filter_source(mut self, source: FilterSource<S>) -> Self {
        self.filter_source = Some(source);
        self
    }

    fn refresh_filters(&mut self) {
        if let Some(source) = &self.filter_source {
            match source(&self.store) {
                Ok(filters) => self.filters = filters,
                // Keep filtering with what we had: dropping the filters would let industrial
                // heat through to the patrols.
                Err(e) => {
                    tracing::error!(error = %e, "cannot reload the filters; keeping the previous ones")
                }
            }
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// Runs one file through the whole path. A file-level problem (unknown format, unreadable)
    /// quarantines the file and is reported, not returned as an error: only store failures are
    /// errors, since they stop all work.
    pub fn ingest_file(&mut self, path: &Path) -> Result<FileReport, PipelineError> {
        self.refresh_filters();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let mut report = FileReport {
            file: path.display().to_string(),
            ..Default::default()
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                // Nothing to hash or move: a missing or unreadable path is reported only.
                report.error = Some(format!("cannot read {}: {e}", path.display()));
                return Ok(report);
            }
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        let received_at = Utc::now();
        let parsed = match burnwatch_detect::parse_any(path, &self.detect) {
            Ok(p) => p,
            Err(e) => return self.reject(path, &name, sha256, &e, report),
        };
        report.format = Some(parsed.format.as_str().to_owned());
        report.rows_read = parsed.rows_read;
        report.rows_rejected = parsed.rejected.len();
        report.row_errors = parsed.rejected.iter().map(RowErrorReport::from).collect();
        let file = FileRecord {
            name,
            sha256,
            format: report.format.clone(),
            rows_read: parsed.rows_read,
            rows_rejected: parsed.rejected.len(),
            reason: None,
            received_at,
        };

        for attempt in 0.. {
            let batch = self.plan_batch(&file, &parsed.detections, &mut report)?;
            match self.store.commit_batch(&batch) {
                Ok(outcome) => {
                    report.detections_new = outcome.detections_new;
                    report.events_new = outcome.events_new;
                    report.events_updated = outcome.events_updated;
                    report.alerts_new = outcome.alerts_new;
                    break;
                }
                Err(StoreError::Conflict(_)) if attempt < CONFLICT_RETRIES => continue,
                Err(e) => return Err(e.into()),
            }
        }
        tracing::info!(
            file = %report.file,
            format = ?report.format,
            new = report.detections_new,
            duplicate = report.detections_duplicate,
            alerts = report.alerts_new,
            "ingested"
        );
        Ok(report)
    }

    pub(crate) fn plan_batch(
        &self,
        file: &FileRecord,
        detections: &[Detection],
        report: &mut FileReport,
    ) -> Result<IngestBatch, PipelineError> {
        // Within one file and against the store, the same pixel of the same pass is one
        // detection, whichever file or poll it came in.
        let unique = unique_pixels(detections);
        let stored = self.store.stored_duplicates(&unique)?;
        let fresh: Vec<&Detection> = unique
            .into_iter()
            .zip(stored)
            .filter_map(|(d, dup)| (!dup).then_some(d))
            .collect();
        report.detections_duplicate = detections.len() - fresh.len();

        let mut rows = Vec::with_capacity(fresh.len());
        let mut candidates = Vec::new();
        let mut candidate_rows = Vec::new();
        let mut placements = Vec::new();
        report.suppressed = 0;
        report.outside = 0;
        for d in fresh {
            let suppressed_by = self.filters.iter().find_map(|f| f.check(d));
            let placement = self.routing.place(d.lon, d.lat);
            if suppressed_by.is_some() {
                report.suppressed += 1;
            } else if placement.township.is_none() {
                report.outside += 1;
            } else {
                candidates.push(candidate(d));
                candidate_rows.push(rows.len());
            }
            rows.push(DetectionRow {
                detection: d.clone(),
                natural_key: d.natural_key(),
                region_id: placement.township.clone(),
                county_id: placement.county.clone(),
                suppressed_by,
                event: EventRef::None,
            });
            placements.push(placement);
        }

        let (new_events, event_updates) =
            self.plan_events(&candidates, &candidate_rows, &mut rows, &placements)?;
        Ok(IngestBatch {
            file: file.clone(),
            detections: rows,
            new_events,
            event_updates,
            actor: self.actor.clone(),
        })
    }

    /// Forms events from the routed, unfiltered detections (`candidates`, found at
    /// `candidate_rows` in `rows`): attaches them to open events or starts new ones and sets each
    /// row's event. Shared by ingest and by the release of a lifted suppression.
    pub(crate) fn plan_events(
        &self,
        candidates: &[Candidate],
        candidate_rows: &[usize],
        rows: &mut [DetectionRow],
        placements: &[Placement],
    ) -> Result<(Vec<NewEvent>, Vec<EventUpdate>), PipelineError> {
        let open = match bounding_box(candidates, self.events.attach_radius_km) {
            Some(bbox) => {
                let window = Duration::seconds((self.events.attach_window_hours * 3600.0) as i64);
                let from = candidates
                    .iter()
                    .map(|c| c.acq_time)
                    .min()
                    .expect("non-empty")
                    - window;
                let to = candidates
                    .iter()
                    .map(|c| c.acq_time)
                    .max()
                    .expect("non-empty")
                    + window;
                self.store.open_events(bbox, from, to)?
            }
            None => Vec::new(),
        };
        let params = Params {
            cluster_radius_km: self.events.cluster_radius_km,
            attach_radius_km: self.events.attach_radius_km,
            attach_window: Duration::seconds((self.events.attach_window_hours * 3600.0) as i64),
        };
        let planned = plan(candidates, &open, &params);
        for (c, assignment) in planned.assignments.iter().enumerate() {
            rows[candidate_rows[c]].event = *assignment;
        }
        let new_events = planned
            .new_events
            .into_iter()
            .map(|ev| {
                // The event belongs where its representative (hottest) pixel is.
                let rep = ev
                    .members
                    .iter()
                    .map(|&c| candidate_rows[c])
                    .find(|&r| {
                        let d = &rows[r].detection;
                        d.lon == ev.summary.lon && d.lat == ev.summary.lat
                    })
                    .unwrap_or(candidate_rows[ev.members[0]]);
                let placement = &placements[rep];
                NewEvent {
                    summary: ev.summary,
                    region_id: placement.township.clone(),
                    county_id: placement.county.clone(),
                    neighbours: placement.neighbours.clone(),
                    raise_alert: placement.township.is_some(),
                }
            })
            .collect();
        Ok((
            new_events,
            planned
                .updates
                .into_iter()
                .map(|(id, summary)| EventUpdate { id, summary })
                .collect(),
        ))
    }

    pub(crate) fn reject(
        &mut self,
        path: &Path,
        name: &str,
        sha256: String,
        error: &IngestError,
        mut report: FileReport,
    ) -> Result<FileReport, PipelineError> {
        let reason = error.to_string();
        tracing::warn!(file = %path.display(), %reason, "rejected, quarantined");
        let target = quarantine(path, name, &sha256, &self.quarantine_dir, &reason)?;
        self.store.record_rejected_file(&FileRecord {
            name: name.to_owned(),
            sha256,
            format: None,
            rows_read: 0,
            rows_rejected: 0,
            reason: Some(reason.clone()),
            received_at: Utc::now(),
        })?;
        report.error = Some(reason);
        report.quarantined_to = Some(target.display().to_string());
        Ok(report)
    }
}

/// What the event builder needs of a detection.
pub(crate) fn candidate(d: &Detection) -> Candidate {
    Candidate {
        lon: d.lon,
        lat: d.lat,
        frp_mw: d.frp_mw,
        acq_time: d.acq_time,
        search_radius_km: d.search_radius_km(),
        pass_key: d.pass_key(),
    }
}

/// Moves a rejected file into the quarantine folder with a `.reason.txt` beside it. The reason is
/// written first, so a crash between the two steps leaves the file in place to be retried rather
/// than a quarantined file without its reason.
fn quarantine(
    path: &Path,
    name: &str,
    sha256: &str,
    dir: &Path,
    reason: &str,
) -> Result<PathBuf, PipelineError> {
    let err = |source| PipelineError::Quarantine {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut target = dir.join(name);
    if target.exists() {
        target = dir.join(format!("{}.{name}", &sha256[..12]));
    }
    let mut reason_path = target.clone().into_os_string();
    reason_path.push(".reason.txt");
    std::fs::write(&reason_path, format!("{}\n{reason}\n", path.display())).map_err(err)?;
    if std::fs::rename(path, &target).is_err() {
        // Across file systems rename fails: copy, then remove the original.
        std::fs::copy(path, &target).map_err(err)?;
        std::fs::remove_file(path).map_err(err)?;
    }
    Ok(target)
}

fn bounding_box(candidates: &[Candidate], margin_km: f64) -> Option<BBox> {
    let first = candidates.first()?;
    let mut b = BBox {
        min_lon: first.lon,
        min_lat: first.lat,
        max_lon: first.lon,
        max_lat: first.lat,
    };
    for c in candidates {
        b.min_lon = b.min_lon.min(c.lon);
        b.max_lon = b.max_lon.max(c.lon);
        b.min_lat = b.min_lat.min(c.lat);
        b.max_lat = b.max_lat.max(c.lat);
    }
    let worst_lat = b.min_lat.abs().max(b.max_lat.abs());
    let (dlon, dlat) = km_to_degrees(margin_km, worst_lat);
    b.min_lon -= dlon;
    b.max_lon += dlon;
    b.min_lat -= dlat;
    b.max_lat += dlat;
    Some(b)
}

/// The detections of a file with repeated pixels left out (first copy kept), using one R-tree
/// per pass so each pixel is compared only with its near neighbours.
fn unique_pixels(detections: &[Detection]) -> Vec<&Detection> {
    type Point = GeomWithData<[f64; 2], usize>;
    let mut passes: HashMap<String, RTree<Point>> = HashMap::new();
    let mut kept: Vec<&Detection> = Vec::new();
    for d in detections {
        let tree = passes.entry(d.pass_key()).or_default();
        let (dlon, dlat) = km_to_degrees(SAME_PIXEL_KM, d.lat);
        let envelope =
            AABB::from_corners([d.lon - dlon, d.lat - dlat], [d.lon + dlon, d.lat + dlat]);
        let duplicate = tree
            .locate_in_envelope(&envelope)
            .any(|p| d.same_pixel(kept[p.data]));
        if !duplicate {
            tree.insert(Point::new([d.lon, d.lat], kept.len()));
            kept.push(d);
        }
    }
    kept
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
