//! `[reports]`: what the agriculture bureau's statistics, bulletins and exports need that the
//! store does not hold — cropland area per region (for points per 1,000 ha) and which
//! verification outcomes count as false alarms. The seasons reports are asked for and the
//! response deadlines they judge by are the shared `[[seasons]]` and `[deadlines]` (`schedule`).
//!
//! ```toml
//! [reports]
//! prefecture_name = "济宁市"          # the "city" column of the provincial detail table
//! prefecture_code = "370800"          # its cropland entry below; also a prefecture route's region
//! false_alarm_outcomes = ["nothing_found", "industrial_heat"]
//! [reports.cropland_ha]               # region id → cropland, hectares
//! "370800" = 580000
//! "370811" = 38000
//! ```
//!
//! Values are checked while the file is read, so a bad setting fails at load with its name.

use crate::alert::{Outcome, ALL_OUTCOMES};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawReports")]
pub struct ReportsConfig {
    pub prefecture_name: Option<String>,
    pub prefecture_code: Option<String>,
    pub false_alarm_outcomes: Vec<Outcome>,
    pub cropland_ha: BTreeMap<String, f64>,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self {
            prefecture_name: None,
            prefecture_code: None,
            false_alarm_outcomes: default_false_alarms(),
            cropland_ha: BTreeMap::new(),
        }
    }
}

/// A field is "false" when the satellite's heat was not a fire anyone had to act on.
fn default_false_alarms() -> Vec<Outcome> {
    vec![Outcome::NothingFound, Outcome::IndustrialHeat]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReports {
    prefecture_name: Option<String>,
    prefecture_code: Option<String>,
    #[serde(default)]
    false_alarm_outcomes: Option<Vec<String>>,
    #[serde(default)]
    cropland_ha: BTreeMap<String, f64>,
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
    fn cropland_and_false_alarms_are_read() {
        let c = parse(
            r#"[reports]
prefecture_name = "示范市"
[reports.cropland_ha]
"379901" = 12000.5
"#,
        )
        .unwrap();
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
        let e = parse("[reports.cropland_ha]\n\"1\" = -3\n").unwrap_err();
        assert!(e.to_string().contains("positive"), "{e}");
        let e = parse("[reports]\nfalse_alarm_outcomes = [\"nothing\"]\n").unwrap_err();
        assert!(e.to_string().contains("nothing_found"), "{e}");
        // The seasons and deadlines have one home now, outside [reports].
        let e = parse("[reports]\n[[reports.seasons]]\nname = \"三夏\"\nstart = 2025-05-20\nend = 2025-07-31\n")
            .unwrap_err();
        assert!(e.to_string().contains("seasons"), "{e}");
        let e = parse("[reports.targets]\non_scene_minutes = 30\n").unwrap_err();
        assert!(e.to_string().contains("targets"), "{e}");
    }
}
