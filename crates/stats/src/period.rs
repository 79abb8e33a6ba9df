//! The span a report covers: explicit local dates or a named season from `[reports.seasons]`.

use crate::StatsError;
use burnwatch_core::Seasons;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

/// What the caller asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum PeriodSpec {
    /// Local dates, both included.
    Dates { from: NaiveDate, to: NaiveDate },
    /// A named season; without a year, the latest one of that name.
    Season { name: String, year: Option<i32> },
}

impl PeriodSpec {
    pub fn dates(from: NaiveDate, to: NaiveDate) -> Self {
        PeriodSpec::Dates { from, to }
    }

    pub fn season(name: &str, year: Option<i32>) -> Self {
        PeriodSpec::Season {
            name: name.to_owned(),
            year,
        }
    }
}

/// A resolved span of local dates, both ends included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// The season's name when the period is one.
    pub season: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `[start_utc, end_utc)` is what is compared with stored times.
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
}

impl Period {
    pub fn new(season: Option<String>, from: NaiveDate, to: NaiveDate) -> Result<Self, StatsError> {
        if from > to {
            return Err(StatsError::EmptyRange { from, to });
        }
        let (start_utc, end_utc) = crate::time::utc_bounds(from, to);
        Ok(Self {
            season,
            from,
            to,
            start_utc,
            end_utc,
        })
    }

    pub fn resolve(spec: &PeriodSpec, seasons: &Seasons) -> Result<Self, StatsError> {
        match spec {
            PeriodSpec::Dates { from, to } => Period::new(None, *from, *to),
            PeriodSpec::Season { name, year } => {
                let s = seasons
                    .named(name, *year)
                    .ok_or_else(|| StatsError::UndefinedSeason {
                        name: name.clone(),
                        year: *year,
                        defined: seasons
                            .iter()
                            .map(|s| format!("{} {} ({}..{})", s.name, s.year(), s.start, s.end))
                            .collect(),
                    })?;
                Period::new(Some(s.name.clone()), s.start, s.end)
            }
        }
    }

    /// The same period a year earlier: the season of that name in the previous year when it is
    /// defined (harvest dates move), otherwise the same calendar dates (29 February → 28th).
    pub fn previous_year(&self, seasons: &Seasons) -> Self {
        if let Some(name) = &self.season {
            if let Some(s) = seasons.named(name, Some(self.from.year() - 1)) {
                if let Ok(p) = Period::new(Some(s.name.clone()), s.start, s.end) {
                    return p;
                }
            }
        }
        let back = |d: NaiveDate| {
            d.with_year(d.year() - 1)
                .or_else(|| NaiveDate::from_ymd_opt(d.year() - 1, d.month(), 28))
                .expect("28th exists every month")
        };
        Period::new(self.season.clone(), back(self.from), back(self.to))
            .expect("shifting both ends keeps the order")
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// "三夏 2025 (2025-05-20 – 2025-07-31)" or "2025-06-01 – 2025-06-10".
    pub fn label(&self) -> String {
        let span = if self.from == self.to {
            self.from.to_string()
        } else {
            format!("{} – {}", self.from, self.to)
        };
        match &self.season {
            Some(name) => format!("{name} {} ({span})", self.from.year()),
            None => span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Seasons {
        #[derive(serde::Deserialize)]
        struct Wrap {
            seasons: Seasons,
        }
        toml::from_str::<Wrap>(
            "[[seasons]]\nname = \"三夏\"\nstart = 2024-05-25\nend = 2024-07-20\n\
             [[seasons]]\nname = \"三夏\"\nstart = 2025-05-20\nend = 2025-07-31\n",
        )
        .unwrap()
        .seasons
    }

    #[test]
    fn seasons_resolve_and_compare_with_their_own_previous_dates() {
        let c = config();
        let p = Period::resolve(&PeriodSpec::season("三夏", None), &c).unwrap();
        assert_eq!(p.from, NaiveDate::from_ymd_opt(2025, 5, 20).unwrap());
        assert_eq!(p.days(), 73);
        let prev = p.previous_year(&c);
        assert_eq!(prev.from, NaiveDate::from_ymd_opt(2024, 5, 25).unwrap());
        assert_eq!(prev.to, NaiveDate::from_ymd_opt(2024, 7, 20).unwrap());
        let e = Period::resolve(&PeriodSpec::season("三秋", Some(2025)), &c).unwrap_err();
        assert!(
            e.to_string().contains("三秋") && e.to_string().contains("三夏 2025"),
            "{e}"
        );
    }

    #[test]
    fn dates_shift_by_a_year_and_leap_days_fall_back() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let p = Period::new(None, d(2024, 2, 1), d(2024, 2, 29)).unwrap();
        let prev = p.previous_year(&Seasons::default());
        assert_eq!((prev.from, prev.to), (d(2023, 2, 1), d(2023, 2, 28)));
        let e = Period::new(None, d(2025, 6, 2), d(2025, 6, 1)).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        assert!(e.is_bad_request());
    }
}
