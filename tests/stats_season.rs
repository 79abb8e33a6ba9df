//! A simulated season through the real pipeline (daily FIRMS files of the demo prefecture with
//! industrial sites, crop fires and a cropland mask, and the year before from a FIRMS archive),
//! patrols answering the alerts at random, and then `compute` checked figure by figure against
//! a second, deliberately naive computation: every raw row read without any WHERE clause, dates
//! compared as local calendar dates, steps found by walking each alert's transitions.

use burnwatch_core::alert::{AlertState, Outcome, ALL_OUTCOMES};
use burnwatch_core::reports_config::ReportsConfig;
use burnwatch_core::schedule::{DeadlineOverrides, Schedule, Season, Seasons};
use burnwatch_core::Config;
use burnwatch_filter::{import_sources, prepare_store, ImportOptions};
use burnwatch_pipeline::{Pipeline, Routing};
use burnwatch_stats::{compute, GroupBy, PeriodSpec, RegionStats, StatsReport, StatsRequest};
use burnwatch_store::{AlertFilter, SqliteStore, Store, TransitionRequest};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

fn date_of(p: &Path) -> Option<NaiveDate> {
    let name = p.file_name()?.to_string_lossy().to_string();
    (0..name.len().saturating_sub(9)).find_map(|i| {
        name.get(i..i + 10)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    })
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The season's files through the pipeline, then patrols at work. Returns the store's path.
fn simulated_season(dir: &Path) -> (PathBuf, ReportsConfig, Schedule, DateTime<Utc>) {
    burnwatch_sim::season::write_season(dir, 11).unwrap();
    let mut config = Config::load(&dir.join("burnwatch.toml")).unwrap();
    config.ingest.quarantine_dir = dir.join("quarantine");
    let db = dir.join("season.sqlite");
    let mut store = SqliteStore::open(&db).unwrap();
    let routing = Routing::load(&config.regions).unwrap();
    store
        .replace_regions(&routing.region_rows().unwrap())
        .unwrap();
    import_sources(
        &mut store,
        &dir.join("registry/industrial.csv"),
        &ImportOptions::default(),
        &config.filter.registry,
    )
    .unwrap();
    let filters = prepare_store(&config.filter, &store).unwrap();
    let mut pipeline = Pipeline::new(store, routing, filters, &config);
    // The summer window and a week either side, so some records fall just outside it.
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("daily"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| date_of(p).is_some_and(|x| x >= d(2025, 5, 12) && x <= d(2025, 8, 7)))
        .collect();
    files.sort_by_key(|p| (date_of(p), p.clone()));
    assert!(files.len() > 150, "{} daily files", files.len());
    files.push(dir.join("archive/fire_archive_SV-C2_DEMO_2024.csv"));
    for f in &files {
        let r = pipeline.ingest_file(f).unwrap();
        assert!(r.error.is_none(), "{}: {:?}", f.display(), r.error);
    }
    let mut store = pipeline.into_store();

    // Patrols: most receive, go out and verify at random delays; some never do; a few alerts
    // are cancelled; notes sometimes state the burned area.
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let alerts = store.alerts(&AlertFilter::default()).unwrap();
    assert!(alerts.len() > 100, "{} alerts", alerts.len());
    let mut last = Utc::now();
    for a in &alerts {
        let mut at = a.created_at;
        let mut go =
            |to: AlertState, at: DateTime<Utc>, outcome: Option<Outcome>, note: Option<String>| {
                store
                    .transition_alert(&TransitionRequest {
                        alert_id: a.alert_id,
                        to,
                        actor: "patrol".into(),
                        at,
                        outcome,
                        reason: (to == AlertState::Cancelled).then(|| "duplicate".to_owned()),
                        note,
                    })
                    .unwrap();
            };
        let r: f64 = rng.random();
        if r < 0.05 {
            at += Duration::minutes(rng.random_range(1..300));
            go(AlertState::Cancelled, at, None, None);
        } else if r < 0.12 {
            // Never touched.
        } else {
            at += Duration::seconds(rng.random_range(30..5400));
            go(AlertState::Received, at, None, None);
            if rng.random::<f64>() < 0.1 {
                continue;
            }
            if rng.random::<f64>() < 0.7 {
                at += Duration::seconds(rng.random_range(60..7200));
                go(AlertState::OnScene, at, None, None);
            }
            if rng.random::<f64>() < 0.9 {
                at += Duration::seconds(rng.random_range(60..3 * 86400));
                let o = ALL_OUTCOMES[rng.random_range(0..ALL_OUTCOMES.len())];
                let note = match rng.random_range(0..3) {
                    0 => Some(format!("约{}亩", rng.random_range(1..30))),
                    1 => Some(format!("过火{:.1} 亩，已扑灭", rng.random_range(0.5..9.5))),
                    _ => None,
                };
                go(AlertState::Verified, at, Some(o), note);
            }
        }
        last = last.max(at);
    }
    let mut reports = ReportsConfig {
        prefecture_name: Some("示范市".into()),
        ..Default::default()
    };
    // The default deadlines (verified: by the end of the local day), a laxer on-scene one in
    // the 2025 season.
    let schedule = Schedule {
        deadlines: Default::default(),
        seasons: Seasons::new(vec![
            Season {
                name: "三夏".into(),
                start: d(2024, 5, 25),
                end: d(2024, 7, 25),
                deadlines: Default::default(),
            },
            Season {
                name: "三夏".into(),
                start: d(2025, 5, 20),
                end: d(2025, 7, 31),
                deadlines: DeadlineOverrides {
                    on_scene_minutes: Some(90.0),
                    ..Default::default()
                },
            },
        ])
        .unwrap(),
    };
    // Cropland for every township but one, so one county has no area and the total none.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let towns: Vec<String> = conn
        .prepare("SELECT id FROM regions WHERE level = 'township' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (i, t) in towns.iter().enumerate().skip(1) {
        reports
            .cropland_ha
            .insert(t.clone(), 3000.0 + 100.0 * i as f64);
    }
    // Half-way through the patrols' work, so some deadlines are still open.
    let as_of = a_middle_moment(&conn, last);
    (db, reports, schedule, as_of)
}

fn a_middle_moment(conn: &rusqlite::Connection, last: DateTime<Utc>) -> DateTime<Utc> {
    let first: String = conn
        .query_row("SELECT MIN(created_at) FROM alerts", [], |r| r.get(0))
        .unwrap();
    let first = DateTime::parse_from_rfc3339(&first)
        .unwrap()
        .with_timezone(&Utc);
    first + (last - first) / 2
}

// ---------------------------------------------------------------------------------------------
// The naive computation.

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn local_date(s: &str) -> NaiveDate {
    t(s).with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

struct Det {
    acq_time: String,
    township: Option<String>,
    county: Option<String>,
    source: String,
    suppressed_by: Option<String>,
    fire_class: Option<String>,
}

struct Ev {
    id: i64,
    first_seen: String,
    township: Option<String>,
    county: Option<String>,
}

struct Al {
    id: i64,
    event_id: i64,
    township: Option<String>,
    county: Option<String>,
    created_at: String,
}

struct Tr {
    id: i64,
    alert_id: i64,
    to_state: String,
    at: String,
    outcome: Option<String>,
    burned_area_mu: Option<f64>,
    note: Option<String>,
}

/// Every row of the raw tables, no filtering in SQL at all.
struct Raw {
    /// id → (level, parent)
    regions: HashMap<String, (String, Option<String>)>,
    detections: Vec<Det>,
    events: Vec<Ev>,
    alerts: Vec<Al>,
    transitions: Vec<Tr>,
}

fn read_raw(db: &Path) -> Raw {
    let conn = rusqlite::Connection::open(db).unwrap();
    fn all<T>(
        conn: &rusqlite::Connection,
        sql: &str,
        f: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Vec<T> {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], f).unwrap();
        rows.map(Result::unwrap).collect()
    }
    Raw {
        regions: all(&conn, "SELECT id, level, parent_id FROM regions", |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
        })
        .into_iter()
        .collect(),
        detections: all(
            &conn,
            "SELECT acq_time, region_id, county_id, source, suppressed_by, fire_class FROM detections",
            |r| {
                Ok(Det {
                    acq_time: r.get(0)?,
                    township: r.get(1)?,
                    county: r.get(2)?,
                    source: r.get(3)?,
                    suppressed_by: r.get(4)?,
                    fire_class: r.get(5)?,
                })
            },
        ),
        events: all(&conn, "SELECT id, first_seen, region_id, county_id FROM events", |r| {
            Ok(Ev {
                id: r.get(0)?,
                first_seen: r.get(1)?,
                township: r.get(2)?,
                county: r.get(3)?,
            })
        }),
        alerts: all(
            &conn,
            "SELECT id, event_id, region_id, county_id, created_at FROM alerts",
            |r| {
                Ok(Al {
                    id: r.get(0)?,
                    event_id: r.get(1)?,
                    township: r.get(2)?,
                    county: r.get(3)?,
                    created_at: r.get(4)?,
                })
            },
        ),
        transitions: all(
            &conn,
            "SELECT id, alert_id, to_state, at, outcome, burned_area_mu, note FROM alert_transitions",
            |r| {
                Ok(Tr {
                    id: r.get(0)?,
                    alert_id: r.get(1)?,
                    to_state: r.get(2)?,
                    at: r.get(3)?,
                    outcome: r.get(4)?,
                    burned_area_mu: r.get(5)?,
                    note: r.get(6)?,
                })
            },
        ),
    }
}

