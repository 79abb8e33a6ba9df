//! NASA FIRMS CSV, MODIS and VIIRS. Header-driven: FIRMS has shipped these columns in several
//! orders and with optional `type`, `instrument` and `version`, so nothing assumes a position.

use crate::fields::{self, show};
use crate::lines::LineReader;
use crate::{IngestError, ParsedFile, ProductFormat, RowError};
use burnwatch_core::{ConfidenceClass, DayNight, Detection, Instrument};
use std::borrow::Cow;
use std::io::BufRead;

/// Column positions found in the header.
struct Columns {
    count: usize,
    lat: usize,
    lon: usize,
    bright_t4: usize,
    bright_t11: Option<usize>,
    scan: Option<usize>,
    track: Option<usize>,
    date: usize,
    time: usize,
    satellite: usize,
    confidence: usize,
    frp: Option<usize>,
    daynight: Option<usize>,
    firms_type: Option<usize>,
    instrument: Option<usize>,
}

/// Normalised header names: trimmed, lower-case, unquoted.
pub(crate) fn header_names(line: &str) -> Result<Vec<String>, String> {
    let mut raw = Vec::new();
    fields::split_csv(line, &mut raw)?;
    Ok(raw.iter().map(|f| f.trim().to_ascii_lowercase()).collect())
}

/// Which FIRMS flavour a header is, or why it is not a usable FIRMS header.
pub(crate) fn classify_header(names: &[String]) -> Result<ProductFormat, String> {
    let has = |n: &str| names.iter().any(|x| x == n);
    match (has("brightness"), has("bright_ti4")) {
        (true, false) => Ok(ProductFormat::FirmsModisCsv),
        (false, true) => Ok(ProductFormat::FirmsViirsCsv),
        (true, true) => Err("has both brightness (MODIS) and bright_ti4 (VIIRS)".into()),
        (false, false) => Err(
            "has latitude/longitude but neither brightness (MODIS) nor bright_ti4 (VIIRS)".into(),
        ),
    }
}

fn columns(format: ProductFormat, names: &[String]) -> Result<Columns, IngestError> {
    let wrong = |reason: String| IngestError::WrongHeader { reason };
    let found = classify_header(names).map_err(|r| wrong(format!("FIRMS header {r}")))?;
    if found != format {
        return Err(wrong(format!(
            "header is {} but the file was taken for {}",
            found.as_str(),
            format.as_str()
        )));
    }
    for (i, n) in names.iter().enumerate() {
        if !n.is_empty() && names[..i].contains(n) {
            return Err(wrong(format!("column {} appears twice", show(n))));
        }
    }
    let find = |n: &str| names.iter().position(|x| x == n);
    let need = |n: &str| find(n).ok_or_else(|| wrong(format!("FIRMS header lacks column {n}")));
    let (t4, t11) = match format {
        ProductFormat::FirmsModisCsv => ("brightness", "bright_t31"),
        _ => ("bright_ti4", "bright_ti5"),
    };
    Ok(Columns {
        count: names.len(),
        lat: need("latitude")?,
        lon: need("longitude")?,
        bright_t4: need(t4)?,
        bright_t11: find(t11),
        scan: find("scan"),
        track: find("track"),
        date: need("acq_date")?,
        time: need("acq_time")?,
        satellite: need("satellite")?,
        confidence: need("confidence")?,
        frp: find("frp"),
        daynight: find("daynight"),
        firms_type: find("type"),
        instrument: find("instrument"),
    })
}

