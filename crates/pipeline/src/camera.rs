//! Detections that arrive already located (tower-camera fires, `burnwatch-camera`) go through the
//! same filter → route → events → alerts path as a product file, in one transaction. Their
//! identity is the evidence: the key (a hash of the frames that located the fire) stands where a
//! product file's content hash stands, so landing the same fire twice adds nothing.
//!
//! The daemon deposits each located camera fire as a small JSON file in `processing/`
//! (`{"burnwatch_camera_fire": 1, "key": …, "detections": […], …}`), which keeps the rule that no
//! source hands data to the pipeline except as a durable file; [`Pipeline::ingest_path`] tells
//! such a file from a product by content.

use crate::ingest::{FileReport, Pipeline, PipelineError};
use burnwatch_core::Detection;
use burnwatch_ingest::IngestError;
use burnwatch_store::{FileRecord, Store, StoreError};
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The key that marks a camera-fire file.
pub const CAMERA_FIRE_MARKER: &str = "burnwatch_camera_fire";

/// The parts of a camera-fire file the pipeline reads (the rest is for audit).
#[derive(Debug, Deserialize)]
struct CameraFireFile {
    key: String,
    detections: Vec<Detection>,
}

/// True when `bytes` are a camera-fire file (a JSON object carrying the marker key).
pub fn is_camera_fire_file(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(256)];
    let text = String::from_utf8_lossy(head);
    text.trim_start().starts_with('{') && text.contains(&format!("\"{CAMERA_FIRE_MARKER}\""))
}

/// How often a batch is re-planned when another writer got in first (as for files).
const CONFLICT_RETRIES: usize = 3;

