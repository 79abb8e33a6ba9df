//! `[reports]`: what the agriculture bureau's statistics, bulletins and exports need that the
//! store does not hold — the named seasons of each year, cropland area per region (for points per
//! 1,000 ha), response targets, and which verification outcomes count as false alarms.
//!
//! ```toml
//! [reports]
//! prefecture_name = "济宁市"          # the "city" column of the provincial detail table
//! prefecture_code = "370800"          # its cropland entry below, if any
//! false_alarm_outcomes = ["nothing_found", "industrial_heat"]
//! [reports.targets]                   # minutes from the alert (these are the defaults)
//! received_minutes = 30
//! on_scene_minutes = 60
//! verified_minutes = 1440
//! [[reports.seasons]]
//! name = "三夏"
//! start = 2025-05-20                  # local dates, both included (a TOML date or a string)
//! end = 2025-07-31
//! targets = { on_scene_minutes = 30 } # this season's stricter targets, the rest inherited
//! [reports.cropland_ha]               # region id → cropland, hectares
//! "370800" = 580000
//! "370811" = 38000
//! ```
//!
//! Values are checked while the file is read, so a bad setting fails at load with its name.

use crate::alert::{Outcome, ALL_OUTCOMES};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawReports")]
pub struct ReportsConfig {
    pub prefecture_name: Option<String>,
    pub prefecture_code: Option<String>,
    pub false_alarm_outcomes: Vec<Outcome>,
    pub targets: Targets,
    /// Sorted by start date.
    pub seasons: Vec<Season>,
    pub cropland_ha: BTreeMap<String, f64>,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self {
            prefecture_name: None,
            prefecture_code: None,
            false_alarm_outcomes: default_false_alarms(),
            targets: Targets::default(),
            seasons: Vec::new(),
            cropland_ha: BTreeMap::new(),
        }
    }
}

/// A field is "false" when the satellite's heat was not a fire anyone had to act on.
fn default_false_alarms() -> Vec<Outcome> {
    vec![Outcome::NothingFound, Outcome::IndustrialHeat]
}

/// Response targets in minutes from the moment the alert was raised. County rules name
/// 15–30 minutes to be on scene; verification the same day.
/// A target left out of `[reports.targets]` keeps its default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default = "default_received")]
    pub received_minutes: Option<f64>,
    #[serde(default = "default_on_scene")]
    pub on_scene_minutes: Option<f64>,
    #[serde(default = "default_verified")]
    pub verified_minutes: Option<f64>,
}

impl Default for Targets {
    fn default() -> Self {
        Self {
            received_minutes: default_received(),
            on_scene_minutes: default_on_scene(),
            verified_minutes: default_verified(),
        }
    }
}

fn default_received() -> Option<f64> {
    Some(30.0)
}
fn default_on_scene() -> Option<f64> {
    Some(60.0)
}
/// "Quick report, quick check": the same day.
fn default_verified() -> Option<f64> {
    Some(24.0 * 60.0)
}

/// A season's own targets: only the fields it names replace the general ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetOverrides {
    pub received_minutes: Option<f64>,
    pub on_scene_minutes: Option<f64>,
    pub verified_minutes: Option<f64>,
}

impl Targets {
    pub fn with(self, o: &TargetOverrides) -> Targets {
        Targets {
            received_minutes: o.received_minutes.or(self.received_minutes),
            on_scene_minutes: o.on_scene_minutes.or(self.on_scene_minutes),
            verified_minutes: o.verified_minutes.or(self.verified_minutes),
        }
    }
}

/// One named season of one year, local dates, both ends included.
#[derive(Debug, Clone, PartialEq)]
pub struct Season {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub targets: TargetOverrides,
}

impl Season {
    pub fn year(&self) -> i32 {
        self.start.year()
    }
}

impl ReportsConfig {
    /// The season of this name in `year`, or (without a year) the latest one of that name.
    pub fn season(&self, name: &str, year: Option<i32>) -> Option<&Season> {
        self.seasons
            .iter()
            .filter(|s| s.name == name && year.is_none_or(|y| s.year() == y))
            .max_by_key(|s| s.start)
    }

    /// The season containing this local date, if any.
    pub fn season_of(&self, date: NaiveDate) -> Option<&Season> {
        self.seasons
            .iter()
            .find(|s| s.start <= date && date <= s.end)
    }