pub(crate) fn parse<R: BufRead>(
    format: ProductFormat,
    lines: &mut LineReader<R>,
) -> Result<ParsedFile, IngestError> {
    let mut out = ParsedFile {
        format,
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
        // FIRMS has no comments; tolerate them above the header only, so a damaged row that
        // happens to start with '#' is reported rather than silently dropped.
        if trimmed.is_empty() || (cols.is_none() && trimmed.starts_with('#')) {
            continue;
        }
        let Some(c) = &cols else {
            let names = header_names(text).map_err(|r| IngestError::WrongHeader { reason: r })?;
            cols = Some(columns(format, &names)?);
            continue;
        };
        out.rows_read += 1;
        let mut fields: Vec<Cow<str>> = Vec::with_capacity(16);
        let row = fields::split_csv(text, &mut fields).and_then(|()| row(format, c, &fields));
        match row {
            Ok(d) => out.detections.push(d),
            Err(message) => out.rejected.push(RowError {
                line: line.no,
                message,
            }),
        }
    }
    if cols.is_none() {
        return Err(IngestError::WrongHeader {
            reason: "no FIRMS header line".into(),
        });
    }
    Ok(out)
}

fn row(format: ProductFormat, c: &Columns, f: &[Cow<str>]) -> Result<Detection, String> {
    if f.len() != c.count {
        return Err(format!(
            "expected {} fields as in the header, found {}{}",
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
    let opt = |i: Option<usize>| i.map(get).unwrap_or("");
    let modis = format == ProductFormat::FirmsModisCsv;
    let (instrument, t4_name, t11_name) = if modis {
        (Instrument::Modis, "brightness", "bright_t31")
    } else {
        (Instrument::Viirs, "bright_ti4", "bright_ti5")
    };

    let lat = fields::latitude("latitude", get(c.lat))?;
    let lon = fields::longitude("longitude", get(c.lon))?;
    let date = fields::ymd("acq_date", get(c.date))?;
    let time = fields::hhmm("acq_time", get(c.time))?;

    let sat_raw = get(c.satellite);
    let satellite = if modis {
        fields::modis_platform(sat_raw)
    } else {
        fields::viirs_platform(sat_raw)
    }
    .ok_or_else(|| {
        format!(
            "satellite {} is not a {} platform",
            show(sat_raw),
            instrument.as_str()
        )
    })?;

    if let Some(i) = c.instrument {
        let v = get(i);
        if !v.is_empty() && !v.eq_ignore_ascii_case(instrument.as_str()) {
            return Err(format!(
                "instrument {} in a {} file",
                show(v),
                instrument.as_str()
            ));
        }
    }

    let conf_raw = get(c.confidence);
    let confidence = if modis {
        let p = fields::number("confidence", conf_raw)?;
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("confidence {} is not 0-100", show(conf_raw)));
        }
        ConfidenceClass::from_percent(p)
    } else {
        match conf_raw.to_ascii_lowercase().as_str() {
            "l" | "low" => ConfidenceClass::Low,
            "n" | "nominal" => ConfidenceClass::Nominal,
            "h" | "high" => ConfidenceClass::High,
            _ => {
                return Err(format!(
                    "confidence {} is not l/n/h or low/nominal/high",
                    show(conf_raw)
                ))
            }
        }
    };

    let day_night = match opt(c.daynight) {
        "" => None,
        v => Some(DayNight::parse(v).ok_or_else(|| format!("daynight {} is not D/N", show(v)))?),
    };
    let firms_type = match opt(c.firms_type) {
        "" => None,
        v => Some(
            v.parse::<u8>()
                .ok()
                .filter(|t| *t <= 3)
                .ok_or_else(|| format!("type {} is not 0-3", show(v)))?,
        ),
    };

    Ok(Detection {
        source: format.source_kind(),
        instrument,
        satellite: satellite.to_owned(),
        acq_time: fields::utc(date, time),
        lon,
        lat,
        frp_mw: fields::opt_number("frp", opt(c.frp))?,
        confidence,
        confidence_raw: Some(conf_raw.to_owned()),
        day_night,
        scan_km: fields::opt_size("scan", opt(c.scan))?,
        track_km: fields::opt_size("track", opt(c.track))?,
        firms_type,
        bright_t4_k: Some(fields::number(t4_name, get(c.bright_t4))?),
        bright_t11_k: fields::opt_number(t11_name, opt(c.bright_t11))?,
    })
}
