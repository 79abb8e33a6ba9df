//! The HTTP API under `/api/v1`: who is asking (bearer token), what they may see (scoped on the
//! server from their role and region, whatever the request says), and the alert actions. Errors
//! are JSON `{code, message}`. The description is served at `/api/v1/openapi.json`.

pub mod auth;
mod filters_api;
pub mod patrol;
mod stats_api;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use burnwatch_core::{AlertState, Outcome};
use burnwatch_store::{
    AlertFilter, AlertView, Role, SqliteStore, Store, StoreError, TransitionRequest, User,
    UserStore,
};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Read connections for the API: a few more than cores, since requests also wait on I/O.
const CONNECTIONS: usize = 4;

/// How long a login lasts: a patrol shift and then some.
const TOKEN_HOURS: i64 = 16;

#[derive(Clone)]
pub struct ApiState {
    /// The API's own connections; SQLite in WAL mode lets them read side by side while the
    /// worker writes. Requests take them in turn.
    /// Idle connections; a request holds a permit while it uses one, so no more blocking
    /// threads run store work than there are connections (more would only queue on locks and
    /// crowd the two cores, which shows as tail latency).
    stores: Arc<Mutex<Vec<Pooled>>>,
    permits: Arc<tokio::sync::Semaphore>,
    /// Moves on whenever anything may have been written to the store (by the worker, the CLI
    /// or this server), so a cached answer is served only while the data it came from holds.
    epoch: Arc<AtomicU64>,
    /// Serialised queue listings by (who sees what, state filter), with the epoch they were
    /// read at. A patrol's page polls its queue; between changes it is answered from here.
    queues: Arc<Mutex<HashMap<QueueKey, (u64, axum::body::Bytes)>>>,
    patrol: burnwatch_core::patrol_config::PatrolConfig,
    db_path: std::path::PathBuf,
    reports: Arc<burnwatch_core::reports_config::ReportsConfig>,
    /// Deadlines and seasons: the statistics' periods and each alert's next deadline.
    schedule: Arc<burnwatch_core::schedule::Schedule>,
    /// Lifting a suppression routes the detection again, which needs the pipeline; the daemon
    /// lends one (this crate does not link the pipeline). Absent: lifting answers 503.
    release: Option<Arc<dyn Release>>,
}

/// Who sees what ("patrol:{township}", "county:{id}", "all") and the state asked for.
type QueueKey = (String, Option<AlertState>);

/// A pooled connection and the last `PRAGMA data_version` it saw: the pragma changes when
/// another connection (another process included) commits, which is how the cache learns of
/// the worker's writes without polling.
struct Pooled {
    store: SqliteStore,
    data_version: i64,
}

/// Releases a held-back detection so it flows on as if never filtered (see
/// `burnwatch_pipeline::Pipeline::lift_suppression`).
pub trait Release: Send + Sync {
    fn lift(
        &self,
        detection_id: i64,
        actor: &str,
        note: Option<&str>,
    ) -> Result<burnwatch_store::LiftOutcome, LiftError>;
}

