//! The figures: one pass of grouped SQL per table over the period, then grouping, medians and
//! deadlines in memory. The heavy tables are only ever read through range scans on their time
//! index, so a season over a million detections stays interactive.

use crate::period::{Period, PeriodSpec};
use crate::time::{epoch, local_date_of, parse_stored, store_text, utc_from};
use crate::StatsError;
use burnwatch_core::alert::{AlertState, Outcome, ALL_OUTCOMES};
use burnwatch_core::reports_config::ReportsConfig;
use burnwatch_core::schedule::{Deadlines, Schedule, Step};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// Only the prefecture's total.
    Prefecture,
    #[default]
    County,
    Township,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "prefecture" | "city" => Some(GroupBy::Prefecture),
            "county" => Some(GroupBy::County),
            "township" | "town" => Some(GroupBy::Township),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StatsRequest {
    pub period: PeriodSpec,
    pub by: GroupBy,
    /// Only this county or township (and its figures as the total).
    pub region: Option<String>,
    /// Deadlines and "never verified" are judged at this moment, and only transitions recorded
    /// by then count; `None` is now.
    pub as_of: Option<DateTime<Utc>>,
    pub compare_previous_year: bool,
}

impl StatsRequest {
    pub fn new(period: PeriodSpec, by: GroupBy) -> Self {
        Self {
            period,
            by,
            region: None,
            as_of: None,
            compare_previous_year: true,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    pub period: Period,
    pub previous_period: Option<Period>,
    pub by: GroupBy,
    /// The region the request was narrowed to.
    pub region: Option<RegionRef>,
    pub prefecture_name: Option<String>,
    pub as_of: DateTime<Utc>,
    /// The deadlines in force on the period's first day (`[deadlines]` with a season's own
    /// where it sets them); each alert is judged against those of its fire's first day.
    pub deadlines: Deadlines,
    pub false_alarm_outcomes: Vec<Outcome>,
    pub rows: Vec<RegionStats>,
    pub total: RegionStats,
    /// Detections inside no township (never alerted, not fire points); a prefecture-wide
    /// figure, so 0 in a report narrowed to one county or township.
    pub outside_detections: u64,
    pub first_fire: Option<FirstFire>,
    pub first_confirmed: Option<FirstFire>,
    /// The concealment check: every alert of the period nobody verified, oldest first.
    pub unverified: Vec<UnverifiedAlert>,
    /// Every local day of the period, zeros included (for charts).
    pub daily: Vec<DailyCount>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DailyCount {
    pub date: NaiveDate,
    pub points: u64,
    pub alerts: u64,
    pub confirmed_straw_burns: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRef {
    pub id: String,
    pub name: String,
    pub level: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RegionStats {
    /// "prefecture" for the total, else "county" or "township".
    pub level: String,
    pub region_id: Option<String>,
    pub name: Option<String>,
    pub county_id: Option<String>,
    pub county_name: Option<String>,
    pub detections: DetectionCounts,
    pub events: u64,
    pub alerts: AlertCounts,
    pub cropland_ha: Option<f64>,
    pub points_per_1000_ha: Option<f64>,
    /// The same figures a year earlier (when asked for).
    pub previous: Option<Headline>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DetectionCounts {
    /// Every satellite detection, suppressed ones included.
    pub satellite: u64,
    pub camera: u64,
    /// Fire points (火点): see the crate documentation.
    pub points: u64,
    pub suppressed: u64,
    /// Suppressed detections by the kind of reason ("registry", "silence", …).
    pub suppressed_by: BTreeMap<String, u64>,
    /// Not suppressed, but classed off cropland by the mask.
    pub not_straw: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlertCounts {
    pub total: u64,
    pub verified: u64,
    /// Verified alerts by outcome (`confirmed_straw_burn`, …); every outcome is present.
    pub outcomes: BTreeMap<String, u64>,
    pub false_alarms: u64,
    pub false_alarm_share: Option<f64>,
    pub burned_area_mu: f64,
    /// Verifications that stated an area.
    pub burned_area_reports: u64,
    pub received: Response,
    pub on_scene: Response,
    pub verified_response: Response,
    pub never_verified: u64,
    /// Never verified and past the verification target.
    pub overdue_unverified: u64,
    pub cancelled: u64,
}

/// Minutes from the alert to a step.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Response {
    pub reached: u64,
    pub median_min: Option<f64>,
    pub p90_min: Option<f64>,
    /// Reached after the target, or not reached and the target has passed.
    pub missed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Headline {
    pub points: u64,
    pub events: u64,
    pub alerts: u64,
    pub confirmed_straw_burns: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstFire {
    pub at: DateTime<Utc>,
    pub lon: f64,
    pub lat: f64,
    pub township_id: Option<String>,
    pub township_name: Option<String>,
    pub county_id: Option<String>,
    pub county_name: Option<String>,
    pub detection_id: Option<i64>,
    pub satellite: Option<String>,
    pub alert_id: Option<i64>,
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnverifiedAlert {
    pub alert_id: i64,
    pub township_id: Option<String>,
    pub township_name: Option<String>,
    pub county_id: Option<String>,
    pub county_name: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub first_seen: DateTime<Utc>,
    pub alerted_at: DateTime<Utc>,
    /// The last state recorded by `as_of`.
    pub state: String,
    pub age_hours: f64,
    pub overdue: bool,
}

/// The regions table without geometry.
#[derive(Debug, Clone)]
pub(crate) struct Regions {
    pub by_id: HashMap<String, RegionInfo>,
    /// Township cropland measured from the mask (`burnwatch cropland`), hectares.
    pub measured_cropland: HashMap<String, f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct RegionInfo {
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
}

impl Regions {
    pub(crate) fn load(conn: &Connection) -> Result<Self, StatsError> {
        let mut stmt = conn.prepare("SELECT id, name, level, parent_id FROM regions")?;
        let by_id = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    RegionInfo {
                        name: r.get(1)?,
                        level: r.get(2)?,
                        parent: r.get(3)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let measured_cropland = conn
            .prepare("SELECT region_id, cropland_ha FROM region_cropland")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Self {
            by_id,
            measured_cropland,
        })
    }

    pub(crate) fn name(&self, id: Option<&str>) -> Option<String> {
        id.and_then(|i| self.by_id.get(i)).map(|r| r.name.clone())
    }

    /// A record's county, borrowed: as routed, else the township's parent.
    fn county_ref<'a>(
        &'a self,
        township: Option<&str>,
        county: Option<&'a str>,
    ) -> Option<&'a str> {
        county.or_else(|| {
            township
                .and_then(|t| self.by_id.get(t))
                .and_then(|r| r.parent.as_deref())
        })
    }

    /// A record's county: as routed, else the township's parent.
    fn county_of(&self, township: Option<&str>, county: Option<&str>) -> Option<String> {
        county.map(str::to_owned).or_else(|| {
            township
                .and_then(|t| self.by_id.get(t))
                .and_then(|r| r.parent.clone())
        })
    }

    /// Checks a region filter and says which kind it is.
    pub(crate) fn filter(&self, id: Option<&str>) -> Result<Option<RegionRef>, StatsError> {
        let Some(id) = id else { return Ok(None) };
        let r = self
            .by_id
            .get(id)
            .ok_or_else(|| StatsError::UnknownRegion(id.to_owned()))?;
        if r.level != "county" && r.level != "township" {
            return Err(StatsError::BadRequest(format!(
                "region {id:?} is a {}; statistics are kept by county and township",
                r.level
            )));
        }
        Ok(Some(RegionRef {
            id: id.to_owned(),
            name: r.name.clone(),
            level: r.level.clone(),
        }))
    }
}

/// Whether a record (township, county) falls under the filter.
fn in_filter(filter: Option<&RegionRef>, township: Option<&str>, county: Option<&str>) -> bool {
    match filter {
        None => true,
        Some(f) if f.level == "county" => county == Some(f.id.as_str()),
        Some(f) => township == Some(f.id.as_str()),
    }
}

/// Raw figures of one (township, county) before medians and shares.
#[derive(Debug, Clone, Default)]
struct Acc {
    det: DetectionCounts,
    events: u64,
    alerts: u64,
    verified: u64,
    outcomes: HashMap<Outcome, u64>,
    burned_mu: f64,
    burned_reports: u64,
    received: Vec<f64>,
    on_scene: Vec<f64>,
    verified_min: Vec<f64>,
    missed: [u64; 3],
    never_verified: u64,
    overdue: u64,
    cancelled: u64,
    prev: Headline,
}

impl Acc {
    fn merge(&mut self, o: &Acc) {
        let d = &mut self.det;
        d.satellite += o.det.satellite;
        d.camera += o.det.camera;
        d.points += o.det.points;
        d.suppressed += o.det.suppressed;
        d.not_straw += o.det.not_straw;
        for (k, v) in &o.det.suppressed_by {
            *d.suppressed_by.entry(k.clone()).or_default() += v;
        }
        self.events += o.events;
        self.alerts += o.alerts;
        self.verified += o.verified;
        for (k, v) in &o.outcomes {
            *self.outcomes.entry(*k).or_default() += v;
        }
        self.burned_mu += o.burned_mu;
        self.burned_reports += o.burned_reports;
        self.received.extend_from_slice(&o.received);
        self.on_scene.extend_from_slice(&o.on_scene);
        self.verified_min.extend_from_slice(&o.verified_min);
        for i in 0..3 {
            self.missed[i] += o.missed[i];
        }
        self.never_verified += o.never_verified;
        self.overdue += o.overdue;
        self.cancelled += o.cancelled;
        self.prev.points += o.prev.points;
        self.prev.events += o.prev.events;
        self.prev.alerts += o.prev.alerts;
        self.prev.confirmed_straw_burns += o.prev.confirmed_straw_burns;
    }
}

type Key = (Option<String>, Option<String>);

/// Median (mean of the two middle values for an even count) of sorted values.
pub(crate) fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(0.5 * (sorted[n / 2 - 1] + sorted[n / 2])),
    }
}

/// 90th percentile by nearest rank: the smallest value with at least 90 % of values at or below.
pub(crate) fn p90(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (0.9 * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// The burned area a verification stated: the field form's value, else "约3亩" in the note.
pub fn burned_area_from_note(note: &str) -> Option<f64> {
    let idx = note.find('亩')?;
    let before = note[..idx].trim_end();
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .last()
        .map(|(i, _)| i)?;
    before[start..]
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

pub fn compute(
    conn: &Connection,
    config: &ReportsConfig,
    schedule: &Schedule,
    request: &StatsRequest,
) -> Result<StatsReport, StatsError> {
    let period = Period::resolve(&request.period, &schedule.seasons)?;
    let regions = Regions::load(conn)?;
    let filter = regions.filter(request.region.as_deref())?;
    let narrowed = filter.is_some();
    let as_of = request.as_of.unwrap_or_else(Utc::now);

    let mut accs = Accs::default();
    let outside = detections(conn, &period, &regions, &mut accs, |acc, counts| {
        acc.det.merge_counts(counts)
    })?;
    events(conn, &period, &regions, &mut accs, |acc, n| acc.events += n)?;
    let mut daily: BTreeMap<NaiveDate, DailyCount> = period
        .from
        .iter_days()
        .take_while(|d| *d <= period.to)
        .map(|date| {
            (
                date,
                DailyCount {
                    date,
                    ..Default::default()
                },
            )
        })
        .collect();
    daily_points(conn, &period, &regions, filter.as_ref(), &mut daily)?;
    let (unverified, first_confirmed) = alerts(
        conn,
        schedule,
        &period,
        as_of,
        &regions,
        filter.as_ref(),
        &mut accs,
        &mut daily,
    )?;
    let previous_period = request
        .compare_previous_year
        .then(|| period.previous_year(&schedule.seasons));
    if let Some(prev) = &previous_period {
        detections(conn, prev, &regions, &mut accs, |acc, c| {
            acc.prev.points += c.points
        })?;
        events(conn, prev, &regions, &mut accs, |acc, n| {
            acc.prev.events += n
        })?;
        previous_alerts(conn, prev, as_of, &regions, &mut accs)?;
    }

    // In key order, so sums of fractional figures (burned area) come out the same however the
    // rows are grouped.
    let accs: BTreeMap<Key, Acc> = accs
        .slots
        .into_iter()
        .filter(|((t, c), _)| t.is_some() && in_filter(filter.as_ref(), t.as_deref(), c.as_deref()))
        .collect();

    // Rows: every region of the requested level, with zeros where nothing happened (a zero is
    // a figure too), plus any region the data names that the boundaries no longer have.
    let mut groups: BTreeMap<Key, Acc> = BTreeMap::new();
    if request.by != GroupBy::Prefecture {
        let level = if request.by == GroupBy::County {
            "county"
        } else {
            "township"
        };
        let wanted = |id: &str, r: &RegionInfo| -> bool {
            if r.level != level {
                return false;
            }
            match filter.as_ref() {
                None => true,
                Some(f) if f.level == "county" => match level {
                    "county" => id == f.id,
                    _ => r.parent.as_deref() == Some(f.id.as_str()),
                },
                Some(f) => match level {
                    "township" => id == f.id,
                    _ => regions.county_of(Some(&f.id), None).as_deref() == Some(id),
                },
            }
        };
        for (id, r) in &regions.by_id {
            if wanted(id, r) {
                groups
                    .entry(group_key(request.by, Some(id), Some(id)))
                    .or_default();
            }
        }
        for ((t, c), acc) in &accs {
            groups
                .entry(group_key(request.by, t.as_deref(), c.as_deref()))
                .or_default()
                .merge(acc);
        }
    }
    let mut total_acc = Acc::default();
    for acc in accs.values() {
        total_acc.merge(acc);
    }

    let cropland = |id: Option<&str>, level: &str| cropland_of(config, &regions, id, level);
    let compare = previous_period.is_some();
    let rows: Vec<RegionStats> = groups
        .into_iter()
        .map(|((t, c), acc)| {
            let (level, id, c) = match request.by {
                GroupBy::Township => ("township", t.clone(), regions.county_of(t.as_deref(), None)),
                _ => ("county", c.clone(), c),
            };
            let ha = cropland(id.as_deref(), level);
            finish(
                acc,
                level,
                id.clone(),
                regions.name(id.as_deref()),
                c.clone(),
                regions.name(c.as_deref()),
                ha,
                config,
                compare,
            )
        })
        .collect();
    let (total_level, total_id) = match &filter {
        Some(f) => (f.level.as_str(), Some(f.id.clone())),
        None => ("prefecture", None),
    };
    let total_ha = match &filter {
        Some(f) => cropland(Some(&f.id), &f.level),
        None => cropland(config.prefecture_code.as_deref(), "prefecture"),
    };
    let total_county = match &filter {
        Some(f) if f.level == "township" => regions.county_of(Some(&f.id), None),
        Some(f) => Some(f.id.clone()),
        None => None,
    };
    let total = finish(
        total_acc,
        total_level,
        total_id.clone(),
        match &filter {
            Some(f) => Some(f.name.clone()),
            None => config.prefecture_name.clone(),
        },
        total_county.clone(),
        regions.name(total_county.as_deref()),
        total_ha,
        config,
        compare,
    );
    let first_fire = first_fire(conn, &period, filter.as_ref(), &regions)?;
    let mut unverified: Vec<UnverifiedAlert> = unverified
        .into_iter()
        .filter(|u| {
            in_filter(
                filter.as_ref(),
                u.township_id.as_deref(),
                u.county_id.as_deref(),
            )
        })
        .collect();
    unverified.sort_by_key(|a| (a.first_seen, a.alert_id));

    Ok(StatsReport {
        deadlines: schedule.deadlines_on(period.from),
        period,
        previous_period,
        by: request.by,
        region: filter,
        prefecture_name: config.prefecture_name.clone(),
        as_of,
        false_alarm_outcomes: config.false_alarm_outcomes.clone(),
        rows,
        total,
        // Outside every township is outside any county too: a narrowed report has none, and a
        // county supervisor must not learn the prefecture's count from it.
        outside_detections: if narrowed { 0 } else { outside },
        first_fire,
        first_confirmed,
        unverified,
        daily: daily.into_values().collect(),
    })
}

/// Township rows are keyed by the township alone, county rows by the county alone.
fn group_key(by: GroupBy, township: Option<&str>, county: Option<&str>) -> Key {
    match by {
        GroupBy::Township => (township.map(str::to_owned), None),
        _ => (None, county.map(str::to_owned)),
    }
}

/// Cropland: the region's own entry in the configuration, else its area measured from the
/// cropland mask, else the sum over its children when every one of them has a figure (a
/// partial sum would overstate the points per hectare).
fn cropland_of(
    config: &ReportsConfig,
    regions: &Regions,
    id: Option<&str>,
    level: &str,
) -> Option<f64> {
    if let Some(ha) = id.and_then(|i| config.cropland_ha.get(i)) {
        return Some(*ha);
    }
    if let Some(ha) = id.and_then(|i| regions.measured_cropland.get(i)) {
        return Some(*ha);
    }
    let children: Vec<(&String, &RegionInfo)> = match level {
        "prefecture" => regions
            .by_id
            .iter()
            .filter(|(_, r)| r.level == "county")
            .collect(),
        "county" => {
            let id = id?;
            regions
                .by_id
                .iter()
                .filter(|(_, r)| r.level == "township" && r.parent.as_deref() == Some(id))
                .collect()
        }
        _ => return None,
    };
    if children.is_empty() {
        return None;
    }
    let child_level = if level == "prefecture" {
        "county"
    } else {
        "township"
    };
    children
        .iter()
        .map(|(cid, _)| cropland_of(config, regions, Some(cid), child_level))
        .sum()
}

#[allow(clippy::too_many_arguments)]
fn finish(
    mut acc: Acc,
    level: &str,
    region_id: Option<String>,
    name: Option<String>,
    county_id: Option<String>,
    county_name: Option<String>,
    cropland_ha: Option<f64>,
    config: &ReportsConfig,
    compare: bool,
) -> RegionStats {
    let mut outcomes: BTreeMap<String, u64> = ALL_OUTCOMES
        .iter()
        .map(|o| (o.as_str().to_owned(), 0))
        .collect();
    for (o, n) in &acc.outcomes {
        outcomes.insert(o.as_str().to_owned(), *n);
    }
    let false_alarms: u64 = config
        .false_alarm_outcomes
        .iter()
        .map(|o| acc.outcomes.get(o).copied().unwrap_or(0))
        .sum();
    let not_judged: u64 = [Outcome::Duplicate, Outcome::OutsideJurisdiction]
        .iter()
        .map(|o| acc.outcomes.get(o).copied().unwrap_or(0))
        .sum();
    let judged = acc.verified.saturating_sub(not_judged);
    let response = |v: &mut Vec<f64>, missed: u64| {
        v.sort_by(f64::total_cmp);
        Response {
            reached: v.len() as u64,
            median_min: median(v),
            p90_min: p90(v),
            missed,
        }
    };
    let alerts = AlertCounts {
        total: acc.alerts,
        verified: acc.verified,
        outcomes,
        false_alarms,
        false_alarm_share: (judged > 0).then(|| false_alarms as f64 / judged as f64),
        burned_area_mu: acc.burned_mu,
        burned_area_reports: acc.burned_reports,
        received: response(&mut acc.received, acc.missed[0]),
        on_scene: response(&mut acc.on_scene, acc.missed[1]),
        verified_response: response(&mut acc.verified_min, acc.missed[2]),
        never_verified: acc.never_verified,
        overdue_unverified: acc.overdue,
        cancelled: acc.cancelled,
    };
    RegionStats {
        level: level.to_owned(),
        region_id,
        name,
        county_id,
        county_name,
        points_per_1000_ha: cropland_ha.map(|ha| acc.det.points as f64 * 1000.0 / ha),
        detections: acc.det,
        events: acc.events,
        alerts,
        cropland_ha,
        previous: compare.then_some(acc.prev),
    }
}

impl DetectionCounts {
    fn merge_counts(&mut self, o: &DetectionCounts) {
        self.satellite += o.satellite;
        self.camera += o.camera;
        self.points += o.points;
        self.suppressed += o.suppressed;
        self.not_straw += o.not_straw;
        for (k, v) in &o.suppressed_by {
            *self.suppressed_by.entry(k.clone()).or_default() += v;
        }
    }
}

/// Camera detections carry their source as `camera:<id>`; everything else is a satellite product.
pub(crate) fn is_camera(source: &str) -> bool {
    source.starts_with("camera")
}

/// The figures of each (township, county) met so far. A season's alerts are looked up here
/// 100,000 times, so a key is found by borrowed text and allocated only the first time.
#[derive(Default)]
struct Accs {
    by_township: HashMap<String, Vec<(Option<String>, usize)>>,
    no_township: Vec<(Option<String>, usize)>,
    slots: Vec<(Key, Acc)>,
}

impl Accs {
    fn get(&mut self, regions: &Regions, township: Option<&str>, county: Option<&str>) -> &mut Acc {
        // A record's county: as routed, else the township's parent.
        let county = county.or_else(|| {
            township
                .and_then(|t| regions.by_id.get(t))
                .and_then(|r| r.parent.as_deref())
        });
        let list = match township {
            Some(t) => self.by_township.get(t),
            None => Some(&self.no_township),
        };
        let found = list
            .and_then(|v| v.iter().find(|(c, _)| c.as_deref() == county))
            .map(|(_, i)| *i);
        let i = match found {
            Some(i) => i,
            None => {
                let i = self.slots.len();
                let entry = (county.map(str::to_owned), i);
                match township {
                    Some(t) => self
                        .by_township
                        .entry(t.to_owned())
                        .or_default()
                        .push(entry),
                    None => self.no_township.push(entry),
                }
                let key = (township.map(str::to_owned), county.map(str::to_owned));
                self.slots.push((key, Acc::default()));
                i
            }
        };
        &mut self.slots[i].1
    }
}

/// Detections of the period, grouped; returns how many lay outside every township.
fn detections(
    conn: &Connection,
    period: &Period,
    regions: &Regions,
    accs: &mut Accs,
    apply: impl Fn(&mut Acc, &DetectionCounts),
) -> Result<u64, StatsError> {
    // `detection_counts` is kept per local day by triggers in the store (migration 0003), so a
    // season is a few thousand rows whatever the number of detections.
    let mut stmt = conn.prepare_cached(
        "SELECT region_id, county_id, source, reason, not_straw, SUM(n)
         FROM detection_counts WHERE day >= ?1 AND day <= ?2
         GROUP BY 1, 2, 3, 4, 5",
    )?;
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut rows = stmt.query(params![day(period.from), day(period.to)])?;
    let mut outside = 0;
    while let Some(r) = rows.next()? {
        let some = |s: String| (!s.is_empty()).then_some(s);
        let township = some(r.get(0)?);
        let county = some(r.get(1)?);
        let source: String = r.get(2)?;
        let reason = some(r.get(3)?);
        let not_straw = r.get::<_, i64>(4)? != 0;
        let n = r.get::<_, i64>(5)?;
        if n == 0 {
            continue;
        }
        let n = u64::try_from(n).map_err(|_| StatsError::Corrupt {
            column: "detection_counts.n",
            value: n.to_string(),
        })?;
        let mut c = DetectionCounts::default();
        let camera = is_camera(&source);
        if camera {
            c.camera = n;
        } else {
            c.satellite = n;
        }
        match reason {
            Some(kind) => {
                c.suppressed = n;
                c.suppressed_by.insert(kind, n);
            }
            None if not_straw => c.not_straw = n,
            None if !camera => c.points = n,
            None => {}
        }
        if township.is_none() {
            outside += n;
            continue;
        }
        apply(
            accs.get(regions, township.as_deref(), county.as_deref()),
            &c,
        );
    }
    Ok(outside)
}

/// Fire points per local day, for the charts.
fn daily_points(
    conn: &Connection,
    period: &Period,
    regions: &Regions,
    filter: Option<&RegionRef>,
    daily: &mut BTreeMap<NaiveDate, DailyCount>,
) -> Result<(), StatsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, region_id, county_id, SUM(n) FROM detection_counts
         WHERE day >= ?1 AND day <= ?2 AND reason = '' AND not_straw = 0 AND region_id <> ''
           AND source NOT LIKE 'camera%'
         GROUP BY 1, 2, 3",
    )?;
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut rows = stmt.query(params![day(period.from), day(period.to)])?;
    while let Some(r) = rows.next()? {
        let t = r.get_ref(1)?.as_str()?;
        let c = Some(r.get_ref(2)?.as_str()?).filter(|c| !c.is_empty());
        if !in_filter(filter, Some(t), regions.county_ref(Some(t), c)) {
            continue;
        }
        let text = r.get_ref(0)?.as_str()?;
        let date =
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| StatsError::Corrupt {
                column: "detection_counts.day",
                value: text.to_owned(),
            })?;
        if let Some(d) = daily.get_mut(&date) {
            d.points += u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0);
        }
    }
    Ok(())
}

fn events(
    conn: &Connection,
    period: &Period,
    regions: &Regions,
    accs: &mut Accs,
    apply: impl Fn(&mut Acc, u64),
) -> Result<(), StatsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT region_id, county_id, COUNT(*) FROM events INDEXED BY events_first_seen
         WHERE first_seen >= ?1 AND first_seen < ?2 GROUP BY 1, 2",
    )?;
    let mut rows = stmt.query(params![
        store_text(period.start_utc),
        store_text(period.end_utc)
    ])?;
    while let Some(r) = rows.next()? {
        let n = r.get::<_, i64>(2)? as u64;
        let (t, c) = (
            r.get_ref(0)?.as_str_or_null()?,
            r.get_ref(1)?.as_str_or_null()?,
        );
        apply(accs.get(regions, t, c), n);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)] // one pass fills every figure the alerts feed
/// Alerts of the period with the first time each field step was reached (by `as_of`); returns
/// the unverified ones and the first fire confirmed as straw burning.
fn alerts(
    conn: &Connection,
    schedule: &Schedule,
    period: &Period,
    as_of: DateTime<Utc>,
    regions: &Regions,
    filter: Option<&RegionRef>,
    accs: &mut Accs,
    daily: &mut BTreeMap<NaiveDate, DailyCount>,
) -> Result<(Vec<UnverifiedAlert>, Option<FirstFire>), StatsError> {
    // `alert_steps` holds the first time each alert entered each state (kept by a trigger on
    // the append-only transitions, migration 0003); whatever happened after `as_of` is ignored.
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.region_id, a.county_id, a.created_at, e.first_seen, e.lon, e.lat,
                s.dispatched_at, s.received_at, s.en_route_at, s.on_scene_at, s.verified_at,
                s.closed_at, s.cancelled_at, s.outcome, s.burned_area_mu, s.note
         FROM events e INDEXED BY events_first_seen
         JOIN alerts a ON a.event_id = e.id
         LEFT JOIN alert_steps s ON s.alert_id = a.id
         WHERE e.first_seen >= ?1 AND e.first_seen < ?2",
    )?;
    let mut rows = stmt.query(params![
        store_text(period.start_utc),
        store_text(period.end_utc)
    ])?;
    let as_of_s = as_of.timestamp();
    let mut unverified = Vec::new();
    let mut first_confirmed: Option<FirstFire> = None;
    // The deadlines of each local day (a season may set its own).
    let mut deadlines_of_day: HashMap<i64, Deadlines> = HashMap::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let township = r.get_ref(1)?.as_str_or_null()?;
        let county = r.get_ref(2)?.as_str_or_null()?;
        let created_s = epoch("alerts.created_at", r.get_ref(3)?.as_str()?)?;
        let created = utc_from(created_s);
        let first_seen_s = epoch("events.first_seen", r.get_ref(4)?.as_str()?)?;
        let first_seen = utc_from(first_seen_s);
        // Seconds of each state's entry (dispatched … cancelled), if it happened by `as_of`.
        let mut entered = [None; 7];
        for (i, slot) in entered.iter_mut().enumerate() {
            if let Some(text) = r.get_ref(7 + i)?.as_str_or_null()? {
                let t = epoch("alert_steps", text)?;
                *slot = (t <= as_of_s).then_some(t);
            }
        }
        let first_of = |states: &[usize]| states.iter().filter_map(|&i| entered[i]).min();
        // A step counts as reached when it or any later field step was recorded.
        let reached = [
            first_of(&[1, 2, 3, 4, 5]),
            first_of(&[3, 4, 5]),
            first_of(&[4, 5]),
        ];
        let verified = entered[4].is_some();
        let outcome = match r.get_ref(14)?.as_str_or_null()? {
            Some(s) if verified => Some(Outcome::parse(s).ok_or(StatsError::Corrupt {
                column: "alert_steps.outcome",
                value: s.to_owned(),
            })?),
            _ => None,
        };
        let cancelled = entered[6].is_some();
        // States only move forward, so the furthest one entered is the current one.
        const STATES: [AlertState; 7] = [
            AlertState::Dispatched,
            AlertState::Received,
            AlertState::EnRoute,
            AlertState::OnScene,
            AlertState::Verified,
            AlertState::Closed,
            AlertState::Cancelled,
        ];
        let last_state = (0..7)
            .rev()
            .find(|&i| entered[i].is_some())
            .map(|i| STATES[i])
            .unwrap_or(AlertState::New);

        // The deadlines of the fire's first day, counted from the alert — as the notifier does.
        let deadlines = *deadlines_of_day
            .entry((first_seen_s + 8 * 3600).div_euclid(86_400))
            .or_insert_with(|| schedule.deadlines_for(first_seen));
        let due = Step::ALL.map(|s| deadlines.due(s, created).timestamp());
        let age = (as_of_s - created_s) as f64 / 60.0;
        let (lon, lat): (f64, f64) = (r.get(5)?, r.get(6)?);
        if in_filter(filter, township, regions.county_ref(township, county)) {
            if let Some(d) = daily.get_mut(&local_date_of(first_seen)) {
                d.alerts += 1;
                d.confirmed_straw_burns += (outcome == Some(Outcome::ConfirmedStrawBurn)) as u64;
            }
        }
        let acc = accs.get(regions, township, county);
        acc.alerts += 1;
        for (i, at) in reached.iter().enumerate() {
            let took = at.map(|at| (at - created_s) as f64 / 60.0);
            if let Some(m) = took {
                match i {
                    0 => acc.received.push(m),
                    1 => acc.on_scene.push(m),
                    _ => acc.verified_min.push(m),
                }
            }
            // A cancelled alert is not judged: someone decided it needed no visit.
            if !cancelled && at.unwrap_or(as_of_s) > due[i] {
                acc.missed[i] += 1;
            }
        }
        if let Some(o) = outcome {
            acc.verified += 1;
            *acc.outcomes.entry(o).or_default() += 1;
            let area: Option<f64> = r.get(15)?;
            let note = r.get_ref(16)?.as_str_or_null()?;
            if let Some(mu) = area.or_else(|| note.and_then(burned_area_from_note)) {
                acc.burned_mu += mu;
                acc.burned_reports += 1;
            }
            let earlier = first_confirmed
                .as_ref()
                .is_none_or(|f| (first_seen, id) < (f.at, f.alert_id.unwrap_or(i64::MAX)));
            if o == Outcome::ConfirmedStrawBurn && earlier {
                let county = regions.county_of(township, county);
                if in_filter(filter, township, county.as_deref()) {
                    first_confirmed = Some(FirstFire {
                        at: first_seen,
                        lon,
                        lat,
                        township_id: township.map(str::to_owned),
                        township_name: regions.name(township),
                        county_name: regions.name(county.as_deref()),
                        county_id: county,
                        detection_id: None,
                        satellite: None,
                        alert_id: Some(id),
                        outcome: Some(o),
                    });
                }
            }
        }
        if cancelled {
            acc.cancelled += 1;
        } else if reached[2].is_none() {
            acc.never_verified += 1;
            let overdue = as_of_s > due[2];
            if overdue {
                acc.overdue += 1;
            }
            let county = regions.county_of(township, county);
            unverified.push(UnverifiedAlert {
                alert_id: id,
                township_name: regions.name(township),
                township_id: township.map(str::to_owned),
                county_name: regions.name(county.as_deref()),
                county_id: county,
                lon,
                lat,
                first_seen,
                alerted_at: created,
                state: last_state.as_str().to_owned(),
                age_hours: age / 60.0,
                overdue,
            });
        }
    }
    Ok((unverified, first_confirmed))
}

/// Alerts and confirmed burns a year earlier (the headline only).
fn previous_alerts(
    conn: &Connection,
    period: &Period,
    as_of: DateTime<Utc>,
    regions: &Regions,
    accs: &mut Accs,
) -> Result<(), StatsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.region_id, a.county_id, COUNT(*),
                SUM(s.outcome = 'confirmed_straw_burn' AND s.verified_at <= ?3)
         FROM events e INDEXED BY events_first_seen
         JOIN alerts a ON a.event_id = e.id
         LEFT JOIN alert_steps s ON s.alert_id = a.id
         WHERE e.first_seen >= ?1 AND e.first_seen < ?2
         GROUP BY 1, 2",
    )?;
    let mut rows = stmt.query(params![
        store_text(period.start_utc),
        store_text(period.end_utc),
        store_text(as_of)
    ])?;
    while let Some(r) = rows.next()? {
        let (t, c) = (
            r.get_ref(0)?.as_str_or_null()?,
            r.get_ref(1)?.as_str_or_null()?,
        );
        let acc = accs.get(regions, t, c);
        acc.prev.alerts += r.get::<_, i64>(2)? as u64;
        acc.prev.confirmed_straw_burns += r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64;
    }
    Ok(())
}

