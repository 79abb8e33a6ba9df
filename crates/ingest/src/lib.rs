//! Parses satellite fire-point product files into normalised [`Detection`]s.
//!
//! Formats: NASA FIRMS CSV (MODIS and VIIRS, every column variant), JAXA Himawari L2 WLF CSV,
//! CSPP direct-broadcast AFIMG text, and VIIRS VNP14IMG/VJ114IMG NetCDF (read through GDAL's
//! multidimensional API). The format is recognised by content; the file name is only a hint
//! where the content is ambiguous, or where the product keeps facts in the name (CSPP time,
//! Himawari satellite).
//!
//! Two levels of failure, so that one bad pixel never costs a whole pass and a bad file never
//! passes as an empty one:
//! - a bad row becomes a [`RowError`] (1-based physical line) and the good rows go through;
//! - a file that is not a product at all (wrong header, binary, not UTF-8, HTML error page, empty,
//!   a line over [`MAX_LINE_BYTES`], nothing parseable) is an [`IngestError`].
//!
//! Nothing here panics on any input.

mod cspp;
mod error;
mod fields;
mod firms;
mod himawari;
mod lines;
mod netcdf;
mod sniff;

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

pub use burnwatch_core::{ConfidenceClass, DayNight, Detection, Instrument, SourceKind};
pub use error::IngestError;
pub use lines::MAX_LINE_BYTES;
pub use netcdf::{on_netcdf_thread, write_vnp14img_netcdf, Vnp14imgFire};
pub use sniff::sniff;

/// A product file format this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductFormat {
    FirmsModisCsv,
    FirmsViirsCsv,
    HimawariWlfCsv,
    CsppAfimgText,
    Vnp14imgNetcdf,
    /// A raw granule (brightness temperatures): detected by `burnwatch-detect`, not parsed here.
    Granule,
}

impl ProductFormat {
    pub const ALL: [ProductFormat; 6] = [
        ProductFormat::FirmsModisCsv,
        ProductFormat::FirmsViirsCsv,
        ProductFormat::HimawariWlfCsv,
        ProductFormat::CsppAfimgText,
        ProductFormat::Vnp14imgNetcdf,
        ProductFormat::Granule,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductFormat::FirmsModisCsv => "firms_modis_csv",
            ProductFormat::FirmsViirsCsv => "firms_viirs_csv",
            ProductFormat::HimawariWlfCsv => "himawari_wlf_csv",
            ProductFormat::CsppAfimgText => "cspp_afimg_text",
            ProductFormat::Vnp14imgNetcdf => "vnp14img_netcdf",
            ProductFormat::Granule => "granule",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The [`SourceKind`] its detections carry.
    pub fn source_kind(self) -> SourceKind {
        match self {
            ProductFormat::FirmsModisCsv => SourceKind::FirmsModis,
            ProductFormat::FirmsViirsCsv => SourceKind::FirmsViirs,
            ProductFormat::HimawariWlfCsv => SourceKind::HimawariWlf,
            ProductFormat::CsppAfimgText => SourceKind::CsppAfimg,
            ProductFormat::Vnp14imgNetcdf => SourceKind::Vnp14img,
            ProductFormat::Granule => SourceKind::Granule,
        }
    }
}

impl std::fmt::Display for ProductFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rejected row. For NetCDF, `line` is the 1-based index of the fire pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based physical line number in the file (blank and comment lines count).
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The outcome of parsing one file that was recognised as a product.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    pub format: ProductFormat,
    /// Data rows seen (header, comment and blank lines excluded) = detections + rejected.
    pub rows_read: usize,
    pub detections: Vec<Detection>,
    pub rejected: Vec<RowError>,
}

/// Parses a product file of any supported format.
pub fn parse_file(path: &Path) -> Result<ParsedFile, IngestError> {
    let io_err = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    // The head is one byte longer than the longest allowed line, so `sniff` can tell a first
    // line that is too long from one that is merely long.
    let mut head = Vec::with_capacity(sniff::HEAD_BYTES);
    file.by_ref()
        .take(sniff::HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    let format = sniff(path, &head)?;
    if format == ProductFormat::Vnp14imgNetcdf {
        drop(file);
        return netcdf::parse(path).and_then(check_something_parsed);
    }
    // Stream the rest, so a huge file is never held in memory twice and a huge line is
    // refused after MAX_LINE_BYTES, not after reading it all.
    let reader = BufReader::with_capacity(64 * 1024, Cursor::new(head).chain(file));
    parse_text(format, path, reader)
}

/// Parses a text product held in memory; `name` is its file name (used as a hint and for the
/// CSPP acquisition time / Himawari satellite). NetCDF needs a real file: use [`parse_file`].
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Result<ParsedFile, IngestError> {
    let path = Path::new(name);
    let head = &bytes[..bytes.len().min(sniff::HEAD_BYTES)];
    let format = sniff(path, head)?;
    if format == ProductFormat::Vnp14imgNetcdf {
        return Err(IngestError::Unsupported {
            reason: "NetCDF is read through GDAL and needs a file path: use parse_file".into(),
        });
    }
    parse_text(format, path, bytes)
}

fn parse_text<R: std::io::BufRead>(
    format: ProductFormat,
    path: &Path,
    reader: R,
) -> Result<ParsedFile, IngestError> {
    let mut lines = lines::LineReader::new(reader, path);
    let parsed = match format {
        ProductFormat::FirmsModisCsv | ProductFormat::FirmsViirsCsv => {
            firms::parse(format, &mut lines)?
        }
        ProductFormat::HimawariWlfCsv => himawari::parse(path, &mut lines)?,
        ProductFormat::CsppAfimgText => cspp::parse(path, &mut lines)?,
        ProductFormat::Vnp14imgNetcdf | ProductFormat::Granule => {
            return Err(IngestError::Unsupported {
                reason: format!("{format} is not a text format"),
            })
        }
    };
    check_something_parsed(parsed)
}

/// A file whose every data row is bad is not "a file with bad rows" but a file we do not
/// understand (truncated structure, shifted columns, wrong product): reject it as a whole so it
/// is quarantined rather than silently yielding nothing.
fn check_something_parsed(parsed: ParsedFile) -> Result<ParsedFile, IngestError> {
    if parsed.rows_read > 0 && parsed.detections.is_empty() {
        let first = parsed
            .rejected
            .first()
            .map(|e| e.to_string())
            .unwrap_or_default();
        return Err(IngestError::Malformed {
            reason: format!(
                "none of the {} data rows could be parsed (first: {first})",
                parsed.rows_read
            ),
        });
    }
    Ok(parsed)
}
