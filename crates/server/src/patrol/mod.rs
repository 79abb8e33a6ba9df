//! The field side of the API and its two pages: navigation to an alert (GCJ-02/BD-09 converted
//! here), the township outline from our own boundaries, photos with their EXIF checked, phone
//! actions applied exactly once (a phone without signal queues them and resends), the county's
//! review, the live alert stream, and the static `/patrol` and `/console` pages.
//!
//! Scoping is the same as for the core alert endpoints: an alert the caller may not see answers
//! 404, one it may see but not change answers 403.

mod nav;
mod photo;
mod stream;
mod web;

use crate::{can_act, can_see, ApiError, ApiState, Caller};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use burnwatch_core::patrol_config::PatrolConfig;
use burnwatch_core::{AlertState, Outcome};
use burnwatch_store::{
    ActionRequest, AlertView, Enforcement, NewPhoto, Photo, Role, Store, TransitionRequest, User,
    VerificationError, VerificationStore,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

pub use nav::{Links, LonLat, Nav};

/// JSON bodies are small forms; anything bigger is a mistake or an attack.
const MAX_JSON_BYTES: usize = 64 * 1024;

/// What the patrol routes share: their settings and the live stream's hub.
pub(crate) struct Shared {
    config: PatrolConfig,
    hub: Arc<stream::Hub>,
}

/// The routes of this module, to be merged into the API router before its state is set.
pub fn routes(config: &PatrolConfig) -> Router<ApiState> {
    let shared = Arc::new(Shared {
        config: config.clone(),
        hub: stream::Hub::new(),
    });
    Router::new()
        .route("/api/v1/outcomes", get(outcomes))
        .route("/api/v1/alerts/{id}/nav", get(nav_links))
        .route(
            "/api/v1/alerts/{id}/photos",
            get(list_photos).post(upload_photo),
        )
        .route("/api/v1/alerts/{id}/actions", post(action))
        .route("/api/v1/alerts/{id}/verification", get(verification))
        .route("/api/v1/alerts/{id}/review", post(review))
        .route("/api/v1/photos/{id}", get(photo_file))
        .route("/api/v1/regions/{id}", get(region))
        .route("/api/v1/stream", get(stream::stream))
        .route("/patrol", get(web::patrol_page))
        .route("/patrol-sw.js", get(web::service_worker))
        .route("/console", get(web::console_page))
        .route("/console/stats", get(web::stats_page))
        .route("/static/{name}", get(web::asset))
        .layer(Extension(shared))
}

impl From<VerificationError> for ApiError {
    fn from(e: VerificationError) -> Self {
        match e {
            VerificationError::Store(e) => e.into(),
            VerificationError::ActionReused(_) => {
                Self::new(StatusCode::CONFLICT, "action_id_reused", e.to_string())
            }
            VerificationError::DetailsWithoutVerification => Self::new(
                StatusCode::BAD_REQUEST,
                "details_need_verification",
                e.to_string(),
            ),
            VerificationError::NotVerified(_) => {
                Self::new(StatusCode::CONFLICT, "not_verified", e.to_string())
            }
        }
    }
}

/// Path ids are parsed here so a malformed one gets the same JSON error shape as everything else.
fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("{raw:?} is not a numeric id")))
}

/// The alert if the caller may see it (404 otherwise, so nothing leaks about other townships).
fn visible_alert(s: &impl Store, user: &User, id: i64) -> Result<AlertView, ApiError> {
    let alert = s.alert(id)?;
    if !can_see(user, &alert) {
        return Err(ApiError::not_found(id));
    }
    Ok(alert)
}

fn actionable_alert(s: &impl Store, user: &User, id: i64) -> Result<AlertView, ApiError> {
    let alert = visible_alert(s, user, id)?;
    if !can_act(user, &alert) {
        return Err(ApiError::forbidden("your role cannot change this alert"));
    }
    Ok(alert)
}

/// Reads a request body up to `limit` bytes; past it the upload is cut off with 413 instead of
/// being buffered whole.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request("bad_body", format!("reading the body failed: {e}"))
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn read_json<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T, ApiError> {
    let bytes = read_body(headers, body, MAX_JSON_BYTES).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("bad_json", format!("invalid JSON body: {e}")))
}

#[derive(Serialize)]
struct OutcomeLabel {
    id: &'static str,
    label_zh: &'static str,
}