#[derive(Debug, Default, PartialEq)]
struct Naive {
    points: u64,
    satellite: u64,
    camera: u64,
    suppressed: BTreeMap<String, u64>,
    not_straw: u64,
    events: u64,
    alerts: u64,
    verified: u64,
    outcomes: BTreeMap<String, u64>,
    burned: f64,
    burned_reports: u64,
    received: Vec<f64>,
    on_scene: Vec<f64>,
    verified_min: Vec<f64>,
    missed: [u64; 3],
    never_verified: u64,
    overdue: u64,
    cancelled: u64,
    prev_points: u64,
    prev_alerts: u64,
}

/// The burned area in a note, found by looking at every "亩" and reading digits back.
fn area_in(note: &str) -> Option<f64> {
    let chars: Vec<char> = note.chars().collect();
    let pos = chars.iter().position(|c| *c == '亩')?;
    let mut i = pos;
    while i > 0 && chars[i - 1] == ' ' {
        i -= 1;
    }
    let end = i;
    while i > 0 && (chars[i - 1].is_ascii_digit() || chars[i - 1] == '.') {
        i -= 1;
    }
    chars[i..end].iter().collect::<String>().parse().ok()
}

/// Figures for one county (or all) by walking every raw row.
fn naive(
    raw: &Raw,
    from: NaiveDate,
    to: NaiveDate,
    prev: (NaiveDate, NaiveDate),
    as_of: DateTime<Utc>,
    county: Option<&str>,
    deadlines: impl Fn(NaiveDate, DateTime<Utc>) -> [DateTime<Utc>; 3],
) -> Naive {
    let county_of = |town: &Option<String>, c: &Option<String>| -> Option<String> {
        c.clone().or_else(|| {
            town.as_ref()
                .and_then(|t| raw.regions.get(t))
                .and_then(|r| r.1.clone())
        })
    };
    let wanted = |town: &Option<String>, c: &Option<String>| {
        town.is_some()
            && match county {
                None => true,
                Some(k) => county_of(town, c).as_deref() == Some(k),
            }
    };
    let in_range = |day: NaiveDate, (a, b): (NaiveDate, NaiveDate)| day >= a && day <= b;
    let mut n = Naive::default();
    for det in &raw.detections {
        if !wanted(&det.township, &det.county) {
            continue;
        }
        let day = local_date(&det.acq_time);
        let camera = det.source == "camera";
        let straw = det.fire_class.as_deref() != Some("not_straw");
        if in_range(day, prev) && !camera && det.suppressed_by.is_none() && straw {
            n.prev_points += 1;
        }
        if !in_range(day, (from, to)) {
            continue;
        }
        if camera {
            n.camera += 1;
        } else {
            n.satellite += 1;
        }
        if let Some(s) = &det.suppressed_by {
            let kind = s.split(':').next().unwrap().to_owned();
            *n.suppressed.entry(kind).or_default() += 1;
        } else if !straw {
            n.not_straw += 1;
        } else if !camera {
            n.points += 1;
        }
    }
    let first_seen: HashMap<i64, &String> =
        raw.events.iter().map(|e| (e.id, &e.first_seen)).collect();
    for e in &raw.events {
        if wanted(&e.township, &e.county) && in_range(local_date(&e.first_seen), (from, to)) {
            n.events += 1;
        }
    }
    for a in &raw.alerts {
        if !wanted(&a.township, &a.county) {
            continue;
        }
        let day = local_date(first_seen[&a.event_id]);
        if in_range(day, prev) {
            n.prev_alerts += 1;
        }
        if !in_range(day, (from, to)) {
            continue;
        }
        n.alerts += 1;
        let created = t(&a.created_at);
        let mut mine: Vec<&Tr> = raw
            .transitions
            .iter()
            .filter(|x| x.alert_id == a.id && t(&x.at) <= as_of)
            .collect();
        mine.sort_by_key(|x| x.id);
        let first_in = |states: &[&str]| {
            mine.iter()
                .find(|x| states.contains(&x.to_state.as_str()))
                .map(|x| t(&x.at))
        };
        let reached = [
            first_in(&["received", "en_route", "on_scene", "verified", "closed"]),
            first_in(&["on_scene", "verified", "closed"]),
            first_in(&["verified", "closed"]),
        ];
        let cancelled = mine.iter().any(|x| x.to_state == "cancelled");
        let due = deadlines(day, created);
        for i in 0..3 {
            let took = reached[i].map(|r| (r - created).num_seconds() as f64 / 60.0);
            if let Some(m) = took {
                [&mut n.received, &mut n.on_scene, &mut n.verified_min][i].push(m);
            }
            if !cancelled && reached[i].unwrap_or(as_of) > due[i] {
                n.missed[i] += 1;
            }
        }
        if let Some(v) = mine.iter().find(|x| x.to_state == "verified") {
            n.verified += 1;
            *n.outcomes.entry(v.outcome.clone().unwrap()).or_default() += 1;
            if let Some(area) = v
                .burned_area_mu
                .or_else(|| v.note.as_deref().and_then(area_in))
            {
                n.burned += area;
                n.burned_reports += 1;
            }
        }
        if cancelled {
            n.cancelled += 1;
        } else if reached[2].is_none() {
            n.never_verified += 1;
            if as_of > due[2] {
                n.overdue += 1;
            }
        }
    }
    n
}

