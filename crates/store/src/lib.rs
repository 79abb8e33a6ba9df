//! The store behind burnwatch: every detection, event, alert and state change, durable and
//! idempotent. SQLite in WAL mode is the embedded default; the [`Store`] trait is the whole surface
//! the rest of burnwatch sees, so a PostgreSQL/PostGIS backend can stand beside it later.
//!
//! Invariants: times are UTC (RFC 3339 text in SQLite), coordinates WGS84; a detection's natural
//! key is unique; an ingest batch lands in one transaction or not at all; alert transitions are
//! append-only (enforced by triggers, not by convention).

mod cropland;
mod outbox;
mod sources;
mod sqlite;
mod types;
mod users;
mod verification;

pub use cropland::RegionCropland;
pub use outbox::{OutboxItem, OutboxRow, OutboxStore, PendingAlert};
pub use sources::*;
pub use sqlite::SqliteStore;
pub use types::*;
pub use users::{NewUser, Role, User, UserStore};
pub use verification::*;

use burnwatch_core::event::OpenEvent;
use burnwatch_core::{AlertState, Detection, Outcome, TransitionError};
use chrono::{DateTime, Utc};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("schema migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("cannot create the store's folder {path}: {source}")]
    Folder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("alert {0} does not exist")]
    NoSuchAlert(i64),
    #[error("user {0:?} does not exist")]
    NoSuchUser(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Another writer stored some of these detections between planning and committing; the
    /// caller re-plans the batch against the new state.
    #[error("{0} detections of this batch were stored meanwhile by another writer")]
    Conflict(usize),
    #[error("corrupt value in column {column}: {value:?}")]
    Corrupt { column: &'static str, value: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the pipeline, the CLI and (later) the server need from a store.
pub trait Store {
    /// Replaces the region table with these regions (a boundary import is a whole new set).
    fn replace_regions(&mut self, regions: &[RegionRow]) -> Result<()>;

    /// The stored file with this content hash, if any.
    fn file_by_hash(&self, sha256: &str) -> Result<Option<FileRow>>;

    /// Records a rejected file (idempotent per content hash).
    fn record_rejected_file(&mut self, file: &FileRecord) -> Result<FileRow>;

    /// For each detection, whether the same pixel of the same pass is already stored
    /// (see [`burnwatch_core::detection::SAME_PIXEL_KM`]).
    fn stored_duplicates(&self, detections: &[&Detection]) -> Result<Vec<bool>>;

    /// Events whose time span comes within the window of `[from, to]` and that have a detection
    /// inside the box; with their member detections so callers can measure true distances.
    fn open_events(
        &self,
        bbox: BBox,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<OpenEvent>>;

    /// Lands a whole ingest batch atomically: the file, its new detections, new and grown
    /// events, and one alert per new routed event.
    fn commit_batch(&mut self, batch: &IngestBatch) -> Result<BatchOutcome>;

    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertView>>;

    fn alert(&self, id: i64) -> Result<AlertView>;

    /// Moves an alert to a new state after checking the move is legal; appends the transition.
    fn transition_alert(&mut self, request: &TransitionRequest) -> Result<AlertView>;

    fn alert_history(&self, id: i64) -> Result<Vec<TransitionRow>>;

    fn counts(&self) -> Result<StoreCounts>;
}

/// A requested alert state change.
#[derive(Debug, Clone)]
pub struct TransitionRequest {
    pub alert_id: i64,
    pub to: AlertState,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub outcome: Option<Outcome>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) fn parse_time(column: &'static str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt {
            column,
            value: s.to_owned(),
        })
}
