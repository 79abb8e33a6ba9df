//! Non-straw heat sources in the store: the industrial registry, candidates awaiting an operator,
//! silences, the suppressed detections and the lifting of a suppression.
//!
//! Kept beside [`crate::Store`] rather than inside it so the core surface stays narrow; the
//! SQLite backend implements both.

use crate::{fmt_time, parse_time, EventUpdate, NewEvent, SqliteStore, StoreError};
use burnwatch_core::event::EventRef;
use burnwatch_core::{ConfidenceClass, DayNight, Detection, Instrument, SourceKind};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SourceStoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("registry entry {0} does not exist")]
    NoSuchSource(i64),
    #[error("candidate {0} does not exist")]
    NoSuchCandidate(i64),
    #[error("candidate {id} was already {status}")]
    AlreadyDecided { id: i64, status: String },
    #[error("silence {0} does not exist")]
    NoSuchSilence(i64),
    #[error("silence {id} already ended at {at}")]
    SilenceEnded { id: i64, at: String },
    #[error("detection {0} does not exist")]
    NoSuchDetection(i64),
    #[error("detection {id} is not suppressed{}", lifted.as_ref().map(|(by, at, from)| format!(" (its suppression {from} was lifted by {by} at {at})")).unwrap_or_default())]
    NotSuppressed {
        id: i64,
        /// (by, at, old reason) when an operator already lifted it.
        lifted: Option<(String, String, String)>,
    },
    #[error("detection {id} changed while its release was planned; try again")]
    Changed { id: i64 },
}

impl From<rusqlite::Error> for SourceStoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(StoreError::Sqlite(e))
    }
}

pub type SourceResult<T> = std::result::Result<T, SourceStoreError>;

