//! Stored times are UTC RFC 3339 text; people read Asia/Shanghai (UTC+8, no daylight saving).

use crate::StatsError;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// `[start, end)` in UTC covering the local dates `from..=to`.
pub fn utc_bounds(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| {
        cst()
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .single()
            .expect("a fixed offset has no gaps")
            .with_timezone(&Utc)
    };
    let next = to.succ_opt().unwrap_or(to);
    (midnight(from), midnight(next))
}

/// The local calendar date of a UTC instant.
pub fn local_date_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cst()).date_naive()
}

/// "2025-06-10 14:32" in Asia/Shanghai.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&cst()).format("%Y-%m-%d %H:%M").to_string()
}

/// The store's text form, so bounds compare with stored values as text.
pub(crate) fn store_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) fn parse_stored(column: &'static str, s: &str) -> Result<DateTime<Utc>, StatsError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StatsError::Corrupt {
            column,
            value: s.to_owned(),
        })
}

/// Seconds since the epoch of a stored time. The store writes one fixed form, read here
/// without a general parser (a season has hundreds of thousands of them); anything else still
/// goes through RFC 3339.
pub(crate) fn epoch(column: &'static str, s: &str) -> Result<i64, StatsError> {
    let b = s.as_bytes();
    let fixed = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as i64)
        })
    };
    let quick = || -> Option<i64> {
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
    };
    match fixed.then(quick).flatten() {
        Some(t) => Ok(t),
        None => parse_stored(column, s).map(|t| t.timestamp()),
    }
}

pub(crate) fn utc_from(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_day_starts_at_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 10).unwrap();
        let (a, b) = utc_bounds(d, d);
        assert_eq!(store_text(a), "2025-06-09T16:00:00Z");
        assert_eq!(store_text(b), "2025-06-10T16:00:00Z");
        assert_eq!(
            local_date_of(b),
            NaiveDate::from_ymd_opt(2025, 6, 11).unwrap()
        );
        assert_eq!(local_time(a), "2025-06-10 00:00");
    }

    #[test]
    fn the_quick_reader_agrees_with_chrono() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2025-06-09T16:00:00Z",
            "2100-03-01T12:34:56Z",
            "1999-12-31T23:59:60Z",
        ] {
            let want = DateTime::parse_from_rfc3339(s).unwrap().timestamp();
            assert_eq!(epoch("t", s).unwrap(), want, "{s}");
        }
        assert_eq!(
            epoch("t", "2025-06-10T08:00:00+08:00").unwrap(),
            epoch("t", "2025-06-10T00:00:00Z").unwrap()
        );
        assert!(epoch("t", "2025-13-10T00:00:00Z").is_err());
    }
}
