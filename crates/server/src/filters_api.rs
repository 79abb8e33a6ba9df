//! The duty console's view of the industrial-source filter: detections held back and why,
//! silences (list, create, end early) and learned candidates (list, approve, reject).
//!
//! Validation and storage are the filter's and the store's own (`create_silence`,
//! `SourceStore`), so the API accepts exactly what `burnwatch silences add` accepts. Lifting a
//! suppression goes through the routing pipeline the daemon lends ([`crate::Release`]), the same
//! code as `burnwatch detections lift`.
//!
//! Reading: duty officers, admins and auditors; a county supervisor sees the suppressed
//! detections of its own county only. Changing: duty officers and admins. Patrols get 403.

use crate::{ApiError, ApiState, Caller};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use burnwatch_filter::silence::{describe, AreaSpec, Matchers, Overlap};
use burnwatch_filter::{create_silence, FilterError, SilenceSpec};
use burnwatch_store::{
    CandidateStatus, Decision, DetectionQuery, Role, SilenceRow, SourceCandidate, SourceStore,
    SourceStoreError, StoredDetection, User,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The routes of this module, to be merged into the API router before its state is set.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/detections/suppressed", get(suppressed))
        .route("/api/v1/detections/{id}/lift", post(lift))
        .route("/api/v1/silences", get(list_silences).post(add_silence))
        .route("/api/v1/silences/{id}/expire", post(expire_silence))
        .route("/api/v1/candidates", get(list_candidates))
        .route("/api/v1/candidates/{id}/approve", post(approve))
        .route("/api/v1/candidates/{id}/reject", post(reject))
}

impl From<SourceStoreError> for ApiError {
    fn from(e: SourceStoreError) -> Self {
        match e {
            SourceStoreError::Store(e) => e.into(),
            SourceStoreError::NoSuchSilence(_)
            | SourceStoreError::NoSuchCandidate(_)
            | SourceStoreError::NoSuchSource(_)
            | SourceStoreError::NoSuchDetection(_) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            SourceStoreError::AlreadyDecided { .. } => {
                Self::new(StatusCode::CONFLICT, "already_decided", e.to_string())
            }
            SourceStoreError::SilenceEnded { .. } => {
                Self::new(StatusCode::CONFLICT, "silence_ended", e.to_string())
            }
            SourceStoreError::NotSuppressed { .. } | SourceStoreError::Changed { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
        }
    }
}

impl From<FilterError> for ApiError {
    fn from(e: FilterError) -> Self {
        match e {
            FilterError::Store(e) => e.into(),
            FilterError::Silence(m) => ApiError::bad_request("invalid_silence", m),
            other => Self::internal(other.to_string()),
        }
    }
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("{raw:?} is not a numeric id")))
}

fn may_read(user: &User) -> Result<(), ApiError> {
    match user.role {
        Role::DutyOfficer | Role::Admin | Role::Auditor => Ok(()),
        Role::Patrol | Role::CountySupervisor => Err(ApiError::forbidden(
            "your role cannot see the filter's settings",
        )),
    }
}

fn may_change(user: &User) -> Result<(), ApiError> {
    match user.role {
        Role::DutyOfficer | Role::Admin => Ok(()),
        _ => Err(ApiError::forbidden("your role cannot change the filter")),
    }
}

fn actor(user: &User) -> String {
    format!("user:{}", user.username)
}

/// A JSON body that may be empty (then `T::default()`).
fn optional_body<T: serde::de::DeserializeOwned + Default>(raw: &[u8]) -> Result<T, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        crate::json_body(raw)
    }
}

#[derive(Deserialize)]
struct SuppressedQuery {
    reason: Option<String>,
    limit: Option<usize>,
}

