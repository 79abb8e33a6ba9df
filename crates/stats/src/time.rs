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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_day_starts_at_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 10).unwrap();
        let (a, b) = utc_bounds(d, d);
        assert_eq!(store_text(a), "2025-06-09T16:00:00Z");
        assert_eq!(store_text(b), "2025-06-10T16:00:00Z");
        assert_eq!(local_date_of(b), NaiveDate::from_ymd_opt(2025, 6, 11).unwrap());
        assert_eq!(local_time(a), "2025-06-10 00:00");
    }
}