#[derive(Debug, thiserror::Error)]
pub enum LiftError {
    #[error(transparent)]
    Store(#[from] burnwatch_store::SourceStoreError),
    #[error("{0}")]
    Pipeline(String),
}

impl ApiState {
    pub fn open(config: &burnwatch_core::Config) -> Result<Self, StoreError> {
        Ok(Self {
            stores: Arc::new(Mutex::new(
                (0..CONNECTIONS)
                    .map(|_| {
                        SqliteStore::open(&config.store.path).map(|store| Pooled {
                            store,
                            data_version: -1,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            permits: Arc::new(tokio::sync::Semaphore::new(CONNECTIONS)),
            epoch: Arc::new(AtomicU64::new(0)),
            queues: Arc::new(Mutex::new(HashMap::new())),
            patrol: config.patrol.clone(),
            db_path: config.store.path.clone(),
            reports: Arc::new(config.reports.clone()),
            schedule: Arc::new(config.schedule()),
            release: None,
        })
    }

    /// Runs blocking store work off the async threads. Around it, the epoch moves on when this
    /// connection sees another's commit or makes a change itself.
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SqliteStore) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.with_store_epoch(move |s, _| f(s)).await
    }

    /// As [`Self::with_store`], also handing the closure the epoch its reads belong to.
    async fn with_store_epoch<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SqliteStore, u64) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let stores = self.stores.clone();
        let epoch = self.epoch.clone();
        // Everything after the permit happens on the blocking thread, which puts the connection
        // back before it lets the permit go: a request whose client hangs up (its future is
        // dropped at the await below) must not take a connection with it.
        tokio::task::spawn_blocking(move || {
            let mut pooled = stores
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop()
                .expect("an idle connection for every permit");
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let version: i64 = pooled
                    .store
                    .connection()
                    .query_row("PRAGMA data_version", [], |r| r.get(0))
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                if version != pooled.data_version {
                    pooled.data_version = version;
                    epoch.fetch_add(1, Ordering::SeqCst);
                }
                let changes = pooled.store.connection().total_changes();
                let result = f(&mut pooled.store, epoch.load(Ordering::SeqCst));
                if pooled.store.connection().total_changes() != changes {
                    epoch.fetch_add(1, Ordering::SeqCst);
                }
                result
            }))
            .unwrap_or_else(|_| {
                Err(ApiError::internal(
                    "the request's store work panicked".into(),
                ))
            });
            stores
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(pooled);
            drop(permit);
            result
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
    }

    /// Long reads (a season's statistics, an export being downloaded) run on a connection of
    /// their own: one slow client must not hold one of the pool's few connections, which every
    /// token check and queue listing takes in turn.
    async fn with_own_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SqliteStore) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let path = self.db_path.clone();
        tokio::task::spawn_blocking(move || f(&SqliteStore::open(&path)?))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
    }

    /// Lets duty officers lift suppressions through the API.
    pub fn with_release(mut self, release: Arc<dyn Release>) -> Self {
        self.release = Some(release);
        self
    }
}

pub fn router(state: ApiState) -> Router {
    let patrol = patrol::routes(&state.patrol);
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/login", post(login))
        .route("/api/v1/me", get(me))
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/{id}", get(get_alert))
        .route("/api/v1/alerts/{id}/history", get(history))
        .route("/api/v1/alerts/{id}/transitions", post(transition))
        .merge(patrol)
        .merge(filters_api::routes())
        .merge(stats_api::routes())
        .with_state(state)
}

#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    /// A request the server cannot take as it is: 400 with its own code.
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// The caller's role may not do this: 403.
    fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn internal(message: String) -> Self {
        tracing::error!(%message, "API internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    fn not_found(id: i64) -> Self {
        // The same answer for "does not exist" and "not yours": a patrol learns nothing about
        // other townships' alerts.
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("alert {id} not found"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchAlert(id) => Self::not_found(id),
            StoreError::Transition(t) => {
                Self::new(StatusCode::CONFLICT, "illegal_transition", t.to_string())
            }
            other => Self::internal(other.to_string()),
        }
    }
}

/// The caller, from `Authorization: Bearer …`.
pub struct Caller(pub User);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in first")
            })?;
        let hash = auth::token_hash(token);
        state
            .with_store(move |s| Ok(s.user_by_token(&hash, Utc::now())?))
            .await?
            .map(Caller)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "the token is unknown or expired",
                )
            })
    }
}

/// Query parameters, with a malformed one answered as a JSON `{code, message}` 400 like every
/// other error (axum's own rejection is plain text).
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))
    }
}

