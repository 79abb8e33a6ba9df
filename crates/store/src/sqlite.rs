//! The embedded SQLite backend.

use crate::{
    fmt_time, parse_time, AlertFilter, AlertView, BBox, BatchOutcome, EventUpdate, FileRecord,
    FileRow, IngestBatch, NewEvent, RegionRow, Result, Store, StoreCounts, StoreError,
    TransitionRequest, TransitionRow,
};
use burnwatch_core::event::{EventMember, EventRef, EventSummary, OpenEvent};
use burnwatch_core::geodesy::{haversine_km, km_to_degrees};
use burnwatch_core::{AlertState, ConfidenceClass, Detection, Outcome, SAME_PIXEL_KM};
use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{Migrations, M};
use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up(include_str!("../migrations/0002_heat_sources.sql")),
        M::up(include_str!("../migrations/0003_stats.sql")),
        M::up(include_str!("../migrations/0004_users.sql")),
        M::up(include_str!("../migrations/0005_verification.sql")),
        M::up(include_str!("../migrations/0006_outbox.sql")),
        M::up(include_str!("../migrations/0007_escalation_levels.sql")),
        M::up(include_str!("../migrations/0008_queue_indexes.sql")),
        M::up(include_str!("../migrations/0009_region_cropland.sql")),
    ])
});

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.to_owned(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// An in-memory store, for tests and dry runs.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        // WAL lets readers (the console, `alerts`) run while the daemon writes; NORMAL sync is
        // durable across process crashes, which is the failure we design for.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        MIGRATIONS.to_latest(&mut conn)?;
        Ok(Self { conn })
    }

    /// Read access for reports that need plain SQL (statistics, exports).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Write access for the store's own modules (users, outbox).
    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Checks and applies one alert state change inside the caller's transaction: the alert row and