/// The filter as SQL over a table with `region_id` and `county_id` columns: (clause, argument).
fn filter_sql(filter: Option<&RegionRef>, alias: &str) -> (String, Option<String>) {
    match filter {
        None => (String::new(), None),
        Some(f) if f.level == "county" => {
            (format!(" AND {alias}.county_id = ?3"), Some(f.id.clone()))
        }
        Some(f) => (format!(" AND {alias}.region_id = ?3"), Some(f.id.clone())),
    }
}

/// The period's first fire point: when, where, which township (第一把火).
fn first_fire(
    conn: &Connection,
    period: &Period,
    filter: Option<&RegionRef>,
    regions: &Regions,
) -> Result<Option<FirstFire>, StatsError> {
    let (clause, arg) = filter_sql(filter, "d");
    let sql = format!(
        "SELECT d.id, d.acq_time, d.lon, d.lat, d.region_id, d.county_id, d.satellite, a.id, a.outcome
         FROM detections d INDEXED BY detections_acq_time
         LEFT JOIN alerts a ON a.event_id = d.event_id
         WHERE d.acq_time >= ?1 AND d.acq_time < ?2 AND d.suppressed_by IS NULL
           AND d.region_id IS NOT NULL AND d.fire_class IS NOT 'not_straw'
           AND d.source NOT LIKE 'camera%'{clause}
         ORDER BY d.acq_time, d.id LIMIT 1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let (a, b) = (store_text(period.start_utc), store_text(period.end_utc));
    let map = |r: &rusqlite::Row<'_>| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, f64>(2)?,
            r.get::<_, f64>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, Option<i64>>(7)?,
            r.get::<_, Option<String>>(8)?,
        ))
    };
    let row = match &arg {
        Some(x) => stmt.query_row(params![a, b, x], map).optional()?,
        None => stmt.query_row(params![a, b], map).optional()?,
    };
    let Some((id, at, lon, lat, t, c, sat, alert, outcome)) = row else {
        return Ok(None);
    };
    let county = regions.county_of(t.as_deref(), c.as_deref());
    Ok(Some(FirstFire {
        at: parse_stored("detections.acq_time", &at)?,
        lon,
        lat,
        township_name: regions.name(t.as_deref()),
        township_id: t,
        county_name: regions.name(county.as_deref()),
        county_id: county,
        detection_id: Some(id),
        satellite: Some(sat),
        alert_id: alert,
        outcome: outcome.as_deref().and_then(Outcome::parse),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_follow_their_definitions() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 10.0, 20.0]), Some(6.0));
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(p90(&v), Some(9.0));
        let v: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(p90(&v), Some(10.0));
        assert_eq!(p90(&[7.0]), Some(7.0));
    }

    #[test]
    fn burned_area_is_read_from_the_note() {
        assert_eq!(burned_area_from_note("约3亩"), Some(3.0));
        assert_eq!(burned_area_from_note("过火约2.5 亩，已扑灭"), Some(2.5));
        assert_eq!(burned_area_from_note("已扑灭"), None);
        assert_eq!(burned_area_from_note("亩"), None);
    }
}