/// The verification outcomes with their zh-CN labels, so the page shows the same words as the
/// bulletins.
async fn outcomes(Caller(_): Caller) -> Json<Vec<OutcomeLabel>> {
    Json(
        burnwatch_core::alert::ALL_OUTCOMES
            .iter()
            .map(|o| OutcomeLabel {
                id: o.as_str(),
                label_zh: o.label_zh(),
            })
            .collect(),
    )
}

async fn nav_links(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Nav>, ApiError> {
    let id = parse_id(&id)?;
    state
        .with_store(move |s| {
            let a = visible_alert(s, &user, id)?;
            let name = format!(
                "火点 {} {}",
                a.alert_id,
                a.region_name.as_deref().unwrap_or("")
            );
            Ok(Json(nav::nav(
                a.alert_id,
                a.lon,
                a.lat,
                a.search_radius_km,
                name.trim(),
            )))
        })
        .await
}

/// A region as a GeoJSON Feature from our own boundaries (WGS84), for the page's map.
async fn region(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .with_store(move |s| {
            let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("region {id} not found"));
            let r = s.region(&id)?.ok_or_else(not_found)?;
            let own = user.region_id.as_deref();
            let allowed = match user.role {
                // Its own township, and a neighbour it shares a border fire with.
                Role::Patrol => match own {
                    Some(own) => r.id == own || s.townships_share_alert(own, &r.id)?,
                    None => false,
                },
                Role::CountySupervisor => own.is_some() && (Some(r.id.as_str()) == own || r.parent_id.as_deref() == own),
                Role::DutyOfficer | Role::Auditor | Role::Admin => true,
            };
            if !allowed {
                return Err(not_found());
            }
            let geometry: serde_json::Value = serde_json::from_str(&r.geometry)
                .map_err(|e| ApiError::internal(format!("region {} has invalid GeoJSON: {e}", r.id)))?;
            let feature = serde_json::json!({
                "type": "Feature",
                "id": r.id,
                "properties": {"id": r.id, "name": r.name, "level": r.level, "parent_id": r.parent_id},
                "geometry": geometry,
            });
            // Boundaries change once a season at most; a phone may keep them for a day.
            Ok(([(header::CACHE_CONTROL, "private, max-age=86400")], Json(feature)).into_response())
        })
        .await
}

#[derive(Serialize)]
struct Fix {
    lon: f64,
    lat: f64,
    accuracy_m: Option<f64>,
}

#[derive(Serialize)]
struct PhotoJson {
    id: i64,
    alert_id: i64,
    sha256: String,
    bytes: i64,
    content_type: String,
    width: u32,
    height: u32,
    exif_time_raw: Option<String>,
    taken_at: Option<DateTime<Utc>>,
    gps: Option<Fix>,
    device: Option<Fix>,
    distance_km: Option<f64>,
    far: Option<bool>,
    old: Option<bool>,
    /// "far", "old", "no_gps", "no_time": what the county should look at.
    flags: Vec<&'static str>,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
    url: String,
}

impl From<Photo> for PhotoJson {
    fn from(p: Photo) -> Self {
        let i = p.info;
        Self {
            id: p.id,
            alert_id: i.alert_id,
            sha256: i.sha256,
            bytes: i.bytes,
            content_type: i.content_type,
            width: i.width,
            height: i.height,
            exif_time_raw: i.exif_time_raw,
            taken_at: i.taken_at,
            gps: i.gps.map(|(lon, lat)| Fix {
                lon,
                lat,
                accuracy_m: i.gps_accuracy_m,
            }),
            device: i.device.map(|(lon, lat)| Fix {
                lon,
                lat,
                accuracy_m: i.device_accuracy_m,
            }),
            distance_km: i.distance_km.map(|d| (d * 1000.0).round() / 1000.0),
            far: i.far,
            old: i.old,
            flags: photo::flags(i.far, i.old),
            uploaded_by: i.uploaded_by,
            uploaded_at: i.uploaded_at,
            url: format!("/api/v1/photos/{}", p.id),
        }
    }
}

