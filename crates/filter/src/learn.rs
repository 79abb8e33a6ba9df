//! Learned persistent anomalies: a place that shows fire on many distinct days, in many months,
//! at night and outside the harvest windows is a factory, a flare or a burning gangue heap, not
//! straw (the recurrence-mask idea of the published approaches for China).
//!
//! Detections are binned on a grid (about 0.004°, roughly one VIIRS pixel). Each cell is judged on
//! its 3 × 3 neighbourhood, because one site's pixels scatter over neighbouring cells from pass to
//! pass. A distinct local day counts 1, times `night_weight` if a detection that day was at
//! night, times `off_season_weight` if the day is outside every harvest window. Cells passing
//! `min_days`, `min_months` and `min_score` are joined with their qualifying neighbours into one
//! place, proposed as a candidate with its evidence. Nothing is held back until an operator
//! approves it.

use crate::registry::RegistryFilter;
use crate::FilterError;
use burnwatch_core::filter_config::FilterConfig;
use burnwatch_core::geodesy::haversine_km;
use burnwatch_core::DayNight;
use burnwatch_core::Seasons;
use burnwatch_store::{
    CandidateEvidence, CandidateStatus, HistoryPoint, NewCandidate, SourceStore,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;

/// A place the learner (or the verification feedback) thinks is a persistent heat source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedPlace {
    pub lon: f64,
    pub lat: f64,
    pub buffer_km: f64,
    pub evidence: CandidateEvidence,
}

/// China's civil time (UTC+8, no daylight saving): days and seasons are local dates.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(8)).date_naive()
}

/// The product's day/night flag, or else local solar time (before 06:00 or from 18:00).
pub fn is_night(p: &HistoryPoint) -> bool {
    match p.day_night {
        Some(dn) => dn == DayNight::Night,
        None => {
            let utc_hours = p.acq_time.hour() as f64 + p.acq_time.minute() as f64 / 60.0;
            let solar = (utc_hours + p.lon / 15.0).rem_euclid(24.0);
            !(6.0..18.0).contains(&solar)
        }
    }
}

