//! Field-level parsing shared by the text formats. Every function returns the row-error message
//! (naming the column and the offending value) rather than a typed error: the caller attaches
//! the line number, and the message is what an operator reads.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use std::borrow::Cow;

/// A value quoted for a message: bounded and escaped, so a huge or binary field cannot turn
/// into a huge or unprintable message.
pub(crate) fn show(s: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut out: String = s.chars().take(MAX_CHARS).collect();
    if s.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

pub(crate) fn number(col: &str, s: &str) -> Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("{col} is empty"));
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("{col} {} is not a finite number", show(t))),
        Err(_) => Err(format!("{col} {} is not a number", show(t))),
    }
}

/// An optional numeric column: empty means "not given".
pub(crate) fn opt_number(col: &str, s: &str) -> Result<Option<f64>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        number(col, s).map(Some)
    }
}

pub(crate) fn latitude(col: &str, s: &str) -> Result<f64, String> {
    let v = number(col, s)?;
    if (-90.0..=90.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{col} {} is out of range -90..90", show(s.trim())))
    }
}

pub(crate) fn longitude(col: &str, s: &str) -> Result<f64, String> {
    let v = number(col, s)?;
    if (-180.0..=180.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{col} {} is out of range -180..180",
            show(s.trim())
        ))
    }
}

/// A pixel size or area: finite and not negative.
pub(crate) fn size(col: &str, s: &str) -> Result<f64, String> {
    let v = number(col, s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{col} {} is negative", show(s.trim())))
    }
}

pub(crate) fn opt_size(col: &str, s: &str) -> Result<Option<f64>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        size(col, s).map(Some)
    }
}

pub(crate) fn integer(col: &str, s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("{col} is empty"));
    }
    t.parse::<i64>()
        .map_err(|_| format!("{col} {} is not an integer", show(t)))
}

/// HHMM in UTC with leading zeros possibly dropped ("46" = 00:46, "5" = 00:05); "HH:MM" is
/// accepted too because spreadsheets re-save times that way.
pub(crate) fn hhmm(col: &str, s: &str) -> Result<NaiveTime, String> {
    let t = s.trim();
    let bad = || format!("{col} {} is not an HHMM time", show(t));
    let (h, m) = if let Some((h, m)) = t.split_once(':') {
        if !(1..=2).contains(&h.len()) || m.len() != 2 {
            return Err(bad());
        }
        (digits(h).ok_or_else(bad)?, digits(m).ok_or_else(bad)?)
    } else {
        if !(1..=4).contains(&t.len()) {
            return Err(bad());
        }
        let v = digits(t).ok_or_else(bad)?;
        (v / 100, v % 100)
    };
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// Only ASCII digits: `str::parse` would also take a sign.
fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn ymd(col: &str, s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    let ok = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    ok.then(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| format!("{col} {} is not a YYYY-MM-DD date", show(t)))
}

pub(crate) fn utc(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    date.and_time(time).and_utc()
}

/// MODIS platforms, FIRMS spellings.
pub(crate) fn modis_platform(s: &str) -> Option<&'static str> {
    match squash(s).as_str() {
        "A" | "AQUA" | "EOSPM" => Some("Aqua"),
        "T" | "TERRA" | "EOSAM" => Some("Terra"),
        _ => None,
    }
}

/// VIIRS platforms in the spellings FIRMS, CSPP, NetCDF attributes and file names use. The
/// numeric codes are the JPSS numbers ("1" = JPSS-1 = NOAA-20), as in older FIRMS NOAA-20 files.
pub(crate) fn viirs_platform(s: &str) -> Option<&'static str> {
    match squash(s).as_str() {
        "N" | "NPP" | "SNPP" | "SUOMINPP" | "NPPOPS" | "VNP" => Some("Suomi NPP"),
        "N20" | "NOAA20" | "J1" | "J01" | "JPSS1" | "1" | "VJ1" => Some("NOAA-20"),
        "N21" | "NOAA21" | "J2" | "J02" | "JPSS2" | "2" | "VJ2" => Some("NOAA-21"),
        _ => None,
    }
}

