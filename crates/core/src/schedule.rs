//! `[deadlines]` and `[[seasons]]`: the one definition of how fast each step of an alert must be
//! done and of the named seasons of each year. The notifier escalates by it, the statistics judge
//! response times by it, the persistent-anomaly learner weights off-season heat by it, and the
//! patrol page shows each alert's next deadline from it — so they cannot disagree.
//!
//! ```toml
//! [deadlines]                 # minutes from the moment the alert was raised
//! received_minutes = 30
//! on_scene_minutes = 60
//! # verified_minutes absent: by the end of the local day of the on-scene deadline
//!
//! [[seasons]]
//! name = "三夏"
//! start = 2025-05-20          # local dates, both included (a TOML date or a string)
//! end = 2025-07-31
//! deadlines = { received_minutes = 15, on_scene_minutes = 30 }   # the rest inherited
//! ```
//!
//! A fire belongs to a season by the local (Asia/Shanghai) date it was first seen — as it belongs
//! to a report's period — so its alert is held to that date's deadlines, counted from the moment
//! the alert was raised:
//!
//! ```
//! # use burnwatch_core::{AlertState, Schedule};
//! # let (schedule, first_seen, created_at, state) =
//! #     (Schedule::default(), chrono::Utc::now(), chrono::Utc::now(), AlertState::New);
//! let deadlines = schedule.deadlines_for(first_seen);
//! if let Some((step, due)) = deadlines.next_due(state, created_at) {
//!     println!("{} due by {due}", step.as_str());
//! }
//! ```

use crate::alert::AlertState;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// Asia/Shanghai: UTC+8 all year, no daylight saving.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The local (Asia/Shanghai) calendar date of a moment.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cst()).date_naive()
}

/// The first moment of the local day after `t`'s, in UTC.
pub fn end_of_local_day(t: DateTime<Utc>) -> DateTime<Utc> {
    let day = local_date(t);
    let next = day.succ_opt().unwrap_or(day);
    cst()
        .from_local_datetime(&next.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .map(|l| l.with_timezone(&Utc))
        .unwrap_or(t)
}

/// A field step of an alert that has a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Received,
    OnScene,
    Verified,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Received, Step::OnScene, Step::Verified];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Received => "received",
            Step::OnScene => "on_scene",
            Step::Verified => "verified",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The zh-CN name used in messages.
    pub fn label_zh(self) -> &'static str {
        match self {
            Step::Received => "签收",
            Step::OnScene => "到场",
            Step::Verified => "核查反馈",
        }
    }

    /// The alert state that completes this step.
    pub fn state(self) -> AlertState {
        match self {
            Step::Received => AlertState::Received,
            Step::OnScene => AlertState::OnScene,
            Step::Verified => AlertState::Verified,
        }
    }

    /// True once an alert in `state` no longer owes this step: states only move forward (a
    /// patrol may skip ahead), and a closed or cancelled alert owes nothing.
    pub fn is_done(self, state: AlertState) -> bool {
        state >= self.state()
    }
}

/// Minutes from the alert being raised by which each step must be done: the general
/// `[deadlines]`, or those in force on one date once a season's overrides are applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    #[serde(default = "default_received", deserialize_with = "minutes")]
    pub received_minutes: f64,
    #[serde(default = "default_on_scene", deserialize_with = "minutes")]
    pub on_scene_minutes: f64,
    /// Absent: by the end of the local day the on-scene deadline falls in ("checked the same
    /// day"; an alert raised late in the evening has until the end of the next day).
    #[serde(default, deserialize_with = "some_minutes")]
    pub verified_minutes: Option<f64>,
}

/// County rules name 15–30 minutes to acknowledge and to be on scene within the hour.
fn default_received() -> f64 {
    30.0
}
fn default_on_scene() -> f64 {
    60.0
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            received_minutes: default_received(),
            on_scene_minutes: default_on_scene(),
            verified_minutes: None,
        }
    }
}

impl Deadlines {
    /// These deadlines with a season's overrides applied.
    pub fn with(self, o: &DeadlineOverrides) -> Deadlines {
        Deadlines {
            received_minutes: o.received_minutes.unwrap_or(self.received_minutes),
            on_scene_minutes: o.on_scene_minutes.unwrap_or(self.on_scene_minutes),
            verified_minutes: o.verified_minutes.or(self.verified_minutes),
        }
    }