async fn suppressed(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Query(q): Query<SuppressedQuery>,
) -> Result<Json<Vec<StoredDetection>>, ApiError> {
    // A county supervisor sees its own county's; everyone else who may read sees all.
    let county = match user.role {
        Role::CountySupervisor => Some(user.region_id.clone()),
        _ => {
            may_read(&user)?;
            None
        }
    };
    state
        .with_store(move |s| {
            let rows = s.detections(&DetectionQuery {
                suppressed: true,
                reason: q.reason.filter(|r| !r.trim().is_empty()),
                fire_class: None,
                limit: q.limit,
            })?;
            Ok(Json(match county {
                Some(c) => rows
                    .into_iter()
                    .filter(|d| c.is_some() && d.county_id == c)
                    .collect(),
                None => rows,
            }))
        })
        .await
}

/// A stored silence as listed: the row, its area in words and whether it is in force.
#[derive(Serialize)]
struct SilenceView {
    #[serde(flatten)]
    row: SilenceRow,
    area: String,
    /// pending, active or ended
    state: &'static str,
    effective_end: DateTime<Utc>,
}

impl SilenceView {
    fn new(row: SilenceRow, now: DateTime<Utc>) -> Self {
        let state = if row.starts_at > now {
            "pending"
        } else if row.effective_end() <= now {
            "ended"
        } else {
            "active"
        };
        Self {
            area: describe(&row),
            effective_end: row.effective_end(),
            state,
            row,
        }
    }
}

#[derive(Deserialize)]
struct SilenceListQuery {
    /// Also silences that have ended.
    all: Option<bool>,
}

async fn list_silences(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Query(q): Query<SilenceListQuery>,
) -> Result<Json<Vec<SilenceView>>, ApiError> {
    may_read(&user)?;
    state
        .with_store(move |s| {
            let now = Utc::now();
            let rows = s.silences(q.all.unwrap_or(false), now)?;
            Ok(Json(
                rows.into_iter().map(|r| SilenceView::new(r, now)).collect(),
            ))
        })
        .await
}

#[derive(Deserialize)]
struct Circle {
    lon: f64,
    lat: f64,
    radius_km: f64,
}

#[derive(Deserialize)]
struct NewSilenceBody {
    circle: Option<Circle>,
    /// A GeoJSON Polygon or MultiPolygon geometry, WGS84.
    polygon: Option<serde_json::Value>,
    source: Option<String>,
    sensor: Option<String>,
    start: Option<String>,
    end: Option<String>,
    comment: Option<String>,
}

#[derive(Serialize)]
struct CreatedSilence {
    silence: SilenceView,
    overlaps: Vec<Overlap>,
}

fn parse_time(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|s| {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                ApiError::bad_request(
                    "bad_time",
                    format!("{field} {s:?} is not an RFC 3339 time: {e}"),
                )
            })
    })
    .transpose()
}

async fn add_silence(
    State(state): State<ApiState>,
    Caller(user): Caller,
    raw: axum::body::Bytes,
) -> Result<(StatusCode, Json<CreatedSilence>), ApiError> {
    may_change(&user)?;
    let body: NewSilenceBody = crate::json_body(&raw)?;
    let area = match (body.circle, body.polygon) {
        (Some(c), None) => AreaSpec::Circle {
            lon: c.lon,
            lat: c.lat,
            radius_km: c.radius_km,
        },
        (None, Some(p)) => {
            serde_json::from_value(serde_json::json!({ "polygon": p })).map_err(|e| {
                ApiError::bad_request(
                    "invalid_silence",
                    format!("polygon: not a GeoJSON geometry: {e}"),
                )
            })?
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_silence",
                "an area is required: either circle {lon, lat, radius_km} or polygon (GeoJSON)",
            ))
        }
    };
    let spec = SilenceSpec {
        matchers: Matchers {
            area,
            source: body.source.filter(|s| !s.trim().is_empty()),
            sensor: body.sensor,
        },
        starts_at: parse_time("start", body.start.as_deref())?,
        ends_at: parse_time("end", body.end.as_deref())?,
        created_by: actor(&user),
        comment: body.comment.unwrap_or_default(),
    };
    state
        .with_store(move |s| {
            let now = Utc::now();
            let (id, overlaps) = create_silence(s, &spec, now)?;
            let silence = SilenceView::new(s.silence(id)?, now);
            Ok((
                StatusCode::CREATED,
                Json(CreatedSilence { silence, overlaps }),
            ))
        })
        .await
}