/// One site of the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndustrialSource {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// The site's point (for a footprint polygon, its centroid).
    pub lon: f64,
    pub lat: f64,
    pub buffer_km: f64,
    /// "registry" (imported), "learned" or "feedback" (approved candidates).
    pub origin: String,
    pub note: Option<String>,
    /// GeoJSON footprint, WGS84; `None` for a point site.
    pub geometry: Option<String>,
    pub source_ref: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewIndustrialSource {
    pub name: String,
    pub kind: String,
    pub lon: f64,
    pub lat: f64,
    pub buffer_km: f64,
    pub origin: String,
    pub note: Option<String>,
    pub geometry: Option<String>,
    pub source_ref: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateStatus {
    Pending,
    Approved,
    Rejected,
}

impl CandidateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// Why a place looks like a persistent heat source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateEvidence {
    pub days: i64,
    pub months: i64,
    pub detections: i64,
    pub night_share: f64,
    pub off_season_share: f64,
    pub score: f64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Further evidence as JSON text (feedback: the verified alert ids).
    pub extra: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceCandidate {
    pub id: i64,
    /// "learned" or "feedback".
    pub origin: String,
    pub lon: f64,
    pub lat: f64,
    pub buffer_km: f64,
    pub evidence: CandidateEvidence,
    pub status: CandidateStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub source_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCandidate {
    pub origin: String,
    pub lon: f64,
    pub lat: f64,
    pub buffer_km: f64,
    pub evidence: CandidateEvidence,
}

/// An operator's decision on a candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Into the registry under this name and type.
    Approve {
        name: String,
        kind: String,
    },
    Reject,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SilenceRow {
    pub id: i64,
    /// JSON: the area (circle or polygon) and optional source/sensor matchers.
    pub matchers: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    pub expired_at: Option<DateTime<Utc>>,
    pub expired_by: Option<String>,
}

impl SilenceRow {
    /// When it stops applying: its planned end, or earlier if an operator expired it.
    pub fn effective_end(&self) -> DateTime<Utc> {
        match self.expired_at {
            Some(e) if e < self.ends_at => e,
            _ => self.ends_at,
        }
    }

    /// Whether a detection acquired at `t` falls in the silence's time span.
    pub fn covers(&self, t: DateTime<Utc>) -> bool {
        self.starts_at <= t && t < self.effective_end()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSilence {
    pub matchers: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

/// A detection as the learner needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    pub lon: f64,
    pub lat: f64,
    pub acq_time: DateTime<Utc>,
    pub day_night: Option<DayNight>,
}

/// An alert verified as an industrial heat source.
#[derive(Debug, Clone, PartialEq)]
pub struct IndustrialVerification {
    pub alert_id: i64,
    pub lon: f64,
    pub lat: f64,
    pub first_seen: DateTime<Utc>,
    pub verified_at: DateTime<Utc>,
}

/// A stored detection with what the filter stage decided about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredDetection {
    pub id: i64,
    pub detection: Detection,
    pub region_id: Option<String>,
    pub county_id: Option<String>,
    pub suppressed_by: Option<String>,
    pub fire_class: Option<String>,
    pub event_id: Option<i64>,
    pub lifted_from: Option<String>,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct DetectionQuery {
    /// Only held-back detections.
    pub suppressed: bool,
    /// A reason, or a reason's prefix up to a colon: "registry" matches "registry:12:…",
    /// "registry:12" matches "registry:12:…" but not "registry:120:…".
    pub reason: Option<String>,
    /// "straw", "not_straw", or "none" for unclassified.
    pub fire_class: Option<String>,
    pub limit: Option<usize>,
}

/// A suppressed detection released by an operator, planned by the pipeline: it joins an open
/// event or starts new ones exactly as an unfiltered detection of an ingest batch would.
#[derive(Debug, Clone)]
pub struct LiftBatch {
    pub detection_id: i64,
    /// The reason it is held back with now; the release fails if it changed meanwhile.
    pub reason: String,
    pub region_id: Option<String>,
    pub county_id: Option<String>,
    pub event: EventRef,
    pub new_events: Vec<NewEvent>,
    pub event_updates: Vec<EventUpdate>,
    pub actor: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiftOutcome {
    pub detection_id: i64,
    pub lifted_from: String,
    pub event_id: Option<i64>,
    pub events_new: usize,
    pub events_updated: usize,
    pub alert_ids: Vec<i64>,
}

/// The store surface for heat sources, silences, suppressions and the cropland class.
pub trait SourceStore {
    fn industrial_sources(&self) -> SourceResult<Vec<IndustrialSource>>;
    fn insert_industrial_source(&mut self, source: &NewIndustrialSource) -> SourceResult<i64>;
    /// Grows a site's buffer and appends to its note (a duplicate row that widens the footprint).
    fn widen_industrial_source(&mut self, id: i64, buffer_km: f64, note: &str) -> SourceResult<()>;

    fn candidates(&self, status: Option<CandidateStatus>) -> SourceResult<Vec<SourceCandidate>>;
    fn insert_candidate(&mut self, candidate: &NewCandidate) -> SourceResult<i64>;
    /// New evidence for a known candidate (any status: a rejected place keeps its record).
    fn update_candidate(
        &mut self,
        id: i64,
        lon: f64,
        lat: f64,
        buffer_km: f64,
        evidence: &CandidateEvidence,
    ) -> SourceResult<()>;
    /// Approves (one transaction: registry entry + decision) or rejects a pending candidate.
    /// Returns the registry id on approval.
    fn decide_candidate(
        &mut self,
        id: i64,
        decision: &Decision,
        actor: &str,
        note: Option<&str>,
    ) -> SourceResult<Option<i64>>;

    fn insert_silence(&mut self, silence: &NewSilence) -> SourceResult<i64>;
    /// Silences in id order; without `include_ended`, only those not yet ended at `now`.
    fn silences(&self, include_ended: bool, now: DateTime<Utc>) -> SourceResult<Vec<SilenceRow>>;
    fn silence(&self, id: i64) -> SourceResult<SilenceRow>;
    fn expire_silence(
        &mut self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> SourceResult<SilenceRow>;

    /// Every detection acquired in `[from, to)`, for the learner.
    fn detection_history(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> SourceResult<Vec<HistoryPoint>>;
    /// Alerts whose verification said "industrial_heat", with the event's place.
    fn industrial_verifications(&self) -> SourceResult<Vec<IndustrialVerification>>;

    fn detections(&self, query: &DetectionQuery) -> SourceResult<Vec<StoredDetection>>;
    fn detection(&self, id: i64) -> SourceResult<StoredDetection>;
    /// Clears a suppression once and lands the planned events and alerts atomically.
    fn commit_lift(&mut self, lift: &LiftBatch) -> SourceResult<LiftOutcome>;
}

const SOURCE_COLUMNS: &str =
    "id, name, kind, lon, lat, buffer_km, origin, note, geometry, source_ref, created_at";

fn source_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(IndustrialSource, String)> {
    Ok((
        IndustrialSource {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            lon: r.get(3)?,
            lat: r.get(4)?,
            buffer_km: r.get(5)?,
            origin: r.get(6)?,
            note: r.get(7)?,
            geometry: r.get(8)?,
            source_ref: r.get(9)?,
            created_at: DateTime::<Utc>::MIN_UTC,
        },
        r.get(10)?,
    ))
}

const CANDIDATE_COLUMNS: &str = "id, origin, lon, lat, buffer_km, days, months, detections,
    night_share, off_season_share, score, first_seen, last_seen, evidence, status, decided_by,
    decided_at, decision_note, source_id, created_at, updated_at";

struct CandidateRaw {
    id: i64,
    origin: String,
    lon: f64,
    lat: f64,
    buffer_km: f64,
    days: i64,
    months: i64,
    detections: i64,
    night_share: f64,
    off_season_share: f64,
    score: f64,
    first_seen: String,
    last_seen: String,
    extra: Option<String>,
    status: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_note: Option<String>,
    source_id: Option<i64>,
    created_at: String,
    updated_at: String,
}

fn candidate_raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<CandidateRaw> {
    Ok(CandidateRaw {
        id: r.get(0)?,
        origin: r.get(1)?,
        lon: r.get(2)?,
        lat: r.get(3)?,
        buffer_km: r.get(4)?,
        days: r.get(5)?,
        months: r.get(6)?,
        detections: r.get(7)?,
        night_share: r.get(8)?,
        off_season_share: r.get(9)?,
        score: r.get(10)?,
        first_seen: r.get(11)?,
        last_seen: r.get(12)?,
        extra: r.get(13)?,
        status: r.get(14)?,
        decided_by: r.get(15)?,
        decided_at: r.get(16)?,
        decision_note: r.get(17)?,
        source_id: r.get(18)?,
        created_at: r.get(19)?,
        updated_at: r.get(20)?,
    })
}

impl CandidateRaw {
    fn finish(self) -> SourceResult<SourceCandidate> {
        let status = CandidateStatus::parse(&self.status).ok_or_else(|| StoreError::Corrupt {
            column: "source_candidates.status",
            value: self.status.clone(),
        })?;
        Ok(SourceCandidate {
            id: self.id,
            origin: self.origin,
            lon: self.lon,
            lat: self.lat,
            buffer_km: self.buffer_km,
            evidence: CandidateEvidence {
                days: self.days,
                months: self.months,
                detections: self.detections,
                night_share: self.night_share,
                off_season_share: self.off_season_share,
                score: self.score,
                first_seen: parse_time("source_candidates.first_seen", &self.first_seen)?,
                last_seen: parse_time("source_candidates.last_seen", &self.last_seen)?,
                extra: self.extra,
            },
            status,
            decided_by: self.decided_by,
            decided_at: self
                .decided_at
                .as_deref()
                .map(|t| parse_time("source_candidates.decided_at", t))
                .transpose()?,
            decision_note: self.decision_note,
            source_id: self.source_id,
            created_at: parse_time("source_candidates.created_at", &self.created_at)?,
            updated_at: parse_time("source_candidates.updated_at", &self.updated_at)?,
        })
    }
}

const SILENCE_COLUMNS: &str =
    "id, matchers, starts_at, ends_at, created_by, comment, created_at, expired_at, expired_by";

type SilenceRaw = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn silence_raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<SilenceRaw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

fn finish_silence(raw: SilenceRaw) -> SourceResult<SilenceRow> {
    let (id, matchers, starts, ends, created_by, comment, created, expired, expired_by) = raw;
    Ok(SilenceRow {
        id,
        matchers,
        starts_at: parse_time("silences.starts_at", &starts)?,
        ends_at: parse_time("silences.ends_at", &ends)?,
        created_by,
        comment,
        created_at: parse_time("silences.created_at", &created)?,
        expired_at: expired
            .as_deref()
            .map(|t| parse_time("silences.expired_at", t))
            .transpose()?,
        expired_by,
    })
}

const DETECTION_COLUMNS: &str = "id, source, instrument, satellite, acq_time, lon, lat, frp_mw,
    confidence, confidence_raw, day_night, scan_km, track_km, firms_type, bright_t4_k,
    bright_t11_k, region_id, county_id, suppressed_by, fire_class, event_id, lifted_from,
    lifted_by, lifted_at";

fn corrupt(column: &'static str, value: &str) -> SourceStoreError {
    StoreError::Corrupt {
        column,
        value: value.to_owned(),
    }
    .into()
}

fn detection_row(r: &rusqlite::Row<'_>) -> SourceResult<StoredDetection> {
    let source: String = r.get(1)?;
    let instrument: String = r.get(2)?;
    let acq: String = r.get(4)?;
    let confidence: String = r.get(8)?;
    let day_night: Option<String> = r.get(10)?;
    let lifted_at: Option<String> = r.get(23)?;
    let firms_type: Option<i64> = r.get(13)?;
    Ok(StoredDetection {
        id: r.get(0)?,
        detection: Detection {
            source: SourceKind::parse(&source)
                .ok_or_else(|| corrupt("detections.source", &source))?,
            instrument: Instrument::parse(&instrument)
                .ok_or_else(|| corrupt("detections.instrument", &instrument))?,
            satellite: r.get(3)?,
            acq_time: parse_time("detections.acq_time", &acq)?,
            lon: r.get(5)?,
            lat: r.get(6)?,
            frp_mw: r.get(7)?,
            confidence: ConfidenceClass::parse(&confidence)
                .ok_or_else(|| corrupt("detections.confidence", &confidence))?,
            confidence_raw: r.get(9)?,
            day_night: match day_night.as_deref() {
                None => None,
                Some(s) => {
                    Some(DayNight::parse(s).ok_or_else(|| corrupt("detections.day_night", s))?)
                }
            },
            scan_km: r.get(11)?,
            track_km: r.get(12)?,
            firms_type: firms_type.map(|t| t as u8),
            bright_t4_k: r.get(14)?,
            bright_t11_k: r.get(15)?,
        },
        region_id: r.get(16)?,
        county_id: r.get(17)?,
        suppressed_by: r.get(18)?,
        fire_class: r.get(19)?,
        event_id: r.get(20)?,
        lifted_from: r.get(21)?,
        lifted_by: r.get(22)?,
        lifted_at: lifted_at
            .as_deref()
            .map(|t| parse_time("detections.lifted_at", t))
            .transpose()?,
    })
}

/// Writes go through a transaction on the shared connection (`Connection` methods take `&self`).
fn immediate(conn: &Connection) -> rusqlite::Result<Transaction<'_>> {
    Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
}

fn insert_source(tx: &Connection, s: &NewIndustrialSource, now: &str) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO industrial_sources (name, kind, lon, lat, buffer_km, origin, note, geometry,
                                         source_ref, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            s.name,
            s.kind,
            s.lon,
            s.lat,
            s.buffer_km,
            s.origin,
            s.note,
            s.geometry,
            s.source_ref,
            now
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

impl SourceStore for SqliteStore {
    fn industrial_sources(&self) -> SourceResult<Vec<IndustrialSource>> {
        let conn = self.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SOURCE_COLUMNS} FROM industrial_sources ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([], source_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(mut s, created)| {
                s.created_at = parse_time("industrial_sources.created_at", &created)?;
                Ok(s)
            })
            .collect()
    }

    fn insert_industrial_source(&mut self, source: &NewIndustrialSource) -> SourceResult<i64> {
        Ok(insert_source(
            self.connection(),
            source,
            &fmt_time(Utc::now()),
        )?)
    }

    fn widen_industrial_source(&mut self, id: i64, buffer_km: f64, note: &str) -> SourceResult<()> {
        let n = self.connection().execute(
            "UPDATE industrial_sources
             SET buffer_km = MAX(buffer_km, ?2),
                 note = CASE WHEN note IS NULL OR note = '' THEN ?3 ELSE note || '; ' || ?3 END
             WHERE id = ?1",
            params![id, buffer_km, note],
        )?;
        if n == 0 {
            return Err(SourceStoreError::NoSuchSource(id));
        }
        Ok(())
    }

    fn candidates(&self, status: Option<CandidateStatus>) -> SourceResult<Vec<SourceCandidate>> {
        let conn = self.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {CANDIDATE_COLUMNS} FROM source_candidates
             WHERE ?1 IS NULL OR status = ?1 ORDER BY id"
        ))?;
        let raw = stmt
            .query_map([status.map(|s| s.as_str())], candidate_raw)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter().map(CandidateRaw::finish).collect()
    }

    fn insert_candidate(&mut self, c: &NewCandidate) -> SourceResult<i64> {
        let now = fmt_time(Utc::now());
        let e = &c.evidence;
        let conn = self.connection();
        conn.execute(
            "INSERT INTO source_candidates (origin, lon, lat, buffer_km, days, months, detections,
                 night_share, off_season_share, score, first_seen, last_seen, evidence,
                 created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
            params![
                c.origin,
                c.lon,
                c.lat,
                c.buffer_km,
                e.days,
                e.months,
                e.detections,
                e.night_share,
                e.off_season_share,
                e.score,
                fmt_time(e.first_seen),
                fmt_time(e.last_seen),
                e.extra,
                now
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn update_candidate(
        &mut self,
        id: i64,
        lon: f64,
        lat: f64,
        buffer_km: f64,
        e: &CandidateEvidence,
    ) -> SourceResult<()> {
        let n = self.connection().execute(
            "UPDATE source_candidates SET lon = ?2, lat = ?3, buffer_km = ?4, days = ?5,
                 months = ?6, detections = ?7, night_share = ?8, off_season_share = ?9,
                 score = ?10, first_seen = ?11, last_seen = ?12, evidence = ?13, updated_at = ?14
             WHERE id = ?1",
            params![
                id,
                lon,
                lat,
                buffer_km,
                e.days,
                e.months,
                e.detections,
                e.night_share,
                e.off_season_share,
                e.score,
                fmt_time(e.first_seen),
                fmt_time(e.last_seen),
                e.extra,
                fmt_time(Utc::now())
            ],
        )?;
        if n == 0 {
            return Err(SourceStoreError::NoSuchCandidate(id));
        }
        Ok(())
    }

    fn decide_candidate(
        &mut self,
        id: i64,
        decision: &Decision,
        actor: &str,
        note: Option<&str>,
    ) -> SourceResult<Option<i64>> {
        let conn = self.connection();
        let tx = immediate(conn)?;
        let raw = tx
            .query_row(
                &format!("SELECT {CANDIDATE_COLUMNS} FROM source_candidates WHERE id = ?1"),
                [id],
                candidate_raw,
            )
            .optional()?
            .ok_or(SourceStoreError::NoSuchCandidate(id))?;
        let c = raw.finish()?;
        if c.status != CandidateStatus::Pending {
            return Err(SourceStoreError::AlreadyDecided {
                id,
                status: c.status.as_str().to_owned(),
            });
        }
        let now = fmt_time(Utc::now());
        let (status, source_id) = match decision {
            Decision::Approve { name, kind } => {
                let e = &c.evidence;
                let evidence = format!(
                    "{} candidate {id}: {} days in {} months, {:.0} % at night, {:.0} % out of season, {} – {}",
                    c.origin,
                    e.days,
                    e.months,
                    100.0 * e.night_share,
                    100.0 * e.off_season_share,
                    fmt_time(e.first_seen),
                    fmt_time(e.last_seen)
                );
                let source_id = insert_source(
                    &tx,
                    &NewIndustrialSource {
                        name: name.clone(),
                        kind: kind.clone(),
                        lon: c.lon,
                        lat: c.lat,
                        buffer_km: c.buffer_km,
                        origin: c.origin.clone(),
                        note: Some(match note {
                            Some(n) => format!("{n}; {evidence}"),
                            None => evidence,
                        }),
                        geometry: None,
                        source_ref: Some(format!("candidate {id}")),
                    },
                    &now,
                )?;
                (CandidateStatus::Approved, Some(source_id))
            }
            Decision::Reject => (CandidateStatus::Rejected, None),
        };
        tx.execute(
            "UPDATE source_candidates SET status = ?2, decided_by = ?3, decided_at = ?4,
                 decision_note = ?5, source_id = ?6, updated_at = ?4
             WHERE id = ?1",
            params![id, status.as_str(), actor, now, note, source_id],
        )?;
        tx.commit()?;
        Ok(source_id)
    }

    fn insert_silence(&mut self, s: &NewSilence) -> SourceResult<i64> {
        let conn = self.connection();
        conn.execute(
            "INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                s.matchers,
                fmt_time(s.starts_at),
                fmt_time(s.ends_at),
                s.created_by,
                s.comment,
                fmt_time(Utc::now())
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn silences(&self, include_ended: bool, now: DateTime<Utc>) -> SourceResult<Vec<SilenceRow>> {
        let conn = self.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SILENCE_COLUMNS} FROM silences
             WHERE ?1 OR (ends_at > ?2 AND (expired_at IS NULL OR expired_at > ?2))
             ORDER BY id"
        ))?;
        let raw = stmt
            .query_map(params![include_ended, fmt_time(now)], silence_raw)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter().map(finish_silence).collect()
    }

    fn silence(&self, id: i64) -> SourceResult<SilenceRow> {
        let raw = self
            .connection()
            .query_row(
                &format!("SELECT {SILENCE_COLUMNS} FROM silences WHERE id = ?1"),
                [id],
                silence_raw,
            )
            .optional()?
            .ok_or(SourceStoreError::NoSuchSilence(id))?;
        finish_silence(raw)
    }

    fn expire_silence(
        &mut self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> SourceResult<SilenceRow> {
        let current = self.silence(id)?;
        let end = current.effective_end();
        if end <= at {
            return Err(SourceStoreError::SilenceEnded {
                id,
                at: fmt_time(end),
            });
        }
        self.connection().execute(
            "UPDATE silences SET expired_at = ?2, expired_by = ?3 WHERE id = ?1",
            params![id, fmt_time(at), actor],
        )?;
        self.silence(id)
    }

    fn detection_history(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> SourceResult<Vec<HistoryPoint>> {
        let conn = self.connection();
        let mut stmt = conn.prepare(
            "SELECT lon, lat, acq_time, day_night FROM detections
             WHERE (?1 IS NULL OR acq_time >= ?1) AND (?2 IS NULL OR acq_time < ?2)
             ORDER BY acq_time",
        )?;
        let raw = stmt
            .query_map(params![from.map(fmt_time), to.map(fmt_time)], |r| {
                Ok((
                    r.get::<_, f64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(lon, lat, acq, dn)| {
                Ok(HistoryPoint {
                    lon,
                    lat,
                    acq_time: parse_time("detections.acq_time", &acq)?,
                    day_night: dn.as_deref().and_then(DayNight::parse),
                })
            })
            .collect()
    }

    fn industrial_verifications(&self) -> SourceResult<Vec<IndustrialVerification>> {
        let conn = self.connection();
        // The current outcome, or any recorded verification with it (a later reopening does
        // not erase what a patrol saw on the ground).
        let mut stmt = conn.prepare(
            "SELECT a.id, e.lon, e.lat, e.first_seen,
                    COALESCE((SELECT MAX(t.at) FROM alert_transitions t
                              WHERE t.alert_id = a.id AND t.outcome = 'industrial_heat'),
                             a.updated_at)
             FROM alerts a JOIN events e ON e.id = a.event_id
             WHERE a.outcome = 'industrial_heat'
                OR EXISTS (SELECT 1 FROM alert_transitions t
                           WHERE t.alert_id = a.id AND t.outcome = 'industrial_heat')
             ORDER BY a.id",
        )?;
        let raw = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(alert_id, lon, lat, first, at)| {
                Ok(IndustrialVerification {
                    alert_id,
                    lon,
                    lat,
                    first_seen: parse_time("events.first_seen", &first)?,
                    verified_at: parse_time("alert_transitions.at", &at)?,
                })
            })
            .collect()
    }

    fn detections(&self, q: &DetectionQuery) -> SourceResult<Vec<StoredDetection>> {
        let conn = self.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {DETECTION_COLUMNS} FROM detections
             WHERE (NOT ?1 OR suppressed_by IS NOT NULL)
               AND (?2 IS NULL OR suppressed_by = ?2
                    OR substr(suppressed_by, 1, length(?2) + 1) = ?2 || ':')
               AND (?3 IS NULL OR (?3 = 'none' AND fire_class IS NULL) OR fire_class = ?3)
             ORDER BY acq_time, id
             LIMIT ?4"
        ))?;
        let limit = q.limit.map(|l| l as i64).unwrap_or(-1);
        let mut rows = stmt.query(params![
            q.suppressed || q.reason.is_some(),
            q.reason,
            q.fire_class,
            limit
        ])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(detection_row(r)?);
        }
        Ok(out)
    }

    fn detection(&self, id: i64) -> SourceResult<StoredDetection> {
        let conn = self.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {DETECTION_COLUMNS} FROM detections WHERE id = ?1"
        ))?;
        let mut rows = stmt.query([id])?;
        match rows.next()? {
            Some(r) => detection_row(r),
            None => Err(SourceStoreError::NoSuchDetection(id)),
        }
    }

    fn commit_lift(&mut self, lift: &LiftBatch) -> SourceResult<LiftOutcome> {
        let now = fmt_time(lift.at);
        let conn = self.connection();
        let tx = immediate(conn)?;
        let mut outcome = LiftOutcome {
            detection_id: lift.detection_id,
            lifted_from: lift.reason.clone(),
            event_id: None,
            events_new: 0,
            events_updated: 0,
            alert_ids: Vec::new(),
        };
        let (new_ids, alert_ids) = crate::sqlite::write_events(
            &tx,
            &lift.new_events,
            &lift.event_updates,
            &lift.actor,
            Some(&format!(
                "suppression {} of detection {} lifted",
                lift.reason, lift.detection_id
            )),
            &now,
        )?;
        outcome.events_new = new_ids.len();
        outcome.events_updated = lift.event_updates.len();
        outcome.alert_ids = alert_ids;
        outcome.event_id = match lift.event {
            EventRef::None => None,
            EventRef::Existing(id) => Some(id),
            EventRef::New(i) => Some(new_ids[i]),
        };
        // The guard on the old reason makes a release happen once, even with two operators.
        let n = tx.execute(
            "UPDATE detections SET suppressed_by = NULL, event_id = ?3, region_id = ?4,
                    county_id = ?5, lifted_from = suppressed_by, lifted_by = ?6, lifted_at = ?7,
                    lift_note = ?8
             WHERE id = ?1 AND suppressed_by = ?2",
            params![
                lift.detection_id,
                lift.reason,
                outcome.event_id,
                lift.region_id,
                lift.county_id,
                lift.actor,
                now,
                lift.note
            ],
        )?;
        if n != 1 {
            drop(tx);
            return Err(match self.detection(lift.detection_id) {
                Ok(d) if d.suppressed_by.is_none() => not_suppressed(&d),
                Ok(_) => SourceStoreError::Changed {
                    id: lift.detection_id,
                },
                Err(e) => e,
            });
        }
        tx.commit()?;
        Ok(outcome)
    }
}

/// The error for releasing a detection that is not held back, saying who released it if anyone.
pub fn not_suppressed(d: &StoredDetection) -> SourceStoreError {
    SourceStoreError::NotSuppressed {
        id: d.id,
        lifted: match (&d.lifted_by, d.lifted_at, &d.lifted_from) {
            (Some(by), Some(at), Some(from)) => Some((by.clone(), fmt_time(at), from.clone())),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn store() -> SqliteStore {
        SqliteStore::open_in_memory().unwrap()
    }

    #[test]
    fn approving_a_candidate_creates_a_registry_entry_once() {
        let mut s = store();
        let t = Utc::now();
        let id = s
            .insert_candidate(&NewCandidate {
                origin: "learned".into(),
                lon: 116.5,
                lat: 35.2,
                buffer_km: 0.8,
                evidence: CandidateEvidence {
                    days: 40,
                    months: 7,
                    detections: 61,
                    night_share: 0.6,
                    off_season_share: 0.7,
                    score: 150.0,
                    first_seen: t,
                    last_seen: t,
                    extra: None,
                },
            })
            .unwrap();
        let source = s
            .decide_candidate(
                id,
                &Decision::Approve {
                    name: "焦化厂".into(),
                    kind: "coking plant".into(),
                },
                "duty-wang",
                None,
            )
            .unwrap()
            .unwrap();
        let reg = s.industrial_sources().unwrap();
        assert_eq!(reg.len(), 1);
        assert_eq!((reg[0].id, reg[0].origin.as_str()), (source, "learned"));
        assert!(reg[0]
            .note
            .as_deref()
            .unwrap()
            .contains("40 days in 7 months"));
        let again = s.decide_candidate(id, &Decision::Reject, "duty-li", None);
        assert!(matches!(
            again,
            Err(SourceStoreError::AlreadyDecided { .. })
        ));
        assert_eq!(s.industrial_sources().unwrap().len(), 1);
    }

    #[test]
    fn silences_expire_early_but_keep_their_planned_end() {
        let mut s = store();
        let start = Utc::now() - chrono::Duration::hours(1);
        let end = start + chrono::Duration::hours(10);
        let id = s
            .insert_silence(&NewSilence {
                matchers: "{}".into(),
                starts_at: start,
                ends_at: end,
                created_by: "duty-wang".into(),
                comment: "boiler test".into(),
            })
            .unwrap();
        let now = Utc::now();
        assert_eq!(s.silences(false, now).unwrap().len(), 1);
        let row = s.expire_silence(id, "duty-li", now).unwrap();
        assert_eq!(row.ends_at.timestamp(), end.timestamp());
        assert!(!row.covers(now + chrono::Duration::minutes(1)));
        assert!(s
            .silences(false, now + chrono::Duration::seconds(1))
            .unwrap()
            .is_empty());
        assert!(matches!(
            s.expire_silence(id, "duty-li", now + chrono::Duration::seconds(1)),
            Err(SourceStoreError::SilenceEnded { .. })
        ));
        assert_eq!(s.counts().unwrap().detections, 0);
    }
}