fn naive_median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    })
}

/// The smallest value with at least 90 % of all values at or below it, by counting.
fn naive_p90(v: &[f64]) -> Option<f64> {
    let mut candidates = v.to_vec();
    candidates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    candidates
        .into_iter()
        .find(|c| v.iter().filter(|x| *x <= c).count() as f64 >= 0.9 * v.len() as f64)
}

fn same(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{what}: {a} != {b}"),
        _ => panic!("{what}: {a:?} != {b:?}"),
    }
}

fn check(row: &RegionStats, n: &Naive, what: &str) {
    let d = &row.detections;
    assert_eq!(d.points, n.points, "{what} points");
    assert_eq!(d.satellite, n.satellite, "{what} satellite");
    assert_eq!(d.camera, n.camera, "{what} camera");
    assert_eq!(d.suppressed_by, n.suppressed, "{what} suppressed");
    assert_eq!(
        d.suppressed,
        n.suppressed.values().sum::<u64>(),
        "{what} suppressed total"
    );
    assert_eq!(d.not_straw, n.not_straw, "{what} not straw");
    assert_eq!(row.events, n.events, "{what} events");
    let a = &row.alerts;
    assert_eq!(a.total, n.alerts, "{what} alerts");
    assert_eq!(a.verified, n.verified, "{what} verified");
    for (k, v) in &a.outcomes {
        assert_eq!(
            *v,
            n.outcomes.get(k).copied().unwrap_or(0),
            "{what} outcome {k}"
        );
    }
    assert!(
        (a.burned_area_mu - n.burned).abs() < 1e-6,
        "{what} burned {} != {}",
        a.burned_area_mu,
        n.burned
    );
    assert_eq!(
        a.burned_area_reports, n.burned_reports,
        "{what} area reports"
    );
    for (i, (resp, v)) in [
        (&a.received, &n.received),
        (&a.on_scene, &n.on_scene),
        (&a.verified_response, &n.verified_min),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(resp.reached, v.len() as u64, "{what} step {i} reached");
        same(
            resp.median_min,
            naive_median(v),
            &format!("{what} step {i} median"),
        );
        same(resp.p90_min, naive_p90(v), &format!("{what} step {i} p90"));
        assert_eq!(resp.missed, n.missed[i], "{what} step {i} missed");
    }
    assert_eq!(a.never_verified, n.never_verified, "{what} never verified");
    assert_eq!(a.overdue_unverified, n.overdue, "{what} overdue");
    assert_eq!(a.cancelled, n.cancelled, "{what} cancelled");
    let judged = n.verified
        - n.outcomes.get("duplicate").unwrap_or(&0)
        - n.outcomes.get("outside_jurisdiction").unwrap_or(&0);
    let false_alarms = n.outcomes.get("nothing_found").unwrap_or(&0)
        + n.outcomes.get("industrial_heat").unwrap_or(&0);
    same(
        a.false_alarm_share,
        (judged > 0).then(|| false_alarms as f64 / judged as f64),
        &format!("{what} false-alarm share"),
    );
    let p = row.previous.as_ref().expect("the previous year");
    assert_eq!(p.points, n.prev_points, "{what} previous points");
    assert_eq!(p.alerts, n.prev_alerts, "{what} previous alerts");
}