/// An alert as the API shows it: the stored view and the next field step it owes, with that
/// step's deadline under the deadlines of the day it was raised (`[deadlines]`, `[[seasons]]`).
/// The deadline is a fixed time, so the phone can tell "overdue" itself, offline too.
#[derive(Debug, Serialize)]
pub struct AlertOut {
    #[serde(flatten)]
    pub alert: AlertView,
    pub deadline_step: Option<&'static str>,
    pub deadline_at: Option<chrono::DateTime<Utc>>,
}

impl ApiState {
    pub(crate) fn show(&self, alert: AlertView) -> AlertOut {
        let due = self
            .schedule
            .deadlines_for(alert.first_seen)
            .next_due(alert.state, alert.created_at);
        AlertOut {
            deadline_step: due.map(|(step, _)| step.as_str()),
            deadline_at: due.map(|(_, at)| at),
            alert,
        }
    }
}

/// Whether `user` may see `alert`.
pub fn can_see(user: &User, alert: &AlertView) -> bool {
    let region = user.region_id.as_deref();
    match user.role {
        Role::Patrol => {
            alert.region_id.as_deref() == region
                || alert.neighbours.iter().any(|n| Some(n.as_str()) == region)
        }
        Role::CountySupervisor => alert.county_id.as_deref() == region,
        Role::DutyOfficer | Role::Auditor | Role::Admin => true,
    }
}

/// Whether `user` may move `alert` to another state. A neighbouring township sees a border fire
/// but the owner acts on it; auditors only read.
pub fn can_act(user: &User, alert: &AlertView) -> bool {
    match user.role {
        Role::Patrol => alert.region_id.is_some() && alert.region_id == user.region_id,
        Role::CountySupervisor => alert.county_id.is_some() && alert.county_id == user.region_id,
        Role::DutyOfficer | Role::Admin => true,
        Role::Auditor => false,
    }
}

/// The description: the core API with the patrol/console and the reports fragments, merged once.
fn openapi_document() -> &'static serde_json::Value {
    static DOC: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| {
        let mut doc: serde_json::Value =
            serde_json::from_str(include_str!("../openapi.json")).expect("openapi.json is JSON");
        let fragments = [
            include_str!("../openapi-patrol.json"),
            include_str!("../openapi-reports.json"),
        ];
        for fragment in fragments {
            let fragment: serde_json::Value =
                serde_json::from_str(fragment).expect("an openapi fragment is JSON");
            for (section, path) in [
                ("paths", &["paths"][..]),
                ("schemas", &["components", "schemas"][..]),
            ] {
                let from = path.iter().fold(&fragment, |v, k| &v[*k]);
                let into = path.iter().fold(&mut doc, |v, k| &mut v[*k]);
                if let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) {
                    into.extend(from.clone());
                } else {
                    tracing::warn!(section, "openapi fragment section missing");
                }
            }
        }
        doc
    });
    &DOC
}

async fn openapi() -> impl IntoResponse {
    Json(openapi_document())
}

/// Parses a JSON body into `T`, answering 400 `{code, message}` instead of axum's plain text.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the request body is not the expected JSON: {e}"),
        )
    })
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct LoginResponse {
    token: String,
    expires_at: chrono::DateTime<Utc>,
    user: User,
}

async fn login(
    State(state): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<Json<LoginResponse>, ApiError> {
    let req: LoginRequest = json_body(&body)?;
    state
        .with_store(move |s| {
            let refused = || {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "bad_credentials",
                    "wrong user name or password",
                )
            };
            let user = s.user_by_name(&req.username)?.ok_or_else(refused)?;
            if user.disabled || !auth::verify_password(&req.password, &user.password_hash) {
                return Err(refused());
            }
            let (token, hash) = auth::new_token();
            let expires_at = Utc::now() + Duration::hours(TOKEN_HOURS);
            s.add_token(&hash, user.id, expires_at)?;
            Ok(Json(LoginResponse {
                token,
                expires_at,
                user,
            }))
        })
        .await
}