    /// The targets in force for a period starting on this date.
    pub fn targets_on(&self, date: NaiveDate) -> Targets {
        match self.season_of(date) {
            Some(s) => self.targets.with(&s.targets),
            None => self.targets,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReports {
    prefecture_name: Option<String>,
    prefecture_code: Option<String>,
    #[serde(default)]
    false_alarm_outcomes: Option<Vec<String>>,
    #[serde(default)]
    targets: Option<Targets>,
    #[serde(default)]
    seasons: Vec<RawSeason>,
    #[serde(default)]
    cropland_ha: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeason {
    name: String,
    start: DateText,
    end: DateText,
    #[serde(default)]
    targets: TargetOverrides,
}

/// TOML has a date type (`2025-05-20`); a quoted string is accepted as well.
#[derive(Deserialize)]
#[serde(untagged)]
enum DateText {
    Toml(toml::value::Datetime),
    Text(String),
}

impl DateText {
    fn date(&self, what: &str) -> Result<NaiveDate, String> {
        let text = match self {
            DateText::Toml(d) => d.to_string(),
            DateText::Text(s) => s.trim().to_owned(),
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|_| format!("{what}: {text:?} is not a date like 2025-05-20"))
    }
}

fn check_minutes(name: &str, v: Option<f64>) -> Result<(), String> {
    match v {
        Some(m) if !(m.is_finite() && m > 0.0) => Err(format!(
            "reports targets: {name} must be a positive number of minutes, got {m}"
        )),
        _ => Ok(()),
    }
}

impl TryFrom<RawReports> for ReportsConfig {
    type Error = String;

    fn try_from(raw: RawReports) -> Result<Self, String> {
        let false_alarm_outcomes = match raw.false_alarm_outcomes {
            None => default_false_alarms(),
            Some(names) => names
                .iter()
                .map(|n| {
                    Outcome::parse(n).ok_or_else(|| {
                        format!(
                            "reports.false_alarm_outcomes: unknown outcome {n:?}; one of: {}",
                            ALL_OUTCOMES.map(|o| o.as_str()).join(", ")
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let targets = raw.targets.unwrap_or_default();
        for (name, v) in [
            ("received_minutes", targets.received_minutes),
            ("on_scene_minutes", targets.on_scene_minutes),
            ("verified_minutes", targets.verified_minutes),
        ] {
            check_minutes(name, v)?;
        }
        let mut seasons = Vec::with_capacity(raw.seasons.len());
        for s in raw.seasons {
            let name = s.name.trim().to_owned();
            if name.is_empty() {
                return Err("reports.seasons: a season needs a name".into());
            }
            let start = s.start.date(&format!("season {name} start"))?;
            let end = s.end.date(&format!("season {name} end"))?;
            if end < start {
                return Err(format!("season {name}: end {end} is before start {start}"));
            }
            for (n, v) in [
                ("received_minutes", s.targets.received_minutes),
                ("on_scene_minutes", s.targets.on_scene_minutes),
                ("verified_minutes", s.targets.verified_minutes),
            ] {
                check_minutes(n, v)?;
            }
            let season = Season {
                name,
                start,
                end,
                targets: s.targets,
            };
            if let Some(other) = seasons.iter().find(|o: &&Season| {
                (o.name == season.name && o.year() == season.year())
                    || (o.start <= season.end && season.start <= o.end)
            }) {
                return Err(format!(
                    "season {} {}..{} overlaps or repeats season {} {}..{}",
                    season.name, season.start, season.end, other.name, other.start, other.end
                ));
            }
            seasons.push(season);
        }
        seasons.sort_by_key(|s| s.start);
        for (id, ha) in &raw.cropland_ha {
            if !(ha.is_finite() && *ha > 0.0) {
                return Err(format!(
                    "reports.cropland_ha: {id:?} must be a positive area in hectares, got {ha}"
                ));
            }
        }
        Ok(ReportsConfig {
            prefecture_name: raw.prefecture_name,
            prefecture_code: raw.prefecture_code,
            false_alarm_outcomes,
            targets,
            seasons,
            cropland_ha: raw.cropland_ha,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ReportsConfig, toml::de::Error> {
        #[derive(Deserialize)]
        struct Wrap {
            reports: ReportsConfig,
        }
        toml::from_str::<Wrap>(text).map(|w| w.reports)
    }

    #[test]
    fn seasons_targets_and_cropland_are_read() {
        let c = parse(
            r#"[reports]
prefecture_name = "示范市"
[reports.targets]
received_minutes = 20
[[reports.seasons]]
name = "三夏"
start = 2025-05-20
end = "2025-07-31"
targets = { on_scene_minutes = 30 }
[[reports.seasons]]
name = "三夏"
start = 2024-05-20
end = 2024-07-31
[reports.cropland_ha]
"379901" = 12000.5
"#,
        )
        .unwrap();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(c.season("三夏", None).unwrap().start, d(2025, 5, 20));
        assert_eq!(c.season("三夏", Some(2024)).unwrap().end, d(2024, 7, 31));
        assert!(c.season("三秋", None).is_none());
        let t = c.targets_on(d(2025, 6, 1));
        assert_eq!(t.received_minutes, Some(20.0));
        assert_eq!(t.on_scene_minutes, Some(30.0));
        assert_eq!(t.verified_minutes, Some(1440.0));
        assert_eq!(c.targets_on(d(2024, 6, 1)).on_scene_minutes, Some(60.0));
        assert_eq!(c.cropland_ha["379901"], 12000.5);
        assert_eq!(
            c.false_alarm_outcomes,
            vec![Outcome::NothingFound, Outcome::IndustrialHeat]
        );
    }

    #[test]
    fn bad_values_fail_at_load_with_their_name() {
        let e = parse("[reports]\ncropland = 1\n").unwrap_err();
        assert!(e.to_string().contains("cropland"), "{e}");
        let e = parse(
            "[reports]\n[[reports.seasons]]\nname = \"三秋\"\nstart = 2025-11-20\nend = 2025-09-20\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("before start"), "{e}");
        let e = parse("[reports]\n[[reports.seasons]]\nname = \"x\"\nstart = \"2025-13-01\"\nend = 2025-12-01\n")
            .unwrap_err();
        assert!(e.to_string().contains("2025-13-01"), "{e}");
        let e = parse("[reports.cropland_ha]\n\"1\" = -3\n").unwrap_err();
        assert!(e.to_string().contains("positive"), "{e}");
        let e = parse("[reports]\nfalse_alarm_outcomes = [\"nothing\"]\n").unwrap_err();
        assert!(e.to_string().contains("nothing_found"), "{e}");
        let e = parse("[reports.targets]\non_scene_minutes = 0\n").unwrap_err();
        assert!(e.to_string().contains("on_scene_minutes"), "{e}");
        let e = parse(
            "[[reports.seasons]]\nname = \"a\"\nstart = 2025-05-20\nend = 2025-06-30\n[[reports.seasons]]\nname = \"b\"\nstart = 2025-06-01\nend = 2025-07-01\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("overlaps"), "{e}");
    }
}
