use std::path::PathBuf;

/// Why a whole file was rejected. Row-level problems are [`crate::RowError`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("empty file: no data at all")]
    Empty,
    #[error("not UTF-8 text: {detail}")]
    NotUtf8 { detail: String },
    #[error("binary data, not a text product: {detail}")]
    Binary { detail: String },
    #[error("unknown format: {reason}")]
    UnknownFormat { reason: String },
    #[error("wrong header: {reason}")]
    WrongHeader { reason: String },
    #[error("line {line} is longer than {limit} bytes: not a product file, or a corrupt one")]
    LineTooLong { line: usize, limit: usize },
    #[error("malformed file: {reason}")]
    Malformed { reason: String },
    #[error("NetCDF (GDAL): {reason}")]
    Netcdf { reason: String },
    #[error("unsupported: {reason}")]
    Unsupported { reason: String },
}

impl IngestError {
    /// A stable short name for the failure class, for metrics and quarantine folders.
    pub fn kind(&self) -> &'static str {
        match self {
            IngestError::Io { .. } => "io",
            IngestError::Empty => "empty",
            IngestError::NotUtf8 { .. } => "not_utf8",
            IngestError::Binary { .. } => "binary",
            IngestError::UnknownFormat { .. } => "unknown_format",
            IngestError::WrongHeader { .. } => "wrong_header",
            IngestError::LineTooLong { .. } => "line_too_long",
            IngestError::Malformed { .. } => "malformed",
            IngestError::Netcdf { .. } => "netcdf",
            IngestError::Unsupported { .. } => "unsupported",
        }
    }
}
