//! Field evidence for an alert: photos, the verification's details, the county's review, and
//! phone actions applied exactly once (a phone that lost signal resends what it queued).
//!
//! Kept beside [`crate::Store`] like the other feature stores, so the core surface stays narrow.

use crate::{fmt_time, parse_time, RegionRow, SqliteStore, StoreError, TransitionRequest};
use burnwatch_core::{AlertState, Outcome};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum VerificationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The same client action id came back with a different request: a client bug, never
    /// something to apply.
    #[error("action id {0:?} was already used for a different request")]
    ActionReused(String),
    #[error("burned area and enforcement details belong to a verification (to = verified)")]
    DetailsWithoutVerification,
    #[error("alert {0} has not been verified, so there is nothing to review")]
    NotVerified(i64),
}

impl From<rusqlite::Error> for VerificationError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(StoreError::Sqlite(e))
    }
}

impl From<burnwatch_core::TransitionError> for VerificationError {
    fn from(e: burnwatch_core::TransitionError) -> Self {
        Self::Store(StoreError::Transition(e))
    }
}

pub type VerificationResult<T> = std::result::Result<T, VerificationError>;

/// A photo as received, with what was read from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewPhoto {
    pub alert_id: i64,
    pub sha256: String,
    pub bytes: i64,
    /// "image/jpeg" or "image/png", decided from the content.
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub exif_time_raw: Option<String>,
    pub taken_at: Option<DateTime<Utc>>,
    /// EXIF GPS (lon, lat), WGS84.
    pub gps: Option<(f64, f64)>,
    pub gps_accuracy_m: Option<f64>,
    /// The browser's own fix at upload (lon, lat), as the phone reported it.
    pub device: Option<(f64, f64)>,
    pub device_accuracy_m: Option<f64>,
    pub distance_km: Option<f64>,
    /// Taken farther from the alert than allowed; `None` when there is no GPS to tell.
    pub far: Option<bool>,
    /// Taken before the fire was seen; `None` when there is no EXIF time to tell.
    pub old: Option<bool>,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    /// Relative to the photo folder.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Photo {
    pub id: i64,
    #[serde(flatten)]
    pub info: NewPhoto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Approved,
    HasIssues,
    Rejected,
}

impl ReviewState {
    pub const ALL: [ReviewState; 3] = [Self::Approved, Self::HasIssues, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::HasIssues => "has_issues",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub state: ReviewState,
    pub reviewer: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// What a verification recorded, read from the verifying transition and its details row (which
/// is absent when the alert was verified through the plain transitions endpoint or the CLI).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerificationDetails {
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    pub burned_area_mu: Option<f64>,
    pub enforcement_case: Option<String>,
    pub fine_yuan: Option<f64>,
    pub verified_by: String,
    pub verified_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerificationRecord {
    pub alert_id: i64,
    pub details: Option<VerificationDetails>,
    /// The latest review decides; `reviews` keeps them all, oldest first.
    pub review_state: Option<ReviewState>,
    pub reviews: Vec<Review>,
    pub photos: Vec<Photo>,
}

/// Enforcement taken on a confirmed burn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enforcement {
    pub case_number: Option<String>,
    pub fine_yuan: Option<f64>,
}

/// A state change sent by a phone under an id it generated, with the verification's details.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    pub action_id: String,
    pub user_id: i64,
    pub transition: TransitionRequest,
    pub burned_area_mu: Option<f64>,
    pub enforcement: Enforcement,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionOutcome {
    pub action_id: String,
    pub transition_id: i64,
    pub to_state: AlertState,
    pub at: DateTime<Utc>,
    /// True when this action id had already been applied and the stored result is returned.
    pub replayed: bool,
}

/// Where the store's alert data stands; a change in any mark means some alert changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeMarks {
    pub transition: i64,
    pub alert: i64,
    pub detection: i64,
    pub photo: i64,
    pub review: i64,
    /// Deadline marks are set without a transition (migration 0006), so their time is watched.
    pub overdue_at: Option<String>,
}

