//! CSPP direct-broadcast active fires, `AFIMG_*.txt`: a `#` comment header, then rows of
//! lat, lon, I4 BT (K), along-scan km, along-track km, confidence 7/8/9, FRP (MW).
//!
//! The rows carry neither time nor platform; both come from the granule name, first from the
//! `# source: AFIMG_j01_d20210414_t1126439_…` header line, else from the file's own name. The
//! granule start time is used for every pixel (a granule lasts ~85 s), truncated to the second.

use crate::fields::{self, show};
use crate::lines::LineReader;
use crate::{IngestError, ParsedFile, ProductFormat, RowError};
use burnwatch_core::{ConfidenceClass, Detection, Instrument, SourceKind};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use std::io::BufRead;
use std::path::Path;

const FIELDS: usize = 7;

/// Platform and start time found in a CSPP granule name
/// (`AFIMG_<platform>_d<YYYYMMDD>_t<HHMMSSs>_e…`). Either may be missing.
pub(crate) fn granule_info(s: &str) -> (Option<&'static str>, Option<DateTime<Utc>>) {
    let mut platform = None;
    let mut date = None;
    let mut time = None;
    for tok in s.split(|c: char| c == '_' || c == '.' || c == '/' || c.is_whitespace()) {
        let digits_after = |prefix: char, lens: &[usize]| {
            tok.strip_prefix(prefix)
                .filter(|d| lens.contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
        };
        if platform.is_none() && matches!(tok.to_ascii_lowercase().as_str(), "npp" | "j01" | "j02")
        {
            platform = fields::viirs_platform(tok);
        } else if date.is_none() {
            date =
                digits_after('d', &[8]).and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
        } else if time.is_none() {
            // HHMMSS plus an optional tenth of a second, which is dropped.
            time = digits_after('t', &[6, 7])
                .and_then(|t| NaiveTime::parse_from_str(&t[..6], "%H%M%S").ok());
        }
    }
    (platform, date.zip(time).map(|(d, t)| fields::utc(d, t)))
}

struct Granule {
    platform: &'static str,
    start: DateTime<Utc>,
}

fn resolve(
    header: (Option<&'static str>, Option<DateTime<Utc>>),
    path: &Path,
) -> Result<Granule, IngestError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let from_name = granule_info(&name);
    let start = header.1.or(from_name.1).ok_or_else(|| IngestError::Malformed {
        reason: format!(
            "CSPP AFIMG file has no acquisition time: neither a '# source: AFIMG_<platform>_dYYYYMMDD_tHHMMSSs_…' header line nor such a file name ({})",
            show(&name)
        ),
    })?;
    let platform = header.0.or(from_name.0).ok_or_else(|| IngestError::Malformed {
        reason: "CSPP AFIMG file does not name its platform (npp/j01/j02) in the source line or file name".into(),
    })?;
    Ok(Granule { platform, start })
}

pub(crate) fn parse<R: BufRead>(
    path: &Path,
    lines: &mut LineReader<R>,
) -> Result<ParsedFile, IngestError> {
    let mut out = ParsedFile {
        format: ProductFormat::CsppAfimgText,
        rows_read: 0,
        detections: Vec::new(),
        rejected: Vec::new(),
    };
    let mut header = (None, None);
    let mut granule: Option<Granule> = None;
    while let Some(line) = lines.next_line()? {
        let Some(text) = line.text else {
            if granule.is_none() {
                return Err(IngestError::NotUtf8 {
                    detail: format!("header line {} has invalid UTF-8 bytes", line.no),
                });
            }
            out.rows_read += 1;
            out.rejected.push(RowError {
                line: line.no,
                message: "not UTF-8 text".into(),
            });
            continue;
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        // Comments only head the file: a '#' among the rows is a damaged row, reported.
        if let Some(comment) = trimmed.strip_prefix('#').filter(|_| granule.is_none()) {
            let comment = comment.trim();
            // `get` rather than slicing: the comment may hold non-ASCII text.
            let source = comment
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("source:"))
                .and_then(|_| comment.get(7..));
            if let (None, Some(source)) = (&granule, source) {
                header = granule_info(source);
            }
            continue;
        }
        if granule.is_none() {
            granule = Some(resolve(header, path)?);
        }
        let Some(g) = &granule else { continue };
        out.rows_read += 1;
        match row(trimmed, g) {
            Ok(d) => out.detections.push(d),
            Err(message) => out.rejected.push(RowError {
                line: line.no,
                message,
            }),
        }
    }
    if granule.is_none() {
        // A header-only file is a valid empty granule, but it still has to say when it was.
        resolve(header, path)?;
    }
    Ok(out)
}

fn row(line: &str, g: &Granule) -> Result<Detection, String> {
    // Real files are comma-separated and space-padded; tolerate plain whitespace separation.
    let f: Vec<&str> = if line.contains(',') {
        line.split(',').map(str::trim).collect()
    } else {
        line.split_whitespace().collect()
    };
    if f.len() != FIELDS {
        return Err(format!(
            "expected {FIELDS} fields (lat, lon, I4 BT, along-scan, along-track, confidence, FRP), found {}",
            f.len()
        ));
    }
    let lat = fields::latitude("latitude", f[0])?;
    let lon = fields::longitude("longitude", f[1])?;
    let bt = fields::number("I4 brightness temperature", f[2])?;
    let scan = fields::size("along-scan resolution", f[3])?;
    let track = fields::size("along-track resolution", f[4])?;
    let class = fields::integer("confidence", f[5])?;
    let confidence = ConfidenceClass::from_mask_class(class)
        .ok_or_else(|| format!("confidence {} is not 7/8/9", show(f[5])))?;
    let frp = fields::number("FRP", f[6])?;
    Ok(Detection {
        source: SourceKind::CsppAfimg,
        instrument: Instrument::Viirs,
        satellite: g.platform.to_owned(),
        acq_time: g.start,
        lon,
        lat,
        frp_mw: Some(frp),
        confidence,
        confidence_raw: Some(f[5].to_owned()),
        day_night: None,
        scan_km: Some(scan),
        track_km: Some(track),
        firms_type: None,
        bright_t4_k: Some(bt),
        bright_t11_k: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granule_names_give_platform_and_time() {
        let (p, t) = granule_info(
            " AFIMG_j01_d20210414_t1126439_e1128084_b17637_c20210414114130392094_cspp_dev.nc",
        );
        assert_eq!(p, Some("NOAA-20"));
        assert_eq!(t.unwrap().to_rfc3339(), "2021-04-14T11:26:43+00:00");
        let (p, t) = granule_info("AFIMG_npp_d20251118_t0512001_e0513243.txt");
        assert_eq!(p, Some("Suomi NPP"));
        assert!(t.is_some());
        assert_eq!(granule_info("AFIMG_j02_d20251318_t0512001").1, None);
        assert_eq!(granule_info("fires.txt"), (None, None));
    }
}