async fn expire_silence(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<SilenceView>, ApiError> {
    may_change(&user)?;
    let id = parse_id(&id)?;
    state
        .with_store(move |s| {
            let now = Utc::now();
            let row = s.expire_silence(id, &actor(&user), now)?;
            Ok(Json(SilenceView::new(row, now)))
        })
        .await
}

#[derive(Deserialize)]
struct CandidateQuery {
    status: Option<String>,
}

async fn list_candidates(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Query(q): Query<CandidateQuery>,
) -> Result<Json<Vec<SourceCandidate>>, ApiError> {
    may_read(&user)?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            CandidateStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(
                    "bad_status",
                    format!("unknown candidate status {s:?}; one of pending, approved, rejected"),
                )
            })
        })
        .transpose()?;
    state
        .with_store(move |s| Ok(Json(s.candidates(status)?)))
        .await
}

#[derive(Deserialize, Default)]
struct DecisionBody {
    name: Option<String>,
    #[serde(alias = "type")]
    kind: Option<String>,
    note: Option<String>,
}

#[derive(Serialize)]
struct Decided {
    candidate: SourceCandidate,
    /// The registry entry an approval created.
    source_id: Option<i64>,
}

async fn decide(
    state: ApiState,
    user: User,
    raw_id: String,
    raw: &[u8],
    approve: bool,
) -> Result<Json<Decided>, ApiError> {
    may_change(&user)?;
    let id = parse_id(&raw_id)?;
    let body: DecisionBody = optional_body(raw)?;
    state
        .with_store(move |s| {
            let find = |s: &burnwatch_store::SqliteStore| -> Result<SourceCandidate, ApiError> {
                s.candidates(None)?
                    .into_iter()
                    .find(|c| c.id == id)
                    .ok_or_else(|| SourceStoreError::NoSuchCandidate(id).into())
            };
            let c = find(s)?;
            let decision = if approve {
                Decision::Approve {
                    // The same defaults as `burnwatch sources approve`.
                    name: body
                        .name
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| {
                            format!("{} heat source at {:.4}N {:.4}E", c.origin, c.lat, c.lon)
                        }),
                    kind: body
                        .kind
                        .filter(|k| !k.trim().is_empty())
                        .unwrap_or_else(|| "persistent heat source".to_owned()),
                }
            } else {
                Decision::Reject
            };
            let source_id =
                s.decide_candidate(id, &decision, &actor(&user), body.note.as_deref())?;
            Ok(Json(Decided {
                candidate: find(s)?,
                source_id,
            }))
        })
        .await
}

async fn approve(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Json<Decided>, ApiError> {
    decide(state, user, id, &raw, true).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LiftBody {
    note: Option<String>,
}

/// Releases a suppression: the detection is routed and joins or starts an event (and its
/// alert), once; a second lift answers 409.
async fn lift(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Json<burnwatch_store::LiftOutcome>, ApiError> {
    may_change(&user)?;
    let id = parse_id(&id)?;
    let body: LiftBody = optional_body(&raw)?;
    let release = state.release.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_pipeline",
            "this server cannot route detections; use burnwatch detections lift",
        )
    })?;
    let actor = actor(&user);
    tokio::task::spawn_blocking(move || release.lift(id, &actor, body.note.as_deref()))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map(Json)
        .map_err(|e| match e {
            crate::LiftError::Store(e) => e.into(),
            crate::LiftError::Pipeline(m) => ApiError::internal(m),
        })
}

async fn reject(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Json<Decided>, ApiError> {
    decide(state, user, id, &raw, false).await
}
