//! The agriculture bureau's side of burnwatch: audit statistics for a date range or a named
//! season ([`compute`]), the daily bulletin ([`bulletin()`]), and exports of detections, events,
//! alerts and verifications ([`export()`]).
//!
//! Everything here only reads the store, through plain SQL on one connection
//! ([`burnwatch_store::SqliteStore::connection`]), and returns plain data or bytes, so the CLI, the
//! tests and an HTTP handler call the very same functions:
//!
//! ```no_run
//! # fn handler(conn: &rusqlite::Connection, config: &burnwatch_core::Config)
//! # -> Result<Vec<u8>, burnwatch_stats::StatsError> {
//! use burnwatch_stats::{compute, render_stats, GroupBy, Lang, PeriodSpec, StatsFormat, StatsRequest};
//! let request = StatsRequest::new(PeriodSpec::season("三夏", Some(2025)), GroupBy::County);
//! let schedule = config.schedule(); // [deadlines] and [[seasons]], shared with the notifier
//! let report = compute(conn, &config.reports, &schedule, &request)?; // a bad request is `is_bad_request()`: HTTP 400
//! render_stats(&report, StatsFormat::Json, Lang::Zh) // or Csv / Xlsx bytes for a download
//! # }
//! ```
//!
//! Definitions (stated in every output as well):
//! - a *period* is a span of local (Asia/Shanghai) dates, both ends included; a detection belongs
//!   to it by its pass time, an event and its alert by the fire's first sighting;
//! - a *fire point* (火点) is a satellite detection inside a township that no filter held back and
//!   that the cropland mask did not class as not straw — the figure provinces rank by; points
//!   under cloud are not observed and so never counted;
//! - an alert *reaches* received, on scene or verified when the patrol records that state or any
//!   later field state (a team already out may skip steps); response times run from the alert,
//!   and each alert is held to the deadlines of its fire's first day (`[deadlines]` with that
//!   day's season's overrides — the very deadlines the notifier escalates by);
//! - cancelled alerts are counted but neither judged against deadlines nor listed as unverified.

pub mod bulletin;
mod bulletin_html;
pub mod chromium;
pub mod compute;
mod error;
pub mod export;
pub mod labels;
mod map;
pub mod period;
pub mod render;
mod sheet;
mod time;

pub use bulletin::{bulletin, render_bulletin_html, Bulletin, BulletinPoint, BulletinRequest};
pub use compute::{
    burned_area_from_note, compute, AlertCounts, DailyCount, DetectionCounts, FirstFire, GroupBy,
    Headline, RegionRef, RegionStats, Response, StatsReport, StatsRequest, UnverifiedAlert,
};
pub use error::StatsError;
pub use export::{export, ExportFormat, ExportKind, ExportRequest, ExportSummary};
pub use labels::Lang;
pub use period::{Period, PeriodSpec};
pub use render::{render_stats, StatsFormat};
pub use time::{local_date_of, local_time, utc_bounds};