    /// When `step` is due for an alert raised at `created_at`.
    pub fn due(&self, step: Step, created_at: DateTime<Utc>) -> DateTime<Utc> {
        // Milliseconds: fractional minutes are legal (and tests use seconds-long deadlines).
        let after = |m: f64| created_at + Duration::milliseconds((m * 60_000.0).round() as i64);
        match step {
            Step::Received => after(self.received_minutes),
            Step::OnScene => after(self.on_scene_minutes),
            // "Checked the same day": the end of the local day by which the team must be on
            // scene, so an alert raised at 23:50 is verified by the end of the next day, not
            // ten minutes later.
            Step::Verified => match self.verified_minutes {
                Some(m) => after(m),
                None => end_of_local_day(after(self.on_scene_minutes)),
            },
        }
    }

    /// The next step an alert in `state` still owes, and when it is due (UTC); `None` once it
    /// is verified, closed or cancelled. This is what the patrol page shows as the deadline.
    pub fn next_due(
        &self,
        state: AlertState,
        created_at: DateTime<Utc>,
    ) -> Option<(Step, DateTime<Utc>)> {
        Step::ALL
            .into_iter()
            .find(|s| !s.is_done(state))
            .map(|s| (s, self.due(s, created_at)))
    }

    /// Of the steps an alert in `state` still owes, the one whose deadline passed most recently
    /// before `now`: a later missed step supersedes an earlier one.
    pub fn latest_missed(
        &self,
        state: AlertState,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<(Step, DateTime<Utc>)> {
        Step::ALL
            .into_iter()
            .filter(|s| !s.is_done(state))
            .map(|s| (s, self.due(s, created_at)))
            .filter(|(_, due)| now > *due)
            .max_by_key(|(_, due)| *due)
    }
}

/// A season's own deadlines: only the fields it names replace the general ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineOverrides {
    #[serde(default, deserialize_with = "some_minutes")]
    pub received_minutes: Option<f64>,
    #[serde(default, deserialize_with = "some_minutes")]
    pub on_scene_minutes: Option<f64>,
    #[serde(default, deserialize_with = "some_minutes")]
    pub verified_minutes: Option<f64>,
}

fn minutes<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "must be a positive number of minutes, got {v}"
        )))
    }
}

fn some_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    minutes(d).map(Some)
}

/// One named season of one year, local dates, both ends included.
#[derive(Debug, Clone, PartialEq)]
pub struct Season {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub deadlines: DeadlineOverrides,
}

impl Season {
    pub fn year(&self) -> i32 {
        self.start.year()
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}

/// `[[seasons]]`: sorted by start, no two overlapping, no name twice in one year.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(try_from = "Vec<RawSeason>")]
pub struct Seasons(Vec<Season>);

impl Seasons {
    pub fn new(mut seasons: Vec<Season>) -> Result<Self, String> {
        seasons.sort_by_key(|s| s.start);
        for (i, s) in seasons.iter().enumerate() {
            if s.name.trim().is_empty() {
                return Err("seasons: a season needs a name".into());
            }
            if s.end < s.start {
                return Err(format!(
                    "season {}: end {} is before start {}",
                    s.name, s.end, s.start
                ));
            }
            if let Some(o) = seasons[..i].iter().find(|o| {
                (o.name == s.name && o.year() == s.year()) || (o.start <= s.end && s.start <= o.end)
            }) {
                return Err(format!(
                    "season {} {}..{} overlaps or repeats season {} {}..{}",
                    s.name, s.start, s.end, o.name, o.start, o.end
                ));
            }
        }
        Ok(Self(seasons))
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Season> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The season of this name in `year`, or (without a year) the latest one of that name.
    pub fn named(&self, name: &str, year: Option<i32>) -> Option<&Season> {
        self.0
            .iter()
            .filter(|s| s.name == name && year.is_none_or(|y| s.year() == y))
            .max_by_key(|s| s.start)
    }

    /// The season containing this local date, if any.
    pub fn containing(&self, date: NaiveDate) -> Option<&Season> {
        self.0.iter().find(|s| s.contains(date))
    }

    /// Whether a local date lies in a burning season, for weighting heat that recurs outside
    /// them. A year with configured seasons is judged by them exactly; for other years (the
    /// learner reads archives years back) the configured seasons' month-day spans stand for
    /// every year; with no seasons configured, the usual harvests: 三夏 20 May – 30 June and
    /// 三秋 20 September – 20 November.
    pub fn in_season(&self, date: NaiveDate) -> bool {
        if self.0.iter().any(|s| s.year() == date.year()) {
            return self.containing(date).is_some();
        }
        let md = |d: NaiveDate| (d.month(), d.day());
        let spans: Vec<((u32, u32), (u32, u32))> = if self.0.is_empty() {
            vec![((5, 20), (6, 30)), ((9, 20), (11, 20))]
        } else {
            self.0.iter().map(|s| (md(s.start), md(s.end))).collect()
        };
        let d = md(date);
        spans.iter().any(|&(a, b)| {
            if a <= b {
                a <= d && d <= b
            } else {
                // A season running over the new year.
                d >= a || d <= b
            }
        })
    }
}

impl<'a> IntoIterator for &'a Seasons {
    type Item = &'a Season;
    type IntoIter = std::slice::Iter<'a, Season>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSeason {
    name: String,
    start: DateText,
    end: DateText,
    #[serde(default)]
    deadlines: DeadlineOverrides,
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

impl TryFrom<Vec<RawSeason>> for Seasons {
    type Error = String;