async fn list_photos(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<PhotoJson>>, ApiError> {
    let id = parse_id(&id)?;
    state
        .with_store(move |s| {
            visible_alert(s, &user, id)?;
            Ok(Json(
                s.photos(id)?.into_iter().map(PhotoJson::from).collect(),
            ))
        })
        .await
}

/// The phone's own position at upload, from `?lon=&lat=&acc=`; all optional, but a given value
/// must make sense.
/// (lon, lat) and accuracy in metres of the phone's fix.
type DeviceFix = (Option<(f64, f64)>, Option<f64>);

fn device_fix(query: Option<&str>) -> Result<DeviceFix, ApiError> {
    let (mut lon, mut lat, mut acc) = (None, None, None);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let num = || {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    ApiError::bad_request("bad_query", format!("{k}={v:?} is not a number"))
                })
        };
        match k {
            "lon" => lon = Some(num()?).filter(|x: &f64| x.abs() <= 180.0),
            "lat" => lat = Some(num()?).filter(|x: &f64| x.abs() <= 90.0),
            "acc" => acc = Some(num()?).filter(|x: &f64| *x >= 0.0),
            _ => {
                return Err(ApiError::bad_request(
                    "bad_query",
                    format!("unknown parameter {k:?}; expected lon, lat, acc"),
                ))
            }
        }
    }
    match (lon, lat) {
        (Some(lon), Some(lat)) => Ok((Some((lon, lat)), acc)),
        (None, None) => Ok((None, None)),
        _ => Err(ApiError::bad_request(
            "bad_query",
            "lon and lat go together, each within its range",
        )),
    }
}

/// Where photos are kept: the configured folder, or `photos/` beside the store file.
fn photos_root(config: &PatrolConfig, db_path: Option<&str>) -> Result<PathBuf, ApiError> {
    if let Some(dir) = &config.photos_dir {
        return Ok(dir.clone());
    }
    db_path
        .filter(|p| !p.is_empty())
        .and_then(|p| FsPath::new(p).parent().map(|d| d.join("photos")))
        .ok_or_else(|| {
            ApiError::internal(
                "no photo folder: set [patrol] photos_dir for an in-memory store".into(),
            )
        })
}

/// Writes the photo under its hash (`<alert>/<sha256>.<ext>`) through a temporary file and a
/// rename, so a crash never leaves a half-written photo under the final name. Returns whether
/// the file is new (and so must be removed if its record cannot be stored).
fn write_photo(root: &FsPath, relative: &str, bytes: &[u8]) -> std::io::Result<bool> {
    use std::io::Write;
    let path = root.join(relative);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
        return Ok(false);
    }
    let dir = path.parent().expect("a relative path with a folder");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".upload-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

async fn upload_photo(
    State(state): State<ApiState>,
    Extension(shared): Extension<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let (device, device_accuracy_m) = device_fix(query.as_deref())?;
    // Who and where first, so a refused caller never gets to send megabytes.
    let check_user = user.clone();
    let (alert, db_path) = state
        .with_store(move |s| {
            let alert = actionable_alert(s, &check_user, id)?;
            if alert.state.is_terminal() {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "alert_finished",
                    format!(
                        "alert {id} is {}; it takes no more photos",
                        alert.state.as_str()
                    ),
                ));
            }
            Ok((alert, s.connection().path().map(str::to_owned)))
        })
        .await?;
    let root = photos_root(&shared.config, db_path.as_deref())?;
    let bytes = read_body(&headers, body, shared.config.max_photo_bytes).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "send the photo as the request body",
        ));
    }
    let config = shared.config.clone();
    let uploaded_by = format!("user:{}", user.username);
    // Hashing, EXIF and the file write are blocking work, done outside the store's lock.
    let (record, cleanup) = tokio::task::spawn_blocking(move || {
        let facts = photo::inspect(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not_an_image",
                e.to_string(),
            )
        })?;
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let j = photo::judge(
            &facts,
            &photo::Expect {
                lon: alert.lon,
                lat: alert.lat,
                search_radius_km: alert.search_radius_km,
                first_seen: alert.first_seen,
                far_km: config.far_km,
                old_slack_minutes: config.old_slack_minutes,
            },
        );
        let relative = format!("{}/{}.{}", alert.alert_id, sha, facts.extension);
        let file_is_new = write_photo(&root, &relative, &bytes).map_err(|e| {
            ApiError::internal(format!(
                "cannot store the photo under {}: {e}",
                root.display()
            ))
        })?;
        let record = NewPhoto {
            alert_id: alert.alert_id,
            sha256: sha,
            bytes: bytes.len() as i64,
            content_type: facts.content_type.to_owned(),
            width: facts.width,
            height: facts.height,
            exif_time_raw: facts.exif_time_raw,
            taken_at: facts.taken_at,
            gps: facts.gps,
            gps_accuracy_m: facts.gps_accuracy_m,
            device,
            device_accuracy_m,
            distance_km: j.distance_km,
            far: j.far,
            old: j.old,
            uploaded_by,
            uploaded_at: Utc::now(),
            path: relative,
        };
        // A file this upload created goes again if its record cannot be stored.
        let cleanup = file_is_new.then(|| root.join(&record.path));
        Ok::<_, ApiError>((record, cleanup))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let stored = state.with_store(move |s| Ok(s.add_photo(&record)?)).await;
    match stored {
        Ok((photo, created)) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(PhotoJson::from(photo))).into_response())
        }
        Err(e) => {
            // No record, no file: the upload left nothing behind and can simply be sent again.
            if let Some(path) = cleanup {
                let _ = std::fs::remove_file(path);
            }
            Err(e)
        }
    }
}

