//! JAXA Himawari-8/9 L2 WLF (wildfire) CSV: two `#` header lines, the second naming the columns
//! `ID,Year,Month,Day,Time(UTC),Lat,Lon,Area(km^2),Volcano,Level,Reliability,FRP,QF,Hot(ID)`.
//!
//! Confidence mapping (ours; the product has no FIRMS-style class): QF 2 ("low confidence")
//! forces Low; otherwise Reliability 5 → High, 3 → Nominal, 1 → Low. QF 1 (saturated) keeps the
//! reliability class: saturation means a hot fire, not a doubtful one.
//! FRP is taken as MW (the header's `FRP(Wm^-2)` label notwithstanding: the values are of
//! pixel-FRP magnitude). The footprint is the square root of the reported pixel area.

use crate::fields::{self, show};
use crate::lines::LineReader;
use crate::{IngestError, ParsedFile, ProductFormat, RowError};
use burnwatch_core::{ConfidenceClass, Detection, Instrument, SourceKind};
use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

/// The documented column order, used when a file has lost its column-name line.
const DEFAULT_NAMES: [&str; 14] = [
    "id",
    "year",
    "month",
    "day",
    "time",
    "lat",
    "lon",
    "area",
    "volcano",
    "level",
    "reliability",
    "frp",
    "qf",
    "hot",
];

struct Columns {
    count: usize,
    year: usize,
    month: usize,
    day: usize,
    time: usize,
    lat: usize,
    lon: usize,
    area: usize,
    volcano: usize,
    reliability: usize,
    frp: usize,
    qf: usize,
}

/// Column names without their unit suffix: "FRP(Wm^-2)" → "frp", "Time(UTC)" → "time".
pub(crate) fn header_names(line: &str) -> Vec<String> {
    line.split(',')
        .map(|f| {
            let f = f.trim().trim_matches('"');
            let f = f.split('(').next().unwrap_or(f);
            f.trim().to_ascii_lowercase()
        })
        .collect()
}

pub(crate) fn is_header(names: &[String]) -> bool {
    ["year", "month", "day", "lat", "lon", "reliability"]
        .iter()
        .all(|n| names.iter().any(|x| x == n))
}

fn columns<S: AsRef<str>>(names: &[S]) -> Result<Columns, IngestError> {
    let find = |n: &str| {
        names
            .iter()
            .position(|x| x.as_ref() == n)
            .ok_or_else(|| IngestError::WrongHeader {
                reason: format!("Himawari WLF header lacks column {n}"),
            })
    };
    Ok(Columns {
        count: names.len(),
        year: find("year")?,
        month: find("month")?,
        day: find("day")?,
        time: find("time")?,
        lat: find("lat")?,
        lon: find("lon")?,
        area: find("area")?,
        volcano: find("volcano")?,
        reliability: find("reliability")?,
        frp: find("frp")?,
        qf: find("qf")?,
    })
}

/// "H09_20251209_1900_L2WLF010_…" → Himawari-9. The rows do not say which satellite.
pub(crate) fn satellite_from_name(path: &Path) -> &'static str {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_uppercase())
        .unwrap_or_default();
    let has =
        |code: &str| name.starts_with(&format!("{code}_")) || name.contains(&format!("_{code}_"));
    if has("H09") {
        "Himawari-9"
    } else if has("H08") {
        "Himawari-8"
    } else {
        "Himawari"
    }
}

pub(crate) fn parse<R: BufRead>(
    path: &Path,
    lines: &mut LineReader<R>,
) -> Result<ParsedFile, IngestError> {
    let satellite = satellite_from_name(path);
    let mut out = ParsedFile {
        format: ProductFormat::HimawariWlfCsv,
        rows_read: 0,
        detections: Vec::new(),
        rejected: Vec::new(),
    };
    let mut cols: Option<Columns> = None;
    while let Some(line) = lines.next_line()? {
        let Some(text) = line.text else {
            if cols.is_none() {
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
        if let Some(comment) = trimmed.strip_prefix('#').filter(|_| out.rows_read == 0) {
            let names = header_names(comment);
            if cols.is_none() && is_header(&names) {
                cols = Some(columns(&names)?);
            }
            continue;
        }
        let c = match &cols {
            Some(c) => c,
            None => {
                let names = header_names(trimmed);
                if is_header(&names) {
                    cols = Some(columns(&names)?);
                    continue;
                }
                cols.insert(columns(&DEFAULT_NAMES)?)
            }
        };
        out.rows_read += 1;
        let mut fields: Vec<Cow<str>> = Vec::with_capacity(16);
        let row = fields::split_csv(text, &mut fields).and_then(|()| row(c, &fields, satellite));
        match row {
            Ok(d) => out.detections.push(d),
            Err(message) => out.rejected.push(RowError {
                line: line.no,
                message,
            }),
        }
    }
    Ok(out)
}

fn row(c: &Columns, f: &[Cow<str>], satellite: &str) -> Result<Detection, String> {
    if f.len() != c.count {
        return Err(format!(
            "expected {} fields, found {}{}",
            c.count,
            f.len(),
            if f.len() < c.count {
                " (truncated row?)"
            } else {
                ""
            }
        ));
    }
    let get = |i: usize| f[i].as_ref();
    let lat = fields::latitude("Lat", get(c.lat))?;
    let lon = fields::longitude("Lon", get(c.lon))?;
    let (y, m, d) = (
        fields::integer("Year", get(c.year))?,
        fields::integer("Month", get(c.month))?,
        fields::integer("Day", get(c.day))?,
    );
    let date = i32::try_from(y)
        .ok()
        .zip(u32::try_from(m).ok())
        .zip(u32::try_from(d).ok())
        .and_then(|((y, m), d)| chrono::NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| format!("Year/Month/Day {y}-{m}-{d} is not a date"))?;
    let time = fields::hhmm("Time(UTC)", get(c.time))?;
    let area = fields::size("Area(km^2)", get(c.area))?;
    if area <= 0.0 {
        return Err(format!("Area(km^2) {} is not positive", show(get(c.area))));
    }
    let frp = fields::number("FRP", get(c.frp))?;
    let volcano = match fields::integer("Volcano", get(c.volcano))? {
        0 => None,
        1 => Some(1),
        v => return Err(format!("Volcano {v} is not 0/1")),
    };
    let reliability = fields::integer("Reliability", get(c.reliability))?;
    let qf = fields::integer("QF", get(c.qf))?;
    if !(0..=2).contains(&qf) {
        return Err(format!("QF {qf} is not 0/1/2"));
    }
    let by_reliability = match reliability {
        5 => ConfidenceClass::High,
        3 => ConfidenceClass::Nominal,
        1 => ConfidenceClass::Low,
        r => return Err(format!("Reliability {r} is not 1/3/5")),
    };
    let confidence = if qf == 2 {
        ConfidenceClass::Low
    } else {
        by_reliability
    };
    let side = area.sqrt();
    Ok(Detection {
        source: SourceKind::HimawariWlf,
        instrument: Instrument::Ahi,
        satellite: satellite.to_owned(),
        acq_time: fields::utc(date, time),
        lon,
        lat,
        frp_mw: Some(frp),
        confidence,
        confidence_raw: Some(format!("reliability={reliability};qf={qf}")),
        day_night: None,
        scan_km: Some(side),
        track_km: Some(side),
        firms_type: volcano,
        bright_t4_k: None,
        bright_t11_k: None,
    })
}
