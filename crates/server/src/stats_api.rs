//! The agriculture bureau's figures over HTTP: statistics (`/api/v1/stats`), the daily bulletin
//! (`/api/v1/bulletin`), exports (`/api/v1/exports/{what}`) and the seasons they can name
//! (`/api/v1/seasons`). The figures themselves are burnwatch-stats', the very functions the CLI
//! calls, so a number on the console page and in `burnwatch stats` cannot differ.
//!
//! Who reads: auditors, duty officers and admins everything; a county supervisor its own county
//! (and its townships) only, whatever region the request names. The bulletin covers the whole
//! prefecture, so county supervisors do not get it. Patrols get 403: their page is the queue.

use crate::{ApiError, ApiQuery, ApiState, Caller};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use burnwatch_stats::{
    bulletin, compute, export, render_bulletin_html, render_stats, BulletinRequest, ExportFormat,
    ExportKind, ExportRequest, GroupBy, Lang, PeriodSpec, StatsError, StatsFormat, StatsRequest,
};
use burnwatch_store::{Role, User, VerificationStore};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use tokio::sync::mpsc;

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/seasons", get(seasons))
        .route("/api/v1/bulletin", get(daily_bulletin))
        .route("/api/v1/exports/{what}", get(exports))
}

impl From<StatsError> for ApiError {
    fn from(e: StatsError) -> Self {
        match &e {
            StatsError::UnknownRegion(_) => {
                Self::new(StatusCode::NOT_FOUND, "unknown_region", e.to_string())
            }
            StatsError::UndefinedSeason { .. } => {
                Self::new(StatusCode::BAD_REQUEST, "undefined_season", e.to_string())
            }
            _ if e.is_bad_request() => {
                Self::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string())
            }
            _ => Self::internal(e.to_string()),
        }
    }
}

fn date(name: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(
            "bad_date",
            format!("{name}={s:?} is not a date like 2025-06-10"),
        )
    })
}

fn lang(s: Option<&str>) -> Result<Lang, ApiError> {
    s.map_or(Ok(Lang::Zh), |s| {
        Lang::parse(s)
            .ok_or_else(|| ApiError::bad_request("bad_lang", format!("lang={s:?}: zh or en")))
    })
}