async fn photo_file(
    State(state): State<ApiState>,
    Extension(shared): Extension<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let (photo, db_path) = state
        .with_store(move |s| {
            let not_found = || {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("photo {id} not found"),
                )
            };
            let photo = s.photo(id)?.ok_or_else(not_found)?;
            let alert = s.alert(photo.info.alert_id)?;
            if !can_see(&user, &alert) {
                return Err(not_found());
            }
            Ok((photo, s.connection().path().map(str::to_owned)))
        })
        .await?;
    let path = photos_root(&shared.config, db_path.as_deref())?.join(&photo.info.path);
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        ApiError::internal(format!(
            "photo {id} is recorded but its file {} cannot be read: {e}",
            path.display()
        ))
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.info.content_type.clone()),
            // The file is named by its hash and never changes.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
            (header::ETAG, format!("\"{}\"", photo.info.sha256)),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    /// Generated by the phone when the user tapped: 8 to 64 of A–Z a–z 0–9 - _.
    action_id: String,
    to: String,
    outcome: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    burned_area_mu: Option<f64>,
    enforcement_case: Option<String>,
    fine_yuan: Option<f64>,
}

#[derive(Serialize)]
struct ActionResponse {
    action: burnwatch_store::ActionOutcome,
    alert: crate::AlertOut,
}

fn text(field: &str, v: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(ApiError::bad_request(
            "bad_field",
            format!("{field} is longer than {max} characters"),
        )),
        other => Ok(other),
    }
}

fn amount(field: &str, v: Option<f64>, max: f64) -> Result<Option<f64>, ApiError> {
    match v {
        Some(x) if !(x.is_finite() && (0.0..=max).contains(&x)) => Err(ApiError::bad_request(
            "bad_field",
            format!("{field} must be between 0 and {max}, got {x}"),
        )),
        other => Ok(other),
    }
}