#[test]
fn a_simulated_season_agrees_with_a_naive_count_of_the_raw_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (db, config, schedule, as_of) = simulated_season(dir.path());
    let store = SqliteStore::open(&db).unwrap();
    let mut request = StatsRequest::new(PeriodSpec::season("三夏", Some(2025)), GroupBy::County);
    request.as_of = Some(as_of);
    let report: StatsReport = compute(store.connection(), &config, &schedule, &request).unwrap();
    let raw = read_raw(&db);
    // Due times worked out here from the minutes, not by the library: without verified
    // minutes, the next local midnight after the alert.
    let deadlines = |day: NaiveDate, created: DateTime<Utc>| {
        let t = schedule.deadlines_on(day);
        let after = |m: f64| created + Duration::seconds((m * 60.0) as i64);
        let local = created + Duration::hours(8);
        let midnight = local
            .date_naive()
            .succ_opt()
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let end_of_day = midnight.and_utc() - Duration::hours(8);
        [
            after(t.received_minutes),
            after(t.on_scene_minutes),
            t.verified_minutes.map(after).unwrap_or(end_of_day),
        ]
    };
    let (from, to) = (d(2025, 5, 20), d(2025, 7, 31));
    let prev = (d(2024, 5, 25), d(2024, 7, 25));

    let total = naive(&raw, from, to, prev, as_of, None, deadlines);
    // The simulation must exercise what is being checked.
    assert!(total.points > 100, "{total:?}");
    assert!(
        total.suppressed.get("registry").copied().unwrap_or(0) > 10,
        "{total:?}"
    );
    assert!(
        total.not_straw > 0 && total.cancelled > 0 && total.never_verified > 0,
        "{total:?}"
    );
    assert!(
        total.missed.iter().all(|m| *m > 0) && total.burned_reports > 10,
        "{total:?}"
    );
    assert!(total.prev_points > 50, "{total:?}");
    check(&report.total, &total, "prefecture");

    let counties: Vec<&String> = raw
        .regions
        .iter()
        .filter(|(_, r)| r.0 == "county")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(report.rows.len(), counties.len());
    for c in counties {
        let row = report
            .rows
            .iter()
            .find(|r| r.region_id.as_ref() == Some(c))
            .unwrap();
        check(
            row,
            &naive(&raw, from, to, prev, as_of, Some(c), deadlines),
            c,
        );
    }
    // The daily series adds up to the period's figures.
    assert_eq!(report.daily.len(), 73);
    assert_eq!(
        report.daily.iter().map(|d| d.points).sum::<u64>(),
        total.points
    );
    assert_eq!(
        report.daily.iter().map(|d| d.alerts).sum::<u64>(),
        total.alerts
    );
    assert_eq!(
        report
            .daily
            .iter()
            .map(|d| d.confirmed_straw_burns)
            .sum::<u64>(),
        total
            .outcomes
            .get("confirmed_straw_burn")
            .copied()
            .unwrap_or(0)
    );
    // The one township without cropland leaves its county and the total without an area.
    assert!(report.total.cropland_ha.is_none());
    assert_eq!(
        report
            .rows
            .iter()
            .filter(|r| r.cropland_ha.is_none())
            .count(),
        1
    );

    // By township, the rows add up to the same total.
    request.by = GroupBy::Township;
    let by_town = compute(store.connection(), &config, &schedule, &request).unwrap();
    assert_eq!(by_town.total, report.total);
    assert_eq!(
        by_town
            .rows
            .iter()
            .map(|r| r.detections.points)
            .sum::<u64>(),
        total.points
    );
    let unverified: u64 = by_town.rows.iter().map(|r| r.alerts.never_verified).sum();
    assert_eq!(unverified as usize, by_town.unverified.len());
}