/// The region the caller may ask figures for: a county supervisor is held to its county, a
/// township of it, or (asking for nothing) the county itself.
fn scoped_region(
    user: &User,
    asked: Option<String>,
    store: &burnwatch_store::SqliteStore,
) -> Result<Option<String>, ApiError> {
    match user.role {
        Role::Patrol => Err(ApiError::forbidden(
            "statistics are for county supervisors, duty officers, auditors and admins",
        )),
        Role::CountySupervisor => {
            let county = user.region_id.clone().ok_or_else(|| {
                ApiError::forbidden("this county supervisor account has no county")
            })?;
            let Some(asked) = asked else {
                return Ok(Some(county));
            };
            if asked == county {
                return Ok(Some(asked));
            }
            let within = store
                .region(&asked)
                .map_err(|e| ApiError::internal(e.to_string()))?
                .is_some_and(|r| r.parent_id.as_deref() == Some(county.as_str()));
            if within {
                Ok(Some(asked))
            } else {
                Err(ApiError::forbidden("that region is outside your county"))
            }
        }
        Role::DutyOfficer | Role::Auditor | Role::Admin => Ok(asked),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    season: Option<String>,
    year: Option<i32>,
    by: Option<String>,
    region: Option<String>,
    format: Option<String>,
    lang: Option<String>,
    as_of: Option<String>,
    compare: Option<bool>,
}

fn period(q: &StatsQuery) -> Result<PeriodSpec, ApiError> {
    match (&q.season, &q.from, &q.to) {
        (Some(name), None, None) => Ok(PeriodSpec::season(name, q.year)),
        (None, Some(from), Some(to)) => Ok(PeriodSpec::dates(date("from", from)?, date("to", to)?)),
        (Some(_), _, _) => Err(ApiError::bad_request(
            "bad_period",
            "give either season (and year) or from and to, not both",
        )),
        _ => Err(ApiError::bad_request(
            "bad_period",
            "give from and to (YYYY-MM-DD), or season",
        )),
    }
}

async fn stats(
    State(state): State<ApiState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Response, ApiError> {
    let spec = period(&q)?;
    let by = match q.by.as_deref() {
        None => GroupBy::County,
        Some(b) => GroupBy::parse(b).ok_or_else(|| {
            ApiError::bad_request(
                "bad_group",
                format!("by={b:?}: prefecture, county or township"),
            )
        })?,
    };
    let format = match q.format.as_deref() {
        None => StatsFormat::Json,
        Some(f) => StatsFormat::parse(f).ok_or_else(|| {
            ApiError::bad_request(
                "bad_format",
                format!("format={f:?}: json, csv, xlsx or table"),
            )
        })?,
    };
    let lang = lang(q.lang.as_deref())?;
    let as_of = q
        .as_of
        .as_deref()
        .map(|s| {
            DateTime::parse_from_rfc3339(s.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::bad_request(
                        "bad_time",
                        format!("as_of={s:?} is not an RFC 3339 time"),
                    )
                })
        })
        .transpose()?;
    let reports = state.reports.clone();
    let schedule = state.schedule.clone();
    let (bytes, name) = state
        .with_own_store(move |s| {
            let mut request = StatsRequest::new(spec, by);
            request.region = scoped_region(&user, q.region, s)?;
            request.as_of = as_of;
            request.compare_previous_year = q.compare.unwrap_or(true);
            let report = compute(s.connection(), &reports, &schedule, &request)?;
            let name = format!(
                "burnwatch-stats-{}-{}",
                report.period.from.format("%Y%m%d"),
                report.period.to.format("%Y%m%d")
            );
            Ok((render_stats(&report, format, lang)?, name))
        })
        .await?;
    let (content_type, ext) = match format {
        StatsFormat::Json => ("application/json", None),
        StatsFormat::Table => ("text/plain; charset=utf-8", None),
        StatsFormat::Csv => ("text/csv; charset=utf-8", Some("csv")),
        StatsFormat::Xlsx => (XLSX, Some("xlsx")),
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if let Some(ext) = ext {
        attach(&mut response, &format!("{name}.{ext}"));
    }
    Ok(response)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Marks a response as a download; the names are ASCII, so no RFC 5987 encoding is needed.
fn attach(response: &mut Response, file_name: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
}

#[derive(Serialize)]
struct SeasonView {
    name: String,
    year: i32,
    start: NaiveDate,
    end: NaiveDate,
}

/// The named seasons, newest first, for the console's period picker.
async fn seasons(
    State(state): State<ApiState>,
    Caller(user): Caller,
) -> Result<Json<Vec<SeasonView>>, ApiError> {
    if user.role == Role::Patrol {
        return Err(ApiError::forbidden(
            "statistics are for county supervisors, duty officers, auditors and admins",
        ));
    }
    let mut list: Vec<SeasonView> = state
        .schedule
        .seasons
        .iter()
        .map(|s| SeasonView {
            name: s.name.clone(),
            year: s.year(),
            start: s.start,
            end: s.end,
        })
        .collect();
    list.sort_by_key(|s| std::cmp::Reverse(s.start));
    Ok(Json(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulletinQuery {
    date: String,
    lang: Option<String>,
}

/// The printable page, as `burnwatch bulletin` writes it (the PDF stays with the CLI: printing
/// needs a browser process, which a request should not start).
async fn daily_bulletin(
    State(state): State<ApiState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<BulletinQuery>,
) -> Result<Response, ApiError> {
    if !matches!(user.role, Role::DutyOfficer | Role::Auditor | Role::Admin) {
        return Err(ApiError::forbidden(
            "the bulletin covers the whole prefecture: duty officers, auditors and admins",
        ));
    }
    let day = date("date", &q.date)?;
    let lang = lang(q.lang.as_deref())?;
    let reports = state.reports.clone();
    let schedule = state.schedule.clone();
    let html = state
        .with_own_store(move |s| {
            let b = bulletin(
                s.connection(),
                &reports,
                &schedule,
                &BulletinRequest {
                    date: day,
                    as_of: None,
                },
            )?;
            Ok(render_bulletin_html(&b, lang))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    format: Option<String>,
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
    lang: Option<String>,
}

/// What the export thread hands the response: bytes, the error that stopped it, or the end.
enum Piece {
    Bytes(Bytes),
    Failed(ApiError),
    Done,
}

/// Streams an export as it is written: a season's detections can be hundreds of megabytes, and
/// holding them in memory per request would let a few downloads exhaust the server. (XLSX is the
/// exception: a zip's directory comes last, so the workbook is assembled whole and sent at the
/// end.)
struct ChannelWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Piece>,
}

const CHUNK: usize = 64 * 1024;
/// A client that stops reading without going away gives up its export after this long, so it
/// cannot pin a thread and a read snapshot (which keeps SQLite's log from being trimmed).
const STALL: std::time::Duration = std::time::Duration::from_secs(120);

impl ChannelWriter {
    fn push(&self, mut piece: Piece) -> std::io::Result<()> {
        let started = std::time::Instant::now();
        loop {
            match self.tx.try_send(piece) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::BrokenPipe,
                        "the client went away",
                    ))
                }
                Err(mpsc::error::TrySendError::Full(p)) if started.elapsed() < STALL => {
                    piece = p;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client stopped reading",
                    ))
                }
            }
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let bytes = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.push(Piece::Bytes(bytes))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Chunks leave at CHUNK size or at the end; a writer's flush mid-way is not a reason to
        // send a tiny frame.
        Ok(())
    }
}

async fn exports(
    State(state): State<ApiState>,
    Caller(user): Caller,
    Path(what): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let kind = ExportKind::parse(&what).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no export {what:?}: detections, events, alerts or verifications"),
        )
    })?;
    let format = match q.format.as_deref() {
        None => ExportFormat::Csv,
        Some(f) => ExportFormat::parse(f).ok_or_else(|| {
            ApiError::bad_request(
                "bad_format",
                format!("format={f:?}: csv, xlsx, geojson or kml"),
            )
        })?,
    };
    let from = q.from.as_deref().map(|s| date("from", s)).transpose()?;
    let to = q.to.as_deref().map(|s| date("to", s)).transpose()?;
    let lang = lang(q.lang.as_deref())?;
    let reports = state.reports.clone();
    let (tx, mut rx) = mpsc::channel::<Piece>(4);
    let failed = tx.clone();
    let job = async move {
        state
            .with_own_store(move |s| {
                let region = match scoped_region(&user, q.region, s) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.blocking_send(Piece::Failed(e));
                        return Ok(());
                    }
                };
                let request = ExportRequest {
                    what: kind,
                    format,
                    from,
                    to,
                    region,
                    lang,
                };
                let mut out = ChannelWriter {
                    buf: Vec::with_capacity(CHUNK),
                    tx,
                };
                let result = export(s.connection(), &reports, &request, &mut out).and_then(|_| {
                    out.send()?;
                    out.push(Piece::Done)?;
                    Ok(())
                });
                if let Err(e) = result {
                    // Before the first byte this becomes the response; later the stream is cut, so the
                    // client sees a failed download rather than a silently short file.
                    tracing::warn!(error = %e, "export stopped");
                    let _ = out.push(Piece::Failed(e.into()));
                }
                Ok(())
            })
            .await
    };
    tokio::spawn(async move {
        // The store could not be opened, or the export thread panicked: say so, never end the
        // download as if it were complete.
        if let Err(e) = job.await {
            let _ = failed.send(Piece::Failed(e)).await;
        }
    });
    let first = match rx.recv().await {
        Some(Piece::Failed(e)) => return Err(e),
        Some(Piece::Bytes(b)) => Some(b),
        Some(Piece::Done) => None,
        None => return Err(ApiError::internal("the export ended without a word".into())),
    };
    let finished = first.is_none();
    let rest = futures_util::stream::unfold((rx, finished), |(mut rx, finished)| async move {
        if finished {
            return None;
        }
        match rx.recv().await {
            Some(Piece::Bytes(b)) => Some((Ok::<Bytes, std::io::Error>(b), (rx, false))),
            Some(Piece::Done) => None,
            Some(Piece::Failed(e)) => Some((Err(std::io::Error::other(e.message)), (rx, true))),
            None => Some((
                Err(std::io::Error::other("the export stopped before its end")),
                (rx, true),
            )),
        }
    });
    let head = futures_util::stream::iter(first.map(Ok::<Bytes, std::io::Error>));
    let body = Body::from_stream(futures_util::StreamExt::chain(head, rest));
    let (content_type, ext) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (XLSX, "xlsx"),
        ExportFormat::Geojson => ("application/geo+json", "geojson"),
        ExportFormat::Kml => ("application/vnd.google-earth.kml+xml", "kml"),
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let span = match (from, to) {
        (Some(f), Some(t)) => format!("-{}-{}", f.format("%Y%m%d"), t.format("%Y%m%d")),
        (Some(f), None) => format!("-from-{}", f.format("%Y%m%d")),
        (None, Some(t)) => format!("-to-{}", t.format("%Y%m%d")),
        (None, None) => String::new(),
    };
    attach(&mut response, &format!("burnwatch-{what}{span}.{ext}"));
    Ok(response)
}