pub trait VerificationStore {
    /// Stores a photo's record; the same picture for the same alert is returned, not duplicated.
    /// The bool is true when the row is new.
    fn add_photo(&mut self, photo: &NewPhoto) -> VerificationResult<(Photo, bool)>;
    fn photo(&self, id: i64) -> VerificationResult<Option<Photo>>;
    fn photos(&self, alert_id: i64) -> VerificationResult<Vec<Photo>>;
    /// Applies a phone action once: the transition, the verification details and the action id
    /// in one transaction; a repeat of the same action id returns what was stored.
    fn apply_action(&mut self, action: &ActionRequest) -> VerificationResult<ActionOutcome>;
    fn verification(&self, alert_id: i64) -> VerificationResult<VerificationRecord>;
    /// Records the county's review of a verified alert.
    fn add_review(
        &mut self,
        alert_id: i64,
        state: ReviewState,
        reviewer: &str,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> VerificationResult<Review>;
    fn region(&self, id: &str) -> VerificationResult<Option<RegionRow>>;
    /// Whether townships `a` and `b` share an alert (one owns it, the other sees it as a
    /// neighbour), so a patrol may draw the other's outline beside a border fire.
    fn townships_share_alert(&self, a: &str, b: &str) -> VerificationResult<bool>;
    fn change_marks(&self) -> VerificationResult<ChangeMarks>;
    /// Alerts touched between two sets of marks, ascending.
    fn alerts_changed(
        &self,
        since: &ChangeMarks,
        now: &ChangeMarks,
    ) -> VerificationResult<Vec<i64>>;
}

const PHOTO_COLUMNS: &str =
    "id, alert_id, sha256, bytes, content_type, width, height, exif_time_raw,
    taken_at, gps_lon, gps_lat, gps_accuracy_m, device_lon, device_lat, device_accuracy_m,
    distance_km, far, old, uploaded_by, uploaded_at, path";

type PhotoRaw = (Photo, Option<String>, String);

fn photo_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PhotoRaw> {
    let pair = |a: Option<f64>, b: Option<f64>| a.zip(b);
    Ok((
        Photo {
            id: r.get(0)?,
            info: NewPhoto {
                alert_id: r.get(1)?,
                sha256: r.get(2)?,
                bytes: r.get(3)?,
                content_type: r.get(4)?,
                width: r.get(5)?,
                height: r.get(6)?,
                exif_time_raw: r.get(7)?,
                taken_at: None,
                gps: pair(r.get(9)?, r.get(10)?),
                gps_accuracy_m: r.get(11)?,
                device: pair(r.get(12)?, r.get(13)?),
                device_accuracy_m: r.get(14)?,
                distance_km: r.get(15)?,
                far: r.get(16)?,
                old: r.get(17)?,
                uploaded_by: r.get(18)?,
                uploaded_at: DateTime::<Utc>::MIN_UTC,
                path: r.get(20)?,
            },
        },
        r.get(8)?,
        r.get(19)?,
    ))
}

fn finish_photo((mut p, taken, uploaded): PhotoRaw) -> VerificationResult<Photo> {
    p.info.taken_at = taken
        .as_deref()
        .map(|t| parse_time("alert_photos.taken_at", t))
        .transpose()?;
    p.info.uploaded_at = parse_time("alert_photos.uploaded_at", &uploaded)?;
    Ok(p)
}

/// Writes go through a transaction on the shared connection (`Connection` methods take `&self`).
fn immediate(conn: &Connection) -> rusqlite::Result<Transaction<'_>> {
    Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
}

fn parse_state(s: &str) -> VerificationResult<AlertState> {
    AlertState::parse(s).ok_or_else(|| {
        StoreError::Corrupt {
            column: "alerts.state",
            value: s.to_owned(),
        }
        .into()
    })
}