impl<S: Store> Pipeline<S> {
    /// Lands located detections under `key`; `name` and `format` label them in the store and
    /// report. Detections without a real position are counted as rejected rows.
    pub fn ingest_detections(
        &mut self,
        name: &str,
        key: &str,
        format: &str,
        detections: &[Detection],
    ) -> Result<FileReport, PipelineError> {
        let valid: Vec<Detection> = detections
            .iter()
            .filter(|d| d.has_valid_position())
            .cloned()
            .collect();
        let mut report = FileReport {
            file: name.to_owned(),
            format: Some(format.to_owned()),
            rows_read: detections.len(),
            rows_rejected: detections.len() - valid.len(),
            ..Default::default()
        };
        if let Some(row) = self.store().file_by_hash(key)? {
            if row.status == "ingested" {
                report.detections_duplicate = valid.len();
                return Ok(report);
            }
        }
        let file = FileRecord {
            name: name.to_owned(),
            sha256: key.to_owned(),
            format: Some(format.to_owned()),
            rows_read: report.rows_read,
            rows_rejected: report.rows_rejected,
            reason: None,
            received_at: Utc::now(),
        };
        for attempt in 0.. {
            let batch = self.plan_batch(&file, &valid, &mut report)?;
            match self.store_mut().commit_batch(&batch) {
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
            new = report.detections_new,
            duplicate = report.detections_duplicate,
            alerts = report.alerts_new,
            "ingested located detections"
        );
        Ok(report)
    }

    /// Any file a source queued: a camera-fire file by its content, everything else through
    /// [`Pipeline::ingest_file`]. A camera-fire file that does not parse is quarantined with the
    /// reason, as a bad product would be.
    pub fn ingest_path(&mut self, path: &Path) -> Result<FileReport, PipelineError> {
        let bytes = match std::fs::read(path) {
            Ok(b) if is_camera_fire_file(&b) => b,
            _ => return self.ingest_file(path),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        match serde_json::from_slice::<CameraFireFile>(&bytes) {
            Ok(f) => {
                let mut report =
                    self.ingest_detections(&name, &f.key, "camera_fire", &f.detections)?;
                report.file = path.display().to_string();
                Ok(report)
            }
            Err(e) => {
                let sha = crate::ingest::hex(&Sha256::digest(&bytes));
                let report = FileReport {
                    file: path.display().to_string(),
                    ..Default::default()
                };
                let error = IngestError::Malformed {
                    reason: format!("camera-fire file: {e}"),
                };
                self.reject(path, &name, sha, &error, report)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Routing;
    use burnwatch_core::{ConfidenceClass, Config, Instrument, SourceKind};
    use burnwatch_region::{Level, Region, RegionIndex};
    use burnwatch_store::SqliteStore;
    use chrono::TimeZone;

    fn pipeline(dir: &Path) -> Pipeline<SqliteStore> {
        let square = |x0: f64, code: &str| Region {
            id: code.into(),
            name: code.into(),
            level: Level::Township,
            parent_id: None,
            geometry: geo::MultiPolygon::new(vec![geo::Polygon::new(
                geo::LineString::from(vec![
                    (x0, 35.0),
                    (x0 + 0.1, 35.0),
                    (x0 + 0.1, 35.1),
                    (x0, 35.1),
                    (x0, 35.0),
                ]),
                vec![],
            )]),
        };
        let routing = Routing::from_indexes(
            RegionIndex::new(vec![square(116.5, "379901001"), square(116.6, "379901002")]),
            None,
            0.5,
        );
        let mut config = Config::default();
        config.ingest.quarantine_dir = dir.join("quarantine");
        Pipeline::new(
            SqliteStore::open_in_memory().unwrap(),
            routing,
            Vec::new(),
            &config,
        )
    }

    fn camera_fire(lon: f64, lat: f64, minute: u32) -> Detection {
        Detection {
            source: SourceKind::Camera,
            instrument: Instrument::Camera,
            satellite: "camera:a+b".into(),
            acq_time: Utc.with_ymd_and_hms(2025, 6, 10, 3, minute, 0).unwrap(),
            lon,
            lat,
            frp_mw: None,
            confidence: ConfidenceClass::Nominal,
            confidence_raw: Some("0.70 fire".into()),
            day_night: None,
            scan_km: Some(0.12),
            track_km: Some(0.08),
            firms_type: None,
            bright_t4_k: None,
            bright_t11_k: None,
        }
    }

    #[test]
    fn a_located_fire_raises_one_alert_and_landing_it_again_adds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = pipeline(dir.path());
        let d = camera_fire(116.55, 35.05, 2);
        let r = p
            .ingest_detections("fire-1.json", "k1", "camera_fire", std::slice::from_ref(&d))
            .unwrap();
        assert_eq!((r.detections_new, r.events_new, r.alerts_new), (1, 1, 1));
        let again = p
            .ingest_detections("fire-1.json", "k1", "camera_fire", std::slice::from_ref(&d))
            .unwrap();
        assert_eq!(
            (
                again.detections_new,
                again.detections_duplicate,
                again.alerts_new
            ),
            (0, 1, 0)
        );
        // The same located point from other frames (another key) is still the same pixel.
        let other = p
            .ingest_detections("fire-2.json", "k2", "camera_fire", &[d])
            .unwrap();
        assert_eq!((other.detections_new, other.alerts_new), (0, 0));
        let alerts = p.store().alerts(&Default::default()).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].region_id.as_deref(), Some("379901001"));
    }

    #[test]
    fn a_camera_fire_and_a_satellite_hotspot_of_the_same_fire_are_one_event() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = pipeline(dir.path());
        p.ingest_detections(
            "cam.json",
            "k",
            "camera_fire",
            &[camera_fire(116.55, 35.05, 2)],
        )
        .unwrap();
        // VIIRS passes 40 minutes later; its pixel centre is 300 m from the camera's point.
        let mut viirs = camera_fire(116.5533, 35.05, 42);
        viirs.source = SourceKind::FirmsViirs;
        viirs.instrument = Instrument::Viirs;
        viirs.satellite = "NOAA-20".into();
        viirs.frp_mw = Some(4.2);
        viirs.scan_km = Some(0.39);
        viirs.track_km = Some(0.36);
        let r = p
            .ingest_detections("viirs.csv", "v", "firms_viirs", &[viirs])
            .unwrap();
        assert_eq!(
            (
                r.detections_new,
                r.events_new,
                r.events_updated,
                r.alerts_new
            ),
            (1, 0, 1, 0)
        );
    }

    #[test]
    fn camera_fire_files_are_told_by_content_and_bad_ones_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = pipeline(dir.path());
        let good = dir.path().join("cam_a_1.json");
        let body = serde_json::json!({
            CAMERA_FIRE_MARKER: 1,
            "key": "frames-abc",
            "detections": [camera_fire(116.65, 35.05, 5)],
            "fire": {"method": "triangulated"},
        });
        std::fs::write(&good, serde_json::to_vec(&body).unwrap()).unwrap();
        let r = p.ingest_path(&good).unwrap();
        assert_eq!(
            (r.format.as_deref(), r.alerts_new),
            (Some("camera_fire"), 1)
        );
        let bad = dir.path().join("cam_a_2.json");
        std::fs::write(&bad, format!("{{\"{CAMERA_FIRE_MARKER}\": 1, \"key\": 3}}")).unwrap();
        let r = p.ingest_path(&bad).unwrap();
        assert!(r.error.unwrap().contains("camera-fire file"));
        assert!(r.quarantined_to.is_some() && !bad.exists());
    }
}