/// What one set of detections says about a place.
#[derive(Default)]
struct Tally {
    /// Local day → (a detection at night that day, day outside every harvest window).
    days: BTreeMap<NaiveDate, (bool, bool)>,
    detections: usize,
    night: usize,
    off_season: usize,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl Tally {
    fn add(&mut self, p: &HistoryPoint, night: bool, off: bool) {
        let e = self
            .days
            .entry(local_date(p.acq_time))
            .or_insert((false, off));
        e.0 |= night;
        self.detections += 1;
        self.night += night as usize;
        self.off_season += off as usize;
        self.first = Some(self.first.map_or(p.acq_time, |f| f.min(p.acq_time)));
        self.last = Some(self.last.map_or(p.acq_time, |l| l.max(p.acq_time)));
    }

    fn months(&self) -> usize {
        self.days
            .keys()
            .map(|d| (d.year(), d.month()))
            .collect::<BTreeSet<_>>()
            .len()
    }

    fn score(&self, config: &FilterConfig) -> f64 {
        let l = &config.learn;
        self.days
            .values()
            .map(|&(night, off)| {
                (if night { l.night_weight } else { 1.0 })
                    * (if off { l.off_season_weight } else { 1.0 })
            })
            .sum()
    }

    fn qualifies(&self, config: &FilterConfig) -> bool {
        let l = &config.learn;
        self.days.len() >= l.min_days as usize
            && self.months() >= l.min_months as usize
            && self.score(config) >= l.min_score
    }

    fn evidence(&self, config: &FilterConfig) -> Option<CandidateEvidence> {
        let n = self.detections.max(1) as f64;
        Some(CandidateEvidence {
            days: self.days.len() as i64,
            months: self.months() as i64,
            detections: self.detections as i64,
            night_share: self.night as f64 / n,
            off_season_share: self.off_season as f64 / n,
            score: self.score(config),
            first_seen: self.first?,
            last_seen: self.last?,
            extra: None,
        })
    }
}

type Cell = (i64, i64);

const NEIGHBOURS: [(i64, i64); 9] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (0, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// Finds persistent places in a detection history; a day outside the `[[seasons]]`
/// (`Seasons::in_season`) weighs `learn.off_season_weight` times.
pub fn learn(
    points: &[HistoryPoint],
    config: &FilterConfig,
    seasons: &Seasons,
) -> Vec<LearnedPlace> {
    let cell_deg = config.learn.cell_deg;
    let flags: Vec<(bool, bool)> = points
        .iter()
        .map(|p| (is_night(p), !seasons.in_season(local_date(p.acq_time))))
        .collect();
    let mut cells: HashMap<Cell, Vec<usize>> = HashMap::new();
    for (i, p) in points.iter().enumerate() {
        let key = (
            (p.lon / cell_deg).floor() as i64,
            (p.lat / cell_deg).floor() as i64,
        );
        cells.entry(key).or_default().push(i);
    }
    let tally_of = |cell_set: &mut dyn Iterator<Item = Cell>| {
        let mut t = Tally::default();
        for c in cell_set {
            for &i in cells.get(&c).into_iter().flatten() {
                t.add(&points[i], flags[i].0, flags[i].1);
            }
        }
        t
    };
    let qualifying: HashSet<Cell> = cells
        .keys()
        .copied()
        .filter(|&(x, y)| {
            tally_of(&mut NEIGHBOURS.iter().map(|(dx, dy)| (x + dx, y + dy))).qualifies(config)
        })
        .collect();

    // Qualifying cells that touch are one place.
    let mut seen: HashSet<Cell> = HashSet::new();
    let mut ordered: Vec<Cell> = qualifying.iter().copied().collect();
    ordered.sort_unstable();
    let mut places = Vec::new();
    for start in ordered {
        if !seen.insert(start) {
            continue;
        }
        let mut component = vec![start];
        let mut queue = VecDeque::from([start]);
        while let Some((x, y)) = queue.pop_front() {
            for (dx, dy) in NEIGHBOURS {
                let n = (x + dx, y + dy);
                if qualifying.contains(&n) && seen.insert(n) {
                    component.push(n);
                    queue.push_back(n);
                }
            }
        }
        let core: Vec<usize> = component
            .iter()
            .flat_map(|c| cells.get(c).into_iter().flatten().copied())
            .collect();
        let ring: BTreeSet<Cell> = component
            .iter()
            .flat_map(|&(x, y)| NEIGHBOURS.iter().map(move |(dx, dy)| (x + dx, y + dy)))
            .collect();
        let members: Vec<usize> = ring
            .iter()
            .flat_map(|c| cells.get(c).into_iter().flatten().copied())
            .collect();
        // The median of the core is robust to a stray crop fire in the ring.
        let lon = median(core.iter().map(|&i| points[i].lon));
        let lat = median(core.iter().map(|&i| points[i].lat));
        let mut dist: Vec<f64> = members
            .iter()
            .map(|&i| haversine_km(lon, lat, points[i].lon, points[i].lat))
            .collect();
        dist.sort_by(f64::total_cmp);
        let p90 = dist
            .get((dist.len() * 9 / 10).min(dist.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0);
        let tally = tally_of(&mut ring.iter().copied());
        if let Some(evidence) = tally.evidence(config) {
            places.push(LearnedPlace {
                lon,
                lat,
                buffer_km: p90.clamp(config.learn.min_buffer_km, config.learn.max_buffer_km),
                evidence,
            });
        }
    }
    // One site's coarse pixels (a MODIS pixel at the scan edge is 4.8 km wide) can scatter
    // beyond its neighbourhood and qualify a few cells of their own: a weaker place whose buffer
    // touches a stronger one's is part of it.
    places.sort_by(|a, b| b.evidence.score.total_cmp(&a.evidence.score));
    let mut kept: Vec<LearnedPlace> = Vec::with_capacity(places.len());
    for p in places {
        if kept
            .iter()
            .all(|k| haversine_km(k.lon, k.lat, p.lon, p.lat) > k.buffer_km + p.buffer_km)
        {
            kept.push(p);
        }
    }
    kept
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// What happened to each learned place.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProposeReport {
    /// New pending candidates.
    pub new: Vec<i64>,
    /// Known candidates with fresh evidence (with their status: a rejected place stays rejected).
    pub updated: Vec<(i64, CandidateStatus)>,
    /// Places whose buffer touches a registry entry's (the entry, or its stray pixels), by the
    /// entry's reason.
    pub registered: Vec<String>,
}

/// Stores places as candidates of `origin` ("learned" or "feedback"): a place whose buffer
/// touches a registered site's is skipped (it is that site, or its coarse pixels), a place at a known candidate of the same origin refreshes its evidence
/// (whatever its status, so a rejected place is not proposed again), any other place is new.
pub fn propose<S: SourceStore>(
    store: &mut S,
    places: &[LearnedPlace],
    origin: &str,
    config: &FilterConfig,
) -> Result<ProposeReport, FilterError> {
    let registry = RegistryFilter::new(&store.industrial_sources()?, &config.registry)?;
    let mut known: Vec<_> = store
        .candidates(None)?
        .into_iter()
        .filter(|c| c.origin == origin)
        .collect();
    let mut report = ProposeReport::default();
    for p in places {
        if let Some(reason) = registry.site_within(p.lon, p.lat, p.buffer_km) {
            report.registered.push(reason.to_owned());
            continue;
        }
        let same = known
            .iter()
            .filter(|c| haversine_km(c.lon, c.lat, p.lon, p.lat) <= c.buffer_km.max(p.buffer_km))
            .min_by(|a, b| {
                haversine_km(a.lon, a.lat, p.lon, p.lat)
                    .total_cmp(&haversine_km(b.lon, b.lat, p.lon, p.lat))
            });
        match same {
            Some(c) => {
                store.update_candidate(c.id, p.lon, p.lat, p.buffer_km, &p.evidence)?;
                report.updated.push((c.id, c.status));
            }
            None => {
                let id = store.insert_candidate(&NewCandidate {
                    origin: origin.to_owned(),
                    lon: p.lon,
                    lat: p.lat,
                    buffer_km: p.buffer_km,
                    evidence: p.evidence.clone(),
                })?;
                report.new.push(id);
                known = store
                    .candidates(None)?
                    .into_iter()
                    .filter(|c| c.origin == origin)
                    .collect();
            }
        }
    }
    Ok(report)
}

/// One FIRMS archive (or any product) file read for learning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiveFile {
    pub path: PathBuf,
    pub format: String,
    pub detections: usize,
    pub rows_rejected: usize,
}

/// Reads product files (typically FIRMS archive downloads of past years) as history, without
/// storing them as detections: a year-old fire must not raise an alert today.
pub fn archive_points(
    paths: &[PathBuf],
) -> Result<(Vec<HistoryPoint>, Vec<ArchiveFile>), FilterError> {
    let mut points = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let parsed = burnwatch_ingest::parse_file(path).map_err(|e| FilterError::File {
            path: path.clone(),
            message: e.to_string(),
        })?;
        files.push(ArchiveFile {
            path: path.clone(),
            format: parsed.format.as_str().to_owned(),
            detections: parsed.detections.len(),
            rows_rejected: parsed.rejected.len(),
        });
        points.extend(parsed.detections.into_iter().map(|d| HistoryPoint {
            lon: d.lon,
            lat: d.lat,
            acq_time: d.acq_time,
            day_night: d.day_night,
        }));
    }
    Ok((points, files))
}

/// What `burnwatch sources learn` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnRun {
    pub history_points: usize,
    pub archive_points: usize,
    pub archives: Vec<ArchiveFile>,
    pub places: Vec<LearnedPlace>,
    pub learned: ProposeReport,
    pub feedback_places: Vec<LearnedPlace>,
    pub feedback: ProposeReport,
}