impl VerificationStore for SqliteStore {
    fn add_photo(&mut self, p: &NewPhoto) -> VerificationResult<(Photo, bool)> {
        let conn = self.connection();
        let created = conn.execute(
            "INSERT INTO alert_photos (alert_id, sha256, bytes, content_type, width, height,
                 exif_time_raw, taken_at, gps_lon, gps_lat, gps_accuracy_m, device_lon, device_lat,
                 device_accuracy_m, distance_km, far, old, uploaded_by, uploaded_at, path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                     ?19, ?20)
             ON CONFLICT(alert_id, sha256) DO NOTHING",
            params![
                p.alert_id,
                p.sha256,
                p.bytes,
                p.content_type,
                p.width,
                p.height,
                p.exif_time_raw,
                p.taken_at.map(fmt_time),
                p.gps.map(|g| g.0),
                p.gps.map(|g| g.1),
                p.gps_accuracy_m,
                p.device.map(|g| g.0),
                p.device.map(|g| g.1),
                p.device_accuracy_m,
                p.distance_km,
                p.far,
                p.old,
                p.uploaded_by,
                fmt_time(p.uploaded_at),
                p.path
            ],
        )? == 1;
        let raw = conn.query_row(
            &format!(
                "SELECT {PHOTO_COLUMNS} FROM alert_photos WHERE alert_id = ?1 AND sha256 = ?2"
            ),
            params![p.alert_id, p.sha256],
            photo_row,
        )?;
        Ok((finish_photo(raw)?, created))
    }

    fn photo(&self, id: i64) -> VerificationResult<Option<Photo>> {
        self.connection()
            .query_row(
                &format!("SELECT {PHOTO_COLUMNS} FROM alert_photos WHERE id = ?1"),
                [id],
                photo_row,
            )
            .optional()?
            .map(finish_photo)
            .transpose()
    }

    fn photos(&self, alert_id: i64) -> VerificationResult<Vec<Photo>> {
        let conn = self.connection();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {PHOTO_COLUMNS} FROM alert_photos WHERE alert_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([alert_id], photo_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(finish_photo).collect()
    }

    fn apply_action(&mut self, a: &ActionRequest) -> VerificationResult<ActionOutcome> {
        let req = &a.transition;
        let has_details = a.burned_area_mu.is_some()
            || a.enforcement.case_number.is_some()
            || a.enforcement.fine_yuan.is_some();
        if has_details && req.to != AlertState::Verified {
            return Err(VerificationError::DetailsWithoutVerification);
        }
        // IMMEDIATE: the replay check, the legality check and the writes see one state, so two
        // copies of a queued action racing each other still apply once.
        let tx = immediate(self.connection())?;
        let stored = tx
            .query_row(
                "SELECT ac.alert_id, ac.user_id, ac.transition_id, t.to_state, t.at
                 FROM alert_actions ac JOIN alert_transitions t ON t.id = ac.transition_id
                 WHERE ac.action_id = ?1",
                [&a.action_id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        if let Some((alert_id, user_id, transition_id, to, at)) = stored {
            let to = parse_state(&to)?;
            if alert_id != req.alert_id || user_id != a.user_id || to != req.to {
                return Err(VerificationError::ActionReused(a.action_id.clone()));
            }
            return Ok(ActionOutcome {
                action_id: a.action_id.clone(),
                transition_id,
                to_state: to,
                at: parse_time("alert_transitions.at", &at)?,
                replayed: true,
            });
        }
        let transition_id = crate::sqlite::apply_transition(&tx, req, a.burned_area_mu)?;
        let at = fmt_time(req.at);
        if req.to == AlertState::Verified {
            tx.execute(
                "INSERT INTO alert_verifications (alert_id, transition_id, enforcement_case, fine_yuan,
                                                  verified_by, verified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    req.alert_id,
                    transition_id,
                    a.enforcement.case_number,
                    a.enforcement.fine_yuan,
                    req.actor,
                    at
                ],
            )?;
        }
        tx.execute(
            "INSERT INTO alert_actions (action_id, alert_id, user_id, transition_id, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                a.action_id,
                req.alert_id,
                a.user_id,
                transition_id,
                fmt_time(Utc::now())
            ],
        )?;
        tx.commit()?;
        Ok(ActionOutcome {
            action_id: a.action_id.clone(),
            transition_id,
            to_state: req.to,
            at: parse_time("alert_transitions.at", &at)?,
            replayed: false,
        })
    }

    fn verification(&self, alert_id: i64) -> VerificationResult<VerificationRecord> {
        let conn = self.connection();
        let details = conn
            .query_row(
                "SELECT t.outcome, t.note, t.burned_area_mu, v.enforcement_case, v.fine_yuan, t.actor, t.at
                 FROM alert_transitions t
                 LEFT JOIN alert_verifications v ON v.transition_id = t.id
                 WHERE t.alert_id = ?1 AND t.to_state = 'verified'
                 ORDER BY t.id DESC LIMIT 1",
                [alert_id],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<f64>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<f64>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?
            .map(|(outcome, note, area, case, fine, by, at)| {
                let outcome = outcome
                    .map(|o| {
                        Outcome::parse(&o).ok_or(StoreError::Corrupt {
                            column: "alert_transitions.outcome",
                            value: o.clone(),
                        })
                    })
                    .transpose()?;
                Ok::<_, VerificationError>(VerificationDetails {
                    outcome,
                    note,
                    burned_area_mu: area,
                    enforcement_case: case,
                    fine_yuan: fine,
                    verified_by: by,
                    verified_at: parse_time("alert_transitions.at", &at)?,
                })
            })
            .transpose()?;
        let mut stmt = conn.prepare_cached(
            "SELECT state, reviewer, note, at FROM verification_reviews WHERE alert_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([alert_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let reviews = rows
            .into_iter()
            .map(|(state, reviewer, note, at)| {
                Ok(Review {
                    state: ReviewState::parse(&state).ok_or(StoreError::Corrupt {
                        column: "verification_reviews.state",
                        value: state.clone(),
                    })?,
                    reviewer,
                    note,
                    at: parse_time("verification_reviews.at", &at)?,
                })
            })
            .collect::<VerificationResult<Vec<_>>>()?;
        Ok(VerificationRecord {
            alert_id,
            details,
            review_state: reviews.last().map(|r| r.state),
            reviews,
            photos: self.photos(alert_id)?,
        })
    }

    fn add_review(
        &mut self,
        alert_id: i64,
        state: ReviewState,
        reviewer: &str,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> VerificationResult<Review> {
        let tx = immediate(self.connection())?;
        let current: String = tx
            .query_row("SELECT state FROM alerts WHERE id = ?1", [alert_id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(StoreError::NoSuchAlert(alert_id))?;
        if !matches!(
            parse_state(&current)?,
            AlertState::Verified | AlertState::Closed
        ) {
            return Err(VerificationError::NotVerified(alert_id));
        }
        tx.execute(
            "INSERT INTO verification_reviews (alert_id, state, reviewer, note, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![alert_id, state.as_str(), reviewer, note, fmt_time(at)],
        )?;
        tx.commit()?;
        Ok(Review {
            state,
            reviewer: reviewer.to_owned(),
            note: note.map(str::to_owned),
            at: parse_time("verification_reviews.at", &fmt_time(at))?,
        })
    }

    fn region(&self, id: &str) -> VerificationResult<Option<RegionRow>> {
        Ok(self
            .connection()
            .query_row(
                "SELECT id, name, level, parent_id, geometry FROM regions WHERE id = ?1",
                [id],
                |r| {
                    Ok(RegionRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        level: r.get(2)?,
                        parent_id: r.get(3)?,
                        geometry: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    fn townships_share_alert(&self, a: &str, b: &str) -> VerificationResult<bool> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT 1 FROM alerts al JOIN alert_neighbours an ON an.alert_id = al.id
                 WHERE (al.region_id = ?1 AND an.region_id = ?2) OR (al.region_id = ?2 AND an.region_id = ?1)
                 LIMIT 1",
            )?
            .exists(params![a, b])?)
    }

    fn change_marks(&self) -> VerificationResult<ChangeMarks> {
        Ok(self.connection().query_row(
            "SELECT (SELECT IFNULL(MAX(id), 0) FROM alert_transitions),
                    (SELECT IFNULL(MAX(id), 0) FROM alerts),
                    (SELECT IFNULL(MAX(id), 0) FROM detections),
                    (SELECT IFNULL(MAX(id), 0) FROM alert_photos),
                    (SELECT IFNULL(MAX(id), 0) FROM verification_reviews),
                    (SELECT MAX(overdue_at) FROM alerts)",
            [],
            |r| {
                Ok(ChangeMarks {
                    transition: r.get(0)?,
                    alert: r.get(1)?,
                    detection: r.get(2)?,
                    photo: r.get(3)?,
                    review: r.get(4)?,
                    overdue_at: r.get(5)?,
                })
            },
        )?)
    }

    fn alerts_changed(
        &self,
        since: &ChangeMarks,
        now: &ChangeMarks,
    ) -> VerificationResult<Vec<i64>> {
        if since == now {
            return Ok(Vec::new());
        }
        // Each branch reads only the rows added since the last marks (primary-key ranges), so
        // the cost follows the change, not the size of the store.
        let mut stmt = self.connection().prepare_cached(
            "SELECT alert_id FROM alert_transitions WHERE id > ?1 AND id <= ?2
             UNION SELECT id FROM alerts WHERE id > ?3 AND id <= ?4
             UNION SELECT a.id FROM detections d JOIN alerts a ON a.event_id = d.event_id
                   WHERE d.id > ?5 AND d.id <= ?6
             UNION SELECT alert_id FROM alert_photos WHERE id > ?7 AND id <= ?8
             UNION SELECT alert_id FROM verification_reviews WHERE id > ?9 AND id <= ?10
             UNION SELECT id FROM alerts WHERE ?12 IS NOT NULL AND overdue_at > IFNULL(?11, '')
                   AND overdue_at <= ?12
             ORDER BY 1",
        )?;
        let ids = stmt
            .query_map(
                params![
                    since.transition,
                    now.transition,
                    since.alert,
                    now.alert,
                    since.detection,
                    now.detection,
                    since.photo,
                    now.photo,
                    since.review,
                    now.review,
                    since.overdue_at,
                    now.overdue_at
                ],
                |r| r.get::<_, i64>(0),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AlertFilter, Store};
    use burnwatch_core::AlertState;

    /// A store with one alert in state `new`, built with plain SQL (the ingest path is tested
    /// elsewhere) and one user.
    fn store_with_alert() -> (SqliteStore, i64) {
        let s = SqliteStore::open_in_memory().unwrap();
        let c = s.connection();
        c.execute_batch(
            "INSERT INTO regions (id, name, level, parent_id, geometry)
                 VALUES ('379901001', '柳林街道', 'township', '379901', '{\"type\":\"Point\",\"coordinates\":[116.5,35.4]}');
             INSERT INTO events (first_seen, last_seen, lon, lat, max_frp_mw, detection_count, search_radius_km,
                                 region_id, county_id, created_at)
                 VALUES ('2025-06-10T05:00:00Z', '2025-06-10T05:00:00Z', 116.5, 35.4, 12.0, 1, 0.5,
                         '379901001', '379901', '2025-06-10T05:10:00Z');
             INSERT INTO alerts (event_id, region_id, county_id, state, created_at, updated_at)
                 VALUES (1, '379901001', '379901', 'new', '2025-06-10T05:10:00Z', '2025-06-10T05:10:00Z');
             INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, at)
                 VALUES (1, NULL, 'new', 'test', '2025-06-10T05:10:00Z');
             INSERT INTO users (username, display_name, password_hash, role, region_id, created_at)
                 VALUES ('li', 'li', 'x', 'patrol', '379901001', '2025-06-10T00:00:00Z');",
        )
        .unwrap();
        (s, 1)
    }

    fn action(id: &str, to: AlertState, outcome: Option<Outcome>) -> ActionRequest {
        ActionRequest {
            action_id: id.into(),
            user_id: 1,
            transition: TransitionRequest {
                alert_id: 1,
                to,
                actor: "user:li".into(),
                at: Utc::now(),
                outcome,
                reason: None,
                note: Some("约3亩".into()),
            },
            burned_area_mu: None,
            enforcement: Enforcement::default(),
        }
    }

    #[test]
    fn an_action_applies_once_and_a_repeat_returns_the_stored_result() {
        let (mut s, id) = store_with_alert();
        let first = s
            .apply_action(&action("a-1", AlertState::Received, None))
            .unwrap();
        assert!(!first.replayed);
        let again = s
            .apply_action(&action("a-1", AlertState::Received, None))
            .unwrap();
        assert!(again.replayed);
        assert_eq!(again.transition_id, first.transition_id);
        assert_eq!(
            s.alert_history(id).unwrap().len(),
            2,
            "one creation, one receipt"
        );
        // The same id for a different move is a client bug, refused.
        assert!(matches!(
            s.apply_action(&action("a-1", AlertState::OnScene, None)),
            Err(VerificationError::ActionReused(_))
        ));
    }

    #[test]
    fn verification_details_land_with_the_transition_or_not_at_all() {
        let (mut s, id) = store_with_alert();
        let mut early = action("a-0", AlertState::Received, None);
        early.burned_area_mu = Some(3.0);
        assert!(matches!(
            s.apply_action(&early),
            Err(VerificationError::DetailsWithoutVerification)
        ));
        s.apply_action(&action("a-1", AlertState::Received, None))
            .unwrap();
        // An illegal verification (no outcome) writes nothing, not even the action id.
        let mut bad = action("a-2", AlertState::Verified, None);
        bad.burned_area_mu = Some(3.0);
        assert!(s.apply_action(&bad).is_err());
        assert!(s.verification(id).unwrap().details.is_none());
        let n: i64 = s
            .connection()
            .query_row("SELECT COUNT(*) FROM alert_actions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);

        let mut good = action(
            "a-3",
            AlertState::Verified,
            Some(Outcome::ConfirmedStrawBurn),
        );
        good.burned_area_mu = Some(3.5);
        good.enforcement = Enforcement {
            case_number: Some("济环罚〔2025〕12号".into()),
            fine_yuan: Some(200.0),
        };
        s.apply_action(&good).unwrap();
        let v = s.verification(id).unwrap();
        let d = v.details.unwrap();
        assert_eq!(d.burned_area_mu, Some(3.5));
        assert_eq!(d.fine_yuan, Some(200.0));
        assert_eq!(d.outcome, Some(Outcome::ConfirmedStrawBurn));
        assert_eq!(
            s.alerts(&AlertFilter::default()).unwrap()[0].state,
            AlertState::Verified
        );

        assert!(s
            .add_review(
                id,
                ReviewState::HasIssues,
                "user:zhao",
                Some("缺照片"),
                Utc::now()
            )
            .is_ok());
        s.add_review(id, ReviewState::Approved, "user:zhao", None, Utc::now())
            .unwrap();
        let v = s.verification(id).unwrap();
        assert_eq!(v.review_state, Some(ReviewState::Approved));
        assert_eq!(v.reviews.len(), 2);
        assert!(s
            .connection()
            .execute("DELETE FROM verification_reviews", [])
            .is_err());
    }

    #[test]
    fn a_review_needs_a_verified_alert() {
        let (mut s, id) = store_with_alert();
        assert!(matches!(
            s.add_review(id, ReviewState::Approved, "x", None, Utc::now()),
            Err(VerificationError::NotVerified(1))
        ));
    }

    #[test]
    fn photos_are_unique_per_alert_and_changes_are_noticed() {
        let (mut s, id) = store_with_alert();
        let before = s.change_marks().unwrap();
        let photo = NewPhoto {
            alert_id: id,
            sha256: "ab".repeat(32),
            bytes: 1234,
            content_type: "image/jpeg".into(),
            width: 64,
            height: 48,
            exif_time_raw: Some("2025:06:10 14:00:00".into()),
            taken_at: Some("2025-06-10T06:00:00Z".parse().unwrap()),
            gps: Some((116.501, 35.401)),
            gps_accuracy_m: Some(8.0),
            device: None,
            device_accuracy_m: None,
            distance_km: Some(0.14),
            far: Some(false),
            old: Some(false),
            uploaded_by: "user:li".into(),
            uploaded_at: Utc::now(),
            path: "1/abab.jpg".into(),
        };
        let (p, created) = s.add_photo(&photo).unwrap();
        assert!(created);
        assert_eq!(p.info.gps, Some((116.501, 35.401)));
        assert_eq!(p.info.taken_at, photo.taken_at);
        let (again, created) = s.add_photo(&photo).unwrap();
        assert!(!created);
        assert_eq!(again.id, p.id);
        assert_eq!(s.photos(id).unwrap().len(), 1);
        let after = s.change_marks().unwrap();
        assert_eq!(s.alerts_changed(&before, &after).unwrap(), vec![id]);
        assert!(s.alerts_changed(&after, &after).unwrap().is_empty());
        assert_eq!(s.region("379901001").unwrap().unwrap().name, "柳林街道");
        assert!(s.region("0").unwrap().is_none());
    }
}