async fn me(Caller(user): Caller) -> Json<User> {
    Json(user)
}

#[derive(Deserialize)]
struct AlertQuery {
    state: Option<String>,
}

fn parse_state(s: &str) -> Result<AlertState, ApiError> {
    AlertState::parse(s).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_state",
            format!("unknown alert state {s:?}"),
        )
    })
}

async fn list_alerts(
    State(state): State<ApiState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Result<Response, ApiError> {
    let wanted = q.state.as_deref().map(parse_state).transpose()?;
    // Narrow in SQL by the caller's own region, then check every row with the same rule the
    // single-alert endpoints use. What a caller sees depends only on role and region, so that
    // is the cache key.
    let region = match user.role {
        Role::Patrol | Role::CountySupervisor => user.region_id.clone(),
        _ => None,
    };
    let scope = match user.role {
        Role::Patrol => format!("patrol:{}", region.as_deref().unwrap_or("")),
        Role::CountySupervisor => format!("county:{}", region.as_deref().unwrap_or("")),
        Role::DutyOfficer | Role::Auditor | Role::Admin => "all".to_owned(),
    };
    let key = (scope, wanted);
    let queues = state.queues.clone();
    let shown = state.clone();
    let body = state
        .with_store_epoch(move |s, epoch| {
            if let Some((at, body)) = queues.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
                if *at == epoch {
                    return Ok(body.clone());
                }
            }
            let alerts = s.alerts(&AlertFilter {
                region,
                state: wanted,
            })?;
            let visible: Vec<AlertOut> = alerts
                .into_iter()
                .filter(|a| can_see(&user, a))
                .map(|a| shown.show(a))
                .collect();
            let body = axum::body::Bytes::from(
                serde_json::to_vec(&visible).map_err(|e| ApiError::internal(e.to_string()))?,
            );
            let mut queues = queues.lock().unwrap_or_else(|e| e.into_inner());
            // A stale entry is replaced; the map holds one entry per township at most.
            queues.insert(key, (epoch, body.clone()));
            Ok(body)
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn get_alert(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<i64>,
) -> Result<Json<AlertOut>, ApiError> {
    let shown = state.clone();
    state
        .with_store(move |s| {
            let alert = s.alert(id)?;
            if !can_see(&user, &alert) {
                return Err(ApiError::not_found(id));
            }
            Ok(Json(shown.show(alert)))
        })
        .await
}

async fn history(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<burnwatch_store::TransitionRow>>, ApiError> {
    state
        .with_store(move |s| {
            if !can_see(&user, &s.alert(id)?) {
                return Err(ApiError::not_found(id));
            }
            Ok(Json(s.alert_history(id)?))
        })
        .await
}

#[derive(Deserialize)]
struct TransitionBody {
    to: String,
    outcome: Option<String>,
    reason: Option<String>,
    note: Option<String>,
}

async fn transition(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(id): Path<i64>,
    raw: axum::body::Bytes,
) -> Result<Json<AlertOut>, ApiError> {
    let body: TransitionBody = json_body(&raw)?;
    let to = parse_state(&body.to)?;
    let outcome = body
        .outcome
        .as_deref()
        .map(|o| {
            Outcome::parse(o).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_outcome",
                    format!("unknown outcome {o:?}"),
                )
            })
        })
        .transpose()?;
    let shown = state.clone();
    state
        .with_store(move |s| {
            let alert = s.alert(id)?;
            if !can_see(&user, &alert) {
                return Err(ApiError::not_found(id));
            }
            if !can_act(&user, &alert) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "your role cannot change this alert",
                ));
            }
            Ok(Json(shown.show(s.transition_alert(
                &TransitionRequest {
                    alert_id: id,
                    to,
                    actor: format!("user:{}", user.username),
                    at: Utc::now(),
                    outcome,
                    reason: body.reason,
                    note: body.note,
                },
            )?)))
        })
        .await
}