/// Learns from the store's detections in `[from, to)` and from archive files (the same pixel
/// from both counts once), proposes the places found, and proposes the places that field
/// verifications keep calling industrial heat.
pub fn learn_and_propose<S: SourceStore>(
    store: &mut S,
    config: &FilterConfig,
    seasons: &Seasons,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    archives: &[PathBuf],
) -> Result<LearnRun, FilterError> {
    let history = store.detection_history(from, to)?;
    let (archived, files) = archive_points(archives)?;
    let archived: Vec<HistoryPoint> = archived
        .into_iter()
        .filter(|p| within(p.acq_time, from, to))
        .collect();
    let (history_points, archive_points) = (history.len(), archived.len());
    let mut seen = HashSet::new();
    let points: Vec<HistoryPoint> = history
        .into_iter()
        .chain(archived)
        .filter(|p| {
            seen.insert((
                p.acq_time.timestamp() / 60,
                (p.lat * 1e4).round() as i64,
                (p.lon * 1e4).round() as i64,
            ))
        })
        .collect();
    let places = learn(&points, config, seasons);
    let learned = propose(store, &places, "learned", config)?;
    let feedback_places =
        crate::feedback::places(&store.industrial_verifications()?, config, seasons);
    let feedback = propose(store, &feedback_places, "feedback", config)?;
    Ok(LearnRun {
        history_points,
        archive_points,
        archives: files,
        places,
        learned,
        feedback_places,
        feedback,
    })
}