/// Upper-case without spaces, hyphens and underscores: "Suomi-NPP", "SUOMI NPP", "suomi_npp"
/// are one platform.
fn squash(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Splits one CSV line. Fields are trimmed. Double-quoted fields (as spreadsheets re-save them)
/// are unquoted; a quoted field cannot span lines in a product file.
pub(crate) fn split_csv<'a>(line: &'a str, out: &mut Vec<Cow<'a, str>>) -> Result<(), String> {
    out.clear();
    if !line.contains('"') {
        out.extend(line.split(',').map(|f| Cow::Borrowed(f.trim())));
        return Ok(());
    }
    let mut rest = line;
    loop {
        let t = rest.trim_start();
        if let Some(q) = t.strip_prefix('"') {
            let mut val = String::new();
            let mut end = None;
            let mut chars = q.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c != '"' {
                    val.push(c);
                } else if chars.peek().map(|&(_, c)| c) == Some('"') {
                    val.push('"');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            }
            let end = end.ok_or("unterminated quoted field")?;
            out.push(Cow::Owned(val.trim().to_owned()));
            let after = q[end..].trim_start();
            if after.is_empty() {
                return Ok(());
            }
            rest = after
                .strip_prefix(',')
                .ok_or("text after the closing quote of a field")?;
        } else if let Some(i) = t.find(',') {
            out.push(Cow::Borrowed(t[..i].trim()));
            rest = &t[i + 1..];
        } else {
            out.push(Cow::Borrowed(t.trim()));
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hhmm_accepts_dropped_leading_zeros() {
        let t = |s| hhmm("acq_time", s).map(|t| t.format("%H:%M").to_string());
        assert_eq!(t("46").unwrap(), "00:46");
        assert_eq!(t("5").unwrap(), "00:05");
        assert_eq!(t("0046").unwrap(), "00:46");
        assert_eq!(t("1302").unwrap(), "13:02");
        assert_eq!(t("13:02").unwrap(), "13:02");
        for bad in [
            "", "2400", "0960", "12345", "+123", "-5", "1a", "1:5", "NaN",
        ] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_must_be_finite_and_in_range() {
        assert!(number("frp", "NaN").unwrap_err().contains("frp \"NaN\""));
        assert!(number("frp", "inf").is_err());
        assert!(latitude("latitude", "90.0001").is_err());
        assert!(longitude("longitude", "-180.5").is_err());
        assert_eq!(latitude("latitude", " -8.5 ").unwrap(), -8.5);
        assert_eq!(opt_number("frp", "").unwrap(), None);
    }

    #[test]
    fn dates_are_strict() {
        assert!(ymd("acq_date", "2025-11-18").is_ok());
        for bad in [
            "2025-13-01",
            "2025-02-30",
            "2025/11/18",
            "25-11-18",
            "+2025-11-1",
        ] {
            assert!(ymd("acq_date", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn platforms_normalise() {
        assert_eq!(viirs_platform("Suomi NPP"), Some("Suomi NPP"));
        assert_eq!(viirs_platform("noaa-20"), Some("NOAA-20"));
        assert_eq!(viirs_platform("1"), Some("NOAA-20"));
        assert_eq!(viirs_platform("N21"), Some("NOAA-21"));
        assert_eq!(viirs_platform("A"), None);
        assert_eq!(modis_platform("aqua"), Some("Aqua"));
        assert_eq!(modis_platform("T"), Some("Terra"));
    }

    #[test]
    fn csv_split_handles_quotes() {
        let mut v = Vec::new();
        split_csv(" a , b,,c", &mut v).unwrap();
        assert_eq!(v, ["a", "b", "", "c"]);
        split_csv("\"a,1\", \"say \"\"hi\"\"\" ,x,", &mut v).unwrap();
        assert_eq!(v, ["a,1", "say \"hi\"", "x", ""]);
        assert!(split_csv("\"open,x", &mut v).is_err());
        assert!(split_csv("\"a\"b,x", &mut v).is_err());
        let long = "x".repeat(100);
        assert_eq!(show(&long).chars().count(), 43);
    }
}
