//! Rows going into and coming out of the store.

use burnwatch_core::event::{EventRef, EventSummary};
use burnwatch_core::{AlertState, ConfidenceClass, Detection, Outcome};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRow {
    pub id: String,
    pub name: String,
    /// "county", "township" or "village".
    pub level: String,
    pub parent_id: Option<String>,
    /// GeoJSON geometry text, WGS84.
    pub geometry: String,
}

/// A product file as received.
#[derive(Debug, Clone)]
pub struct FileRecord {
    pub name: String,
    pub sha256: String,
    pub format: Option<String>,
    pub rows_read: usize,
    pub rows_rejected: usize,
    /// Set for a rejected (quarantined) file.
    pub reason: Option<String>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub sha256: String,
    pub format: Option<String>,
    pub status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

#[derive(Debug, Clone)]
pub struct DetectionRow {
    pub detection: Detection,
    pub natural_key: String,
    pub region_id: Option<String>,
    pub county_id: Option<String>,
    pub suppressed_by: Option<String>,
    pub event: EventRef,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub summary: EventSummary,
    pub region_id: Option<String>,
    pub county_id: Option<String>,
    /// Other townships within the border distance, nearest first, with distance in km.
    pub neighbours: Vec<(String, f64)>,
    /// Whether this event raises an alert (routed events do; events outside every region do not).
    pub raise_alert: bool,
}

#[derive(Debug, Clone)]
pub struct EventUpdate {
    pub id: i64,
    pub summary: EventSummary,
}

#[derive(Debug, Clone)]
pub struct IngestBatch {
    pub file: FileRecord,
    pub detections: Vec<DetectionRow>,
    pub new_events: Vec<NewEvent>,
    pub event_updates: Vec<EventUpdate>,
    pub actor: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub file_id: i64,
    pub detections_new: usize,
    pub events_new: usize,
    pub events_updated: usize,
    pub alerts_new: usize,
}

#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Alerts owned by this region, or shown to it as a neighbour; a county id matches the
    /// alerts of all its townships.
    pub region: Option<String>,
    pub state: Option<AlertState>,
}

/// An alert with what a patrol or a duty officer needs to act on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertView {
    pub alert_id: i64,
    pub event_id: i64,
    pub state: AlertState,
    pub outcome: Option<Outcome>,
    pub region_id: Option<String>,
    pub region_name: Option<String>,
    pub county_id: Option<String>,
    pub county_name: Option<String>,
    pub neighbours: Vec<String>,
    pub lon: f64,
    pub lat: f64,
    pub search_radius_km: f64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub max_frp_mw: Option<f64>,
    pub confidence: ConfidenceClass,
    pub cluster_size: i64,
    pub detection_ids: Vec<i64>,
    pub sources: Vec<String>,
    pub day_night: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The step whose deadline passed (the latest missed) and how far it escalated: 1 the
    /// county, 2 the prefecture. `None` while no deadline has been missed.
    pub overdue_step: Option<String>,
    pub overdue_level: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionRow {
    pub alert_id: i64,
    pub from_state: Option<AlertState>,
    pub to_state: AlertState,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub outcome: Option<Outcome>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreCounts {
    pub files: i64,
    pub files_rejected: i64,
    pub detections: i64,
    pub detections_suppressed: i64,
    pub events: i64,
    pub alerts: i64,
    pub transitions: i64,
}
