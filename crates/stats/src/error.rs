use chrono::NaiveDate;
use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StatsError {
    #[error("the range is empty: {from} is after {to}")]
    EmptyRange { from: NaiveDate, to: NaiveDate },
    #[error("season {name:?}{} is not defined in [[seasons]]; defined: {}",
        year.map(|y| format!(" of {y}")).unwrap_or_default(),
        if defined.is_empty() { "none".to_owned() } else { defined.join(", ") })]
    UndefinedSeason {
        name: String,
        year: Option<i32>,
        defined: Vec<String>,
    },
    #[error("unknown region {0:?}: no county or township with this id in the store (were the boundaries loaded by an ingest?)")]
    UnknownRegion(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("unexpected value in the store: {0}")]
    Value(#[from] rusqlite::types::FromSqlError),
    #[error("corrupt value in {column}: {value:?}")]
    Corrupt { column: &'static str, value: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("XLSX error: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("chromium failed: {0}")]
    Chromium(String),
}

impl StatsError {
    /// True when the request itself is wrong (an HTTP handler answers 400, the CLI exits with
    /// the message); false for failures of the machine or the data.
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            StatsError::EmptyRange { .. }
                | StatsError::UndefinedSeason { .. }
                | StatsError::UnknownRegion(_)
                | StatsError::BadRequest(_)
        )
    }
}