/// A state change from the patrol page under the phone's own action id, with the verification's
/// details. Sending the same action again (a queue flushed twice, a retry after a lost answer)
/// returns the stored result with `replayed: true` and changes nothing.
async fn action(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ActionResponse>, ApiError> {
    let id = parse_id(&id)?;
    let b: ActionBody = read_json(&headers, body).await?;
    let id_ok = (8..=64).contains(&b.action_id.len())
        && b.action_id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    if !id_ok {
        return Err(ApiError::bad_request(
            "bad_action_id",
            "action_id must be 8 to 64 of A-Z a-z 0-9 - _",
        ));
    }
    let to = AlertState::parse(&b.to).ok_or_else(|| {
        ApiError::bad_request("bad_state", format!("unknown alert state {:?}", b.to))
    })?;
    let outcome = b
        .outcome
        .as_deref()
        .map(|o| {
            Outcome::parse(o).ok_or_else(|| {
                ApiError::bad_request("bad_outcome", format!("unknown outcome {o:?}"))
            })
        })
        .transpose()?;
    let request = ActionRequest {
        action_id: b.action_id,
        user_id: user.id,
        transition: TransitionRequest {
            alert_id: id,
            to,
            actor: format!("user:{}", user.username),
            at: Utc::now(),
            outcome,
            reason: text("reason", b.reason, 500)?,
            note: text("note", b.note, 2000)?,
        },
        // 100,000 亩 is about 67 km²: no single straw fire is larger.
        burned_area_mu: amount("burned_area_mu", b.burned_area_mu, 100_000.0)?,
        enforcement: Enforcement {
            case_number: text("enforcement_case", b.enforcement_case, 100)?,
            fine_yuan: amount("fine_yuan", b.fine_yuan, 100_000_000.0)?,
        },
    };
    let shown = state.clone();
    state
        .with_store(move |s| {
            actionable_alert(s, &user, id)?;
            let action = s.apply_action(&request)?;
            Ok(Json(ActionResponse {
                action,
                alert: shown.show(s.alert(id)?),
            }))
        })
        .await
}

#[derive(Serialize)]
struct VerificationJson {
    alert_id: i64,
    details: Option<burnwatch_store::VerificationDetails>,
    review_state: Option<burnwatch_store::ReviewState>,
    reviews: Vec<burnwatch_store::Review>,
    photos: Vec<PhotoJson>,
}

async fn verification(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<VerificationJson>, ApiError> {
    let id = parse_id(&id)?;
    state
        .with_store(move |s| {
            visible_alert(s, &user, id)?;
            let v = s.verification(id)?;
            Ok(Json(VerificationJson {
                alert_id: v.alert_id,
                details: v.details,
                review_state: v.review_state,
                reviews: v.reviews,
                photos: v.photos.into_iter().map(PhotoJson::from).collect(),
            }))
        })
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    state: String,
    note: Option<String>,
}

/// The county's review of a verification: approved, has issues, or rejected.
async fn review(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<burnwatch_store::Review>, ApiError> {
    let id = parse_id(&id)?;
    let b: ReviewBody = read_json(&headers, body).await?;
    let review_state = burnwatch_store::ReviewState::parse(&b.state).ok_or_else(|| {
        ApiError::bad_request(
            "bad_review_state",
            format!(
                "unknown review state {:?}; one of approved, has_issues, rejected",
                b.state
            ),
        )
    })?;
    let note = text("note", b.note, 2000)?;
    state
        .with_store(move |s| {
            visible_alert(s, &user, id)?;
            // The team that verified does not review itself; auditors only read.
            if matches!(user.role, Role::Patrol | Role::Auditor) {
                return Err(ApiError::forbidden(
                    "reviews are made by the county or the prefecture",
                ));
            }
            actionable_alert(s, &user, id)?;
            Ok(Json(s.add_review(
                id,
                review_state,
                &format!("user:{}", user.username),
                note.as_deref(),
                Utc::now(),
            )?))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_fragment_describes_every_route() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../openapi-patrol.json")).unwrap();
        for path in [
            "/api/v1/outcomes",
            "/api/v1/alerts/{id}/nav",
            "/api/v1/alerts/{id}/photos",
            "/api/v1/alerts/{id}/actions",
            "/api/v1/alerts/{id}/verification",
            "/api/v1/alerts/{id}/review",
            "/api/v1/photos/{id}",
            "/api/v1/regions/{id}",
            "/api/v1/stream",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is not described");
        }
    }

    #[test]
    fn device_fix_is_optional_but_checked() {
        assert_eq!(device_fix(None).unwrap(), (None, None));
        assert_eq!(
            device_fix(Some("lon=116.5&lat=35.4&acc=12")).unwrap(),
            (Some((116.5, 35.4)), Some(12.0))
        );
        assert_eq!(device_fix(Some("lon=116.5")).unwrap_err().code, "bad_query");
        assert_eq!(
            device_fix(Some("lon=999&lat=35")).unwrap_err().code,
            "bad_query"
        );
        assert_eq!(
            device_fix(Some("lon=x&lat=35")).unwrap_err().code,
            "bad_query"
        );
        assert_eq!(device_fix(Some("speed=3")).unwrap_err().code, "bad_query");
    }

    #[tokio::test]
    async fn bodies_are_cut_off_at_the_limit_declared_or_not() {
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, "11".parse().unwrap());
        let e = read_body(&declared, Body::from(vec![0u8; 11]), 10)
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
        // A chunked upload states no length: it is counted as it arrives.
        let chunks = futures_util::stream::iter(
            (0..4).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![1u8; 4]))),
        );
        let e = read_body(&HeaderMap::new(), Body::from_stream(chunks), 10)
            .await
            .unwrap_err();
        assert_eq!(e.code, "payload_too_large");
        let ok = read_body(&HeaderMap::new(), Body::from(vec![7u8; 10]), 10)
            .await
            .unwrap();
        assert_eq!(ok.len(), 10);
        let bad: Result<serde_json::Value, _> =
            read_json(&HeaderMap::new(), Body::from("{\"to\": ")).await;
        assert_eq!(bad.unwrap_err().code, "bad_json");
    }

    #[test]
    fn photos_are_written_whole_under_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_photo(dir.path(), "3/abc.jpg", b"one").unwrap());
        assert!(!write_photo(dir.path(), "3/abc.jpg", b"one").unwrap());
        assert_eq!(std::fs::read(dir.path().join("3/abc.jpg")).unwrap(), b"one");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("3"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
        let cfg = PatrolConfig::default();
        assert_eq!(
            photos_root(&cfg, Some("/x/var/bw.sqlite")).unwrap(),
            PathBuf::from("/x/var/photos")
        );
        assert!(photos_root(&cfg, Some("")).is_err());
    }
}