    fn try_from(raw: Vec<RawSeason>) -> Result<Self, String> {
        let seasons = raw
            .into_iter()
            .map(|s| {
                let name = s.name.trim().to_owned();
                Ok(Season {
                    start: s.start.date(&format!("season {name} start"))?,
                    end: s.end.date(&format!("season {name} end"))?,
                    name,
                    deadlines: s.deadlines,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Seasons::new(seasons)
    }
}

/// `[deadlines]` and `[[seasons]]` together (`Config::schedule`): what every crate asks when it
/// needs to know which deadlines hold for an alert or which season a date is in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schedule {
    pub deadlines: Deadlines,
    pub seasons: Seasons,
}

impl Schedule {
    /// The deadlines in force on a local date: its season's overrides over the general ones.
    pub fn deadlines_on(&self, date: NaiveDate) -> Deadlines {
        match self.seasons.containing(date) {
            Some(s) => self.deadlines.with(&s.deadlines),
            None => self.deadlines,
        }
    }

    /// The deadlines the alert of a fire first seen at `first_seen` is held to: those of the
    /// local date of the first sighting, which is also the date that puts the fire in a season
    /// and in a report's period.
    pub fn deadlines_for(&self, first_seen: DateTime<Utc>) -> Deadlines {
        self.deadlines_on(local_date(first_seen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrap {
        #[serde(default)]
        deadlines: Deadlines,
        #[serde(default)]
        seasons: Seasons,
    }

    fn parse(text: &str) -> Result<Schedule, toml::de::Error> {
        toml::from_str::<Wrap>(text).map(|w| Schedule {
            deadlines: w.deadlines,
            seasons: w.seasons,
        })
    }

    #[test]
    fn next_due_walks_the_steps_and_verified_defaults_to_the_local_day() {
        let s = Schedule::default().deadlines;
        let created = utc("2025-06-10T02:00:00Z"); // 10:00 CST
        assert_eq!(
            s.next_due(AlertState::New, created),
            Some((Step::Received, utc("2025-06-10T02:30:00Z")))
        );
        assert_eq!(
            s.next_due(AlertState::Dispatched, created).unwrap().0,
            Step::Received
        );
        assert_eq!(
            s.next_due(AlertState::EnRoute, created),
            Some((Step::OnScene, utc("2025-06-10T03:00:00Z")))
        );
        // Same day = until 24:00 CST = 16:00 UTC.
        assert_eq!(
            s.next_due(AlertState::OnScene, created),
            Some((Step::Verified, utc("2025-06-10T16:00:00Z")))
        );
        for done in [
            AlertState::Verified,
            AlertState::Closed,
            AlertState::Cancelled,
        ] {
            assert_eq!(s.next_due(done, created), None);
        }
        // Raised at 22:30 CST: on scene by 23:30, verified by midnight.
        let evening = utc("2025-06-10T14:30:00Z");
        assert_eq!(s.due(Step::Verified, evening), utc("2025-06-10T16:00:00Z"));
        // Raised at 23:30 CST: on scene by 00:30, so verified by the end of that next day, never
        // before the team could be on scene.
        let late = utc("2025-06-10T15:30:00Z");
        assert_eq!(s.due(Step::Verified, late), utc("2025-06-11T16:00:00Z"));
        assert!(s.due(Step::Verified, late) > s.due(Step::OnScene, late));
    }

    #[test]
    fn the_latest_missed_step_supersedes_earlier_ones() {
        let dl = Deadlines::default();
        let created = utc("2025-06-10T02:00:00Z");
        assert_eq!(
            dl.latest_missed(AlertState::New, created, utc("2025-06-10T02:20:00Z")),
            None
        );
        assert_eq!(
            dl.latest_missed(AlertState::New, created, utc("2025-06-10T02:31:00Z")),
            Some((Step::Received, utc("2025-06-10T02:30:00Z")))
        );
        assert_eq!(
            dl.latest_missed(AlertState::New, created, utc("2025-06-10T03:01:00Z"))
                .unwrap()
                .0,
            Step::OnScene
        );
        // Received in time, but nobody went: only on_scene is owed.
        assert_eq!(
            dl.latest_missed(AlertState::Received, created, utc("2025-06-10T16:01:00Z"))
                .unwrap()
                .0,
            Step::Verified
        );
        assert_eq!(
            dl.latest_missed(AlertState::OnScene, created, utc("2025-06-10T05:00:00Z")),
            None
        );
    }

    #[test]
    fn a_season_overrides_the_deadlines_of_its_own_days_only() {
        let s = parse(
            r#"[deadlines]
received_minutes = 20
verified_minutes = 480
[[seasons]]
name = "三夏"
start = 2025-05-20
end = "2025-07-31"
deadlines = { on_scene_minutes = 30 }
[[seasons]]
name = "三夏"
start = 2024-05-20
end = 2024-07-31
"#,
        )
        .unwrap();
        let t = s.deadlines_on(d(2025, 6, 1));
        assert_eq!(
            (t.received_minutes, t.on_scene_minutes, t.verified_minutes),
            (20.0, 30.0, Some(480.0))
        );
        assert_eq!(s.deadlines_on(d(2024, 6, 1)).on_scene_minutes, 60.0);
        assert_eq!(s.deadlines_on(d(2025, 8, 1)).on_scene_minutes, 60.0);
        // 2025-07-31 23:30 CST is in the season; the next local day is not.
        assert_eq!(
            s.deadlines_for(utc("2025-07-31T15:30:00Z"))
                .on_scene_minutes,
            30.0
        );
        assert_eq!(
            s.deadlines_for(utc("2025-07-31T16:30:00Z"))
                .on_scene_minutes,
            60.0
        );
        assert_eq!(s.seasons.named("三夏", None).unwrap().year(), 2025);
        assert_eq!(
            s.seasons.named("三夏", Some(2024)).unwrap().end,
            d(2024, 7, 31)
        );
        assert!(s.seasons.named("三秋", None).is_none());
    }

    #[test]
    fn bad_values_fail_at_load_with_their_name() {
        for (text, expect) in [
            ("[deadlines]\non_scene_minutes = 0\n", "positive"),
            ("[deadlines]\nreceived = 3\n", "received"),
            (
                "[[seasons]]\nname = \"三秋\"\nstart = 2025-11-20\nend = 2025-09-20\n",
                "before start",
            ),
            (
                "[[seasons]]\nname = \"x\"\nstart = \"2025-13-01\"\nend = 2025-12-01\n",
                "2025-13-01",
            ),
            (
                "[[seasons]]\nname = \"a\"\nstart = 2025-05-20\nend = 2025-06-30\n[[seasons]]\nname = \"b\"\nstart = 2025-06-01\nend = 2025-07-01\n",
                "overlaps",
            ),
            (
                "[[seasons]]\nname = \"a\"\nstart = 2025-05-20\nend = 2025-06-30\ndeadlines = { verified_minutes = -5 }\n",
                "positive",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(expect), "{text:?} → {e}");
        }
    }

    #[test]
    fn in_season_is_exact_for_configured_years_and_projected_for_others() {
        let none = Seasons::default();
        assert!(none.in_season(d(2025, 5, 20)) && none.in_season(d(2025, 10, 15)));
        assert!(!none.in_season(d(2025, 5, 19)) && !none.in_season(d(2025, 8, 1)));

        let s = parse(
            "[[seasons]]\nname = \"三夏\"\nstart = 2025-05-25\nend = 2025-06-20\n[[seasons]]\nname = \"冬\"\nstart = 2025-12-01\nend = 2026-02-10\n",
        )
        .unwrap()
        .seasons;
        // 2025 is configured: exactly its seasons.
        assert!(s.in_season(d(2025, 5, 25)) && s.in_season(d(2025, 6, 20)));
        assert!(!s.in_season(d(2025, 5, 24)) && !s.in_season(d(2025, 10, 1)));
        // 2023 is not: the same month-days, the winter one across the new year.
        assert!(s.in_season(d(2023, 6, 1)) && !s.in_season(d(2023, 6, 21)));
        assert!(s.in_season(d(2023, 1, 5)) && s.in_season(d(2023, 12, 24)));
        assert!(!s.in_season(d(2023, 3, 1)));
    }
}