/// its appended history line. Every path that moves an alert (CLI, API, phone actions) goes
/// through here, so a rule or side effect added later applies to all of them. Returns the
/// transition's id.
pub(crate) fn apply_transition(
    tx: &rusqlite::Transaction<'_>,
    req: &TransitionRequest,
    burned_area_mu: Option<f64>,
) -> Result<i64> {
    let current: String = tx
        .query_row(
            "SELECT state FROM alerts WHERE id = ?1",
            [req.alert_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StoreError::NoSuchAlert(req.alert_id))?;
    let from = parse_state(&current)?;
    from.check_transition(req.to, req.outcome, req.reason.as_deref())?;
    let at = fmt_time(req.at);
    tx.execute(
        "UPDATE alerts SET state = ?2, outcome = COALESCE(?3, outcome), updated_at = ?4 WHERE id = ?1",
        params![req.alert_id, req.to.as_str(), req.outcome.map(|o| o.as_str()), at],
    )?;
    tx.execute(
        "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, at, outcome, reason,
                                        note, burned_area_mu)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            req.alert_id,
            from.as_str(),
            req.to.as_str(),
            req.actor,
            at,
            req.outcome.map(|o| o.as_str()),
            req.reason,
            req.note,
            burned_area_mu
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// For each detection, whether the same pixel of the same pass is stored (same pass key,
/// within SAME_PIXEL_KM): one range query per pass in the batch, then an in-memory R-tree, so a
/// new pass costs one empty query whatever its size.
fn stored_flags(conn: &Connection, detections: &[&Detection]) -> Result<Vec<bool>> {
    type Point = rstar::primitives::GeomWithData<[f64; 2], ()>;
    let mut by_pass: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, d) in detections.iter().enumerate() {
        by_pass.entry(d.pass_key()).or_default().push(i);
    }
    let mut flags = vec![false; detections.len()];
    let mut stmt = conn.prepare_cached(
        "SELECT lon, lat FROM detections
         WHERE pass_key = ?1 AND lat BETWEEN ?2 AND ?3 AND lon BETWEEN ?4 AND ?5",
    )?;
    for (pass, members) in by_pass {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for &i in &members {
            let d = detections[i];
            b = [
                b[0].min(d.lon),
                b[1].min(d.lat),
                b[2].max(d.lon),
                b[3].max(d.lat),
            ];
        }
        let (dlon, dlat) = km_to_degrees(SAME_PIXEL_KM, b[1].abs().max(b[3].abs()));
        let stored = stmt
            .query_map(
                params![pass, b[1] - dlat, b[3] + dlat, b[0] - dlon, b[2] + dlon],
                |r| Ok(Point::new([r.get(0)?, r.get(1)?], ())),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if stored.is_empty() {
            continue;
        }
        let tree = rstar::RTree::bulk_load(stored);
        for i in members {
            let d = detections[i];
            let (dlon, dlat) = km_to_degrees(SAME_PIXEL_KM, d.lat);
            let envelope = rstar::AABB::from_corners(
                [d.lon - dlon, d.lat - dlat],
                [d.lon + dlon, d.lat + dlat],
            );
            flags[i] = tree
                .locate_in_envelope(&envelope)
                .any(|p| haversine_km(d.lon, d.lat, p.geom()[0], p.geom()[1]) <= SAME_PIXEL_KM);
        }
    }
    Ok(flags)
}

fn file_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FileRow> {
    Ok(FileRow {
        id: row.get(0)?,
        name: row.get(1)?,
        sha256: row.get(2)?,
        format: row.get(3)?,
        status: row.get(4)?,
        reason: row.get(5)?,
    })
}

const FILE_COLUMNS: &str = "id, name, sha256, format, status, reason";

/// Writes a plan's new events — each routed one with its alert, the alert's first transition
/// (by `actor`, with `note`) and its neighbours — and the updates to existing events. Ingest and
/// a lifted suppression land their plans through this one path. Returns the new events' ids in
/// plan order and the alerts raised.
pub(crate) fn write_events(
    tx: &Connection,
    new_events: &[NewEvent],
    updates: &[EventUpdate],
    actor: &str,
    note: Option<&str>,
    now: &str,
) -> Result<(Vec<i64>, Vec<i64>)> {
    let mut event_ids = Vec::with_capacity(new_events.len());
    let mut alert_ids = Vec::new();
    for ev in new_events {
        let s = &ev.summary;
        tx.execute(
            "INSERT INTO events (first_seen, last_seen, lon, lat, max_frp_mw, detection_count,
                                 search_radius_km, region_id, county_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                fmt_time(s.first_seen),
                fmt_time(s.last_seen),
                s.lon,
                s.lat,
                s.max_frp_mw,
                s.detection_count,
                s.search_radius_km,
                ev.region_id,
                ev.county_id,
                now
            ],
        )?;
        let event_id = tx.last_insert_rowid();
        event_ids.push(event_id);
        if !ev.raise_alert {
            continue;
        }
        tx.execute(
            "INSERT INTO alerts (event_id, region_id, county_id, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'new', ?4, ?4)",
            params![event_id, ev.region_id, ev.county_id, now],
        )?;
        let alert_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, at, note)
             VALUES (?1, NULL, 'new', ?2, ?3, ?4)",
            params![alert_id, actor, now, note],
        )?;
        for (region, km) in &ev.neighbours {
            tx.execute(
                "INSERT OR IGNORE INTO alert_neighbours (alert_id, region_id, distance_km)
                 VALUES (?1, ?2, ?3)",
                params![alert_id, region, km],
            )?;
        }
        alert_ids.push(alert_id);
    }
    for up in updates {
        let s = &up.summary;
        tx.execute(
            "UPDATE events SET first_seen = ?2, last_seen = ?3, lon = ?4, lat = ?5,
                    max_frp_mw = ?6, detection_count = ?7, search_radius_km = ?8
             WHERE id = ?1",
            params![
                up.id,
                fmt_time(s.first_seen),
                fmt_time(s.last_seen),
                s.lon,
                s.lat,
                s.max_frp_mw,
                s.detection_count,
                s.search_radius_km
            ],
        )?;
    }
    Ok((event_ids, alert_ids))
}