/// Whether `t` lies in `[from, to)`; an absent bound is open.
fn within(t: DateTime<Utc>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> bool {
    from.iter().all(|f| *f <= t) && to.iter().all(|e| t < *e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn point(lon: f64, lat: f64, day: NaiveDate, hour: u32, night: bool) -> HistoryPoint {
        HistoryPoint {
            lon,
            lat,
            acq_time: Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap()),
            day_night: Some(if night {
                DayNight::Night
            } else {
                DayNight::Day
            }),
        }
    }

    #[test]
    fn a_site_burning_all_year_at_night_is_found_and_a_field_is_not() {
        let config = FilterConfig::default();
        let mut pts = Vec::new();
        let start = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        // A plant: every fifth night for nine months, pixels scattered ±300 m.
        for k in (0..270).step_by(5) {
            let day = start + Duration::days(k);
            let j = (k as f64 * 0.37).sin() * 0.003;
            pts.push(point(116.5 + j, 35.2 - j, day, 18, true));
        }
        // A field burnt on 6 days in both harvests, by day (and once at night).
        for (m, d) in [(6, 5), (6, 9), (6, 14), (10, 8), (10, 12), (10, 20)] {
            let day = NaiveDate::from_ymd_opt(2025, m, d).unwrap();
            pts.push(point(116.7, 35.1, day, 5, d == 20));
        }
        let places = learn(&pts, &config, &Seasons::default());
        assert_eq!(places.len(), 1, "{places:?}");
        let p = &places[0];
        assert!(haversine_km(p.lon, p.lat, 116.5, 35.2) < 0.5);
        assert_eq!(p.evidence.days, 54);
        assert_eq!(p.evidence.months, 9);
        assert_eq!(p.evidence.night_share, 1.0);
        assert!(p.evidence.off_season_share > 0.6);
        assert!(p.buffer_km >= config.learn.min_buffer_km);
    }

    #[test]
    fn night_is_the_product_flag_or_solar_time() {
        let day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let mut p = point(116.0, 35.0, day, 18, false);
        assert!(!is_night(&p));
        p.day_night = None;
        // 18:00 UTC at 116°E is 01:44 local solar time.
        assert!(is_night(&p));
        p.acq_time = Utc.from_utc_datetime(&day.and_hms_opt(5, 0, 0).unwrap());
        assert!(!is_night(&p));
    }
}