impl Store for SqliteStore {
    fn replace_regions(&mut self, regions: &[RegionRow]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM regions", [])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO regions (id, name, level, parent_id, geometry) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in regions {
                insert.execute(params![r.id, r.name, r.level, r.parent_id, r.geometry])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn file_by_hash(&self, sha256: &str) -> Result<Option<FileRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {FILE_COLUMNS} FROM source_files WHERE sha256 = ?1"),
                [sha256],
                file_row,
            )
            .optional()?)
    }

    fn record_rejected_file(&mut self, file: &FileRecord) -> Result<FileRow> {
        self.conn.execute(
            "INSERT INTO source_files (sha256, name, format, status, reason, rows_read, rows_rejected, received_at)
             VALUES (?1, ?2, ?3, 'rejected', ?4, ?5, ?6, ?7)
             ON CONFLICT(sha256) DO NOTHING",
            params![
                file.sha256,
                file.name,
                file.format,
                file.reason,
                file.rows_read as i64,
                file.rows_rejected as i64,
                fmt_time(file.received_at)
            ],
        )?;
        self.file_by_hash(&file.sha256)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    fn stored_duplicates(&self, detections: &[&Detection]) -> Result<Vec<bool>> {
        stored_flags(&self.conn, detections)
    }

    fn open_events(
        &self,
        bbox: BBox,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<OpenEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT e.id, e.first_seen, e.last_seen, e.lon, e.lat, e.max_frp_mw,
                    e.detection_count, e.search_radius_km
             FROM events e JOIN detections d ON d.event_id = e.id
             WHERE e.last_seen >= ?1 AND e.first_seen <= ?2
               AND d.lat BETWEEN ?3 AND ?4 AND d.lon BETWEEN ?5 AND ?6
             ORDER BY e.id",
        )?;
        let rows = stmt.query_map(
            params![
                fmt_time(from),
                fmt_time(to),
                bbox.min_lat,
                bbox.max_lat,
                bbox.min_lon,
                bbox.max_lon
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, f64>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, f64>(7)?,
                ))
            },
        )?;
        let mut members_stmt = self.conn.prepare_cached(
            "SELECT lon, lat, frp_mw, scan_km, track_km, instrument, acq_time
             FROM detections WHERE event_id = ?1",
        )?;
        let mut events = Vec::new();
        for row in rows {
            let (id, first, last, lon, lat, max_frp_mw, detection_count, search_radius_km) = row?;
            let members = members_stmt
                .query_map([id], |r| {
                    Ok((
                        r.get::<_, f64>(0)?,
                        r.get::<_, f64>(1)?,
                        r.get::<_, Option<f64>>(2)?,
                        r.get::<_, Option<f64>>(3)?,
                        r.get::<_, Option<f64>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })?
                .map(|m| {
                    let (lon, lat, frp_mw, scan, track, instrument, acq) = m?;
                    let nominal = burnwatch_core::Instrument::parse(&instrument)
                        .map(burnwatch_core::detection::nominal_pixel_km)
                        .ok_or_else(|| StoreError::Corrupt {
                            column: "detections.instrument",
                            value: instrument.clone(),
                        })?;
                    let (s, t) = (scan.unwrap_or(nominal), track.unwrap_or(nominal));
                    Ok(EventMember {
                        lon,
                        lat,
                        frp_mw,
                        search_radius_km: 0.5 * (s * s + t * t).sqrt(),
                        acq_time: parse_time("detections.acq_time", &acq)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            events.push(OpenEvent {
                id,
                summary: EventSummary {
                    first_seen: parse_time("events.first_seen", &first)?,
                    last_seen: parse_time("events.last_seen", &last)?,
                    lon,
                    lat,
                    max_frp_mw,
                    detection_count,
                    search_radius_km,
                },
                members,
            });
        }
        Ok(events)
    }

    fn commit_batch(&mut self, batch: &IngestBatch) -> Result<BatchOutcome> {
        let now = fmt_time(Utc::now());
        // IMMEDIATE takes the write lock up front, so the duplicate check below and the inserts
        // see the same database state.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let f = &batch.file;
        tx.execute(
            "INSERT INTO source_files (sha256, name, format, status, rows_read, rows_rejected, received_at)
             VALUES (?1, ?2, ?3, 'ingested', ?4, ?5, ?6)
             ON CONFLICT(sha256) DO UPDATE SET status = 'ingested', reason = NULL,
                 format = excluded.format, rows_read = excluded.rows_read,
                 rows_rejected = excluded.rows_rejected",
            params![
                f.sha256,
                f.name,
                f.format,
                f.rows_read as i64,
                f.rows_rejected as i64,
                fmt_time(f.received_at)
            ],
        )?;
        let file_id: i64 = tx.query_row(
            "SELECT id FROM source_files WHERE sha256 = ?1",
            [&f.sha256],
            |r| r.get(0),
        )?;

        let batch_detections: Vec<&Detection> =
            batch.detections.iter().map(|r| &r.detection).collect();
        let conflicts = stored_flags(&tx, &batch_detections)?
            .into_iter()
            .filter(|&f| f)
            .count();
        if conflicts > 0 {
            return Err(StoreError::Conflict(conflicts));
        }

        let mut outcome = BatchOutcome {
            file_id,
            ..Default::default()
        };
        let (new_event_ids, alert_ids) = write_events(
            &tx,
            &batch.new_events,
            &batch.event_updates,
            &batch.actor,
            None,
            &now,
        )?;
        outcome.events_new = new_event_ids.len();
        outcome.alerts_new = alert_ids.len();
        outcome.events_updated = batch.event_updates.len();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO detections (natural_key, pass_key, source_file_id, source, instrument, satellite, acq_time,
                    lon, lat, frp_mw, confidence, confidence_raw, day_night, scan_km, track_km, firms_type,
                    bright_t4_k, bright_t11_k, region_id, county_id, suppressed_by, event_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                         ?19, ?20, ?21, ?22, ?23)",
            )?;
            for row in &batch.detections {
                let d = &row.detection;
                let event_id = match row.event {
                    EventRef::None => None,
                    EventRef::Existing(id) => Some(id),
                    EventRef::New(i) => Some(new_event_ids[i]),
                };
                insert.execute(params![
                    row.natural_key,
                    d.pass_key(),
                    file_id,
                    d.source.as_str(),
                    d.instrument.as_str(),
                    d.satellite,
                    fmt_time(d.acq_time),
                    d.lon,
                    d.lat,
                    d.frp_mw,
                    d.confidence.as_str(),
                    d.confidence_raw,
                    d.day_night.map(|x| x.as_str()),
                    d.scan_km,
                    d.track_km,
                    d.firms_type,
                    d.bright_t4_k,
                    d.bright_t11_k,
                    row.region_id,
                    row.county_id,
                    row.suppressed_by,
                    event_id,
                    now
                ])?;
                outcome.detections_new += 1;
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertView>> {
        let mut sql = String::from(ALERT_SELECT);
        let mut args: Vec<String> = Vec::new();
        let mut clauses = Vec::new();
        if let Some(region) = &filter.region {
            args.push(region.clone());
            let n = args.len();
            // Three index lookups instead of an OR across columns, which SQLite can only
            // answer by scanning every alert ever raised.
            clauses.push(format!(
                "a.id IN (SELECT id FROM alerts WHERE region_id = ?{n}
                          UNION ALL SELECT id FROM alerts WHERE county_id = ?{n}
                          UNION ALL SELECT alert_id FROM alert_neighbours WHERE region_id = ?{n})"
            ));
        }
        if let Some(state) = filter.state {
            args.push(state.as_str().to_owned());
            clauses.push(format!("a.state = ?{}", args.len()));
        }
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        // Newest fire first; within one pass, the hottest first.
        sql.push_str(" ORDER BY e.last_seen DESC, e.max_frp_mw DESC, a.id");
        let mut stmt = self.conn.prepare(&sql)?;
        let raw = stmt
            .query_map(params_from_iter(args.iter()), alert_raw)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter().map(|r| self.finish_alert(r)).collect()
    }

    fn alert(&self, id: i64) -> Result<AlertView> {
        let sql = format!("{ALERT_SELECT} WHERE a.id = ?1");
        let raw = self
            .conn
            .query_row(&sql, [id], alert_raw)
            .optional()?
            .ok_or(StoreError::NoSuchAlert(id))?;
        self.finish_alert(raw)
    }

    fn transition_alert(&mut self, req: &TransitionRequest) -> Result<AlertView> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        apply_transition(&tx, req, None)?;
        tx.commit()?;
        self.alert(req.alert_id)
    }

    fn alert_history(&self, id: i64) -> Result<Vec<TransitionRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT alert_id, from_state, to_state, actor, at, outcome, reason, note
             FROM alert_transitions WHERE alert_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(alert_id, from, to, actor, at, outcome, reason, note)| {
                Ok(TransitionRow {
                    alert_id,
                    from_state: from.as_deref().map(parse_state).transpose()?,
                    to_state: parse_state(&to)?,
                    actor,
                    at: parse_time("alert_transitions.at", &at)?,
                    outcome: outcome.as_deref().map(parse_outcome).transpose()?,
                    reason,
                    note,
                })
            })
            .collect()
    }

    fn counts(&self) -> Result<StoreCounts> {
        let c = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(StoreCounts {
            files: c("SELECT COUNT(*) FROM source_files")?,
            files_rejected: c("SELECT COUNT(*) FROM source_files WHERE status = 'rejected'")?,
            detections: c("SELECT COUNT(*) FROM detections")?,
            detections_suppressed: c(
                "SELECT COUNT(*) FROM detections WHERE suppressed_by IS NOT NULL",
            )?,
            events: c("SELECT COUNT(*) FROM events")?,
            alerts: c("SELECT COUNT(*) FROM alerts")?,
            transitions: c("SELECT COUNT(*) FROM alert_transitions")?,
        })
    }
}

const ALERT_SELECT: &str =
    "SELECT a.id, a.event_id, a.state, a.outcome, a.region_id, r.name, a.county_id,
        c.name, e.lon, e.lat, e.search_radius_km, e.first_seen, e.last_seen, e.max_frp_mw,
        e.detection_count, a.created_at, a.updated_at, a.overdue_step, a.overdue_level
    FROM alerts a
    JOIN events e ON e.id = a.event_id
    LEFT JOIN regions r ON r.id = a.region_id
    LEFT JOIN regions c ON c.id = a.county_id";

struct AlertRaw {
    id: i64,
    event_id: i64,
    state: String,
    outcome: Option<String>,
    region_id: Option<String>,
    region_name: Option<String>,
    county_id: Option<String>,
    county_name: Option<String>,
    lon: f64,
    lat: f64,
    search_radius_km: f64,
    first_seen: String,
    last_seen: String,
    max_frp_mw: Option<f64>,
    cluster_size: i64,
    created_at: String,
    updated_at: String,
    overdue_step: Option<String>,
    overdue_level: Option<i64>,
}

fn alert_raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<AlertRaw> {
    Ok(AlertRaw {
        id: r.get(0)?,
        event_id: r.get(1)?,
        state: r.get(2)?,
        outcome: r.get(3)?,
        region_id: r.get(4)?,
        region_name: r.get(5)?,
        county_id: r.get(6)?,
        county_name: r.get(7)?,
        lon: r.get(8)?,
        lat: r.get(9)?,
        search_radius_km: r.get(10)?,
        first_seen: r.get(11)?,
        last_seen: r.get(12)?,
        max_frp_mw: r.get(13)?,
        cluster_size: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        overdue_step: r.get(17)?,
        overdue_level: r.get(18)?,
    })
}

fn parse_state(s: &str) -> Result<AlertState> {
    AlertState::parse(s).ok_or_else(|| StoreError::Corrupt {
        column: "alerts.state",
        value: s.to_owned(),
    })
}

fn parse_outcome(s: &str) -> Result<Outcome> {
    Outcome::parse(s).ok_or_else(|| StoreError::Corrupt {
        column: "outcome",
        value: s.to_owned(),
    })
}

impl SqliteStore {
    fn finish_alert(&self, a: AlertRaw) -> Result<AlertView> {
        let mut det = self.conn.prepare_cached(
            "SELECT id, source, confidence, day_night FROM detections WHERE event_id = ?1 ORDER BY id",
        )?;
        let mut detection_ids = Vec::new();
        let mut sources: Vec<String> = Vec::new();
        let mut confidence = ConfidenceClass::Low;
        let mut day_night: HashMap<String, usize> = HashMap::new();
        let rows = det.query_map([a.event_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        for row in rows {
            let (id, source, conf, dn) = row?;
            detection_ids.push(id);
            if !sources.contains(&source) {
                sources.push(source);
            }
            let c = ConfidenceClass::parse(&conf).ok_or_else(|| StoreError::Corrupt {
                column: "detections.confidence",
                value: conf.clone(),
            })?;
            confidence = confidence.max(c);
            if let Some(dn) = dn {
                *day_night.entry(dn).or_default() += 1;
            }
        }
        let mut neighbours_stmt = self.conn.prepare_cached(
            "SELECT region_id FROM alert_neighbours WHERE alert_id = ?1 ORDER BY distance_km",
        )?;
        let neighbours = neighbours_stmt
            .query_map([a.id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(AlertView {
            alert_id: a.id,
            event_id: a.event_id,
            state: parse_state(&a.state)?,
            outcome: a.outcome.as_deref().map(parse_outcome).transpose()?,
            region_id: a.region_id,
            region_name: a.region_name,
            county_id: a.county_id,
            county_name: a.county_name,
            neighbours,
            lon: a.lon,
            lat: a.lat,
            search_radius_km: a.search_radius_km,
            first_seen: parse_time("events.first_seen", &a.first_seen)?,
            last_seen: parse_time("events.last_seen", &a.last_seen)?,
            max_frp_mw: a.max_frp_mw,
            confidence,
            cluster_size: a.cluster_size,
            detection_ids,
            sources,
            day_night: day_night
                .into_iter()
                .max_by_key(|(k, n)| (*n, k.clone()))
                .map(|(k, _)| k),
            created_at: parse_time("alerts.created_at", &a.created_at)?,
            updated_at: parse_time("alerts.updated_at", &a.updated_at)?,
            overdue_step: a.overdue_step,
            overdue_level: a.overdue_level,
        })
    }
}
