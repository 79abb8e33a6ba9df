//! A season's statistics over 1,000,000 detections and 100,000 alerts (with ~450,000
//! transitions) in a prefecture of 6 counties and 156 townships: `compute` by prefecture,
//! county and township, and the renderings. Run with `cargo bench --bench stats`
//! (`BURNWATCH_BENCH_DETECTIONS` scales it down for a quick look).

use burnwatch_core::reports_config::ReportsConfig;
use burnwatch_core::schedule::{Schedule, Season, Seasons};
use burnwatch_stats::{
    compute, render_stats, GroupBy, Lang, PeriodSpec, StatsFormat, StatsRequest,
};
use burnwatch_store::{RegionRow, SqliteStore, Store};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

const COUNTIES: usize = 6;
const TOWNSHIPS_PER_COUNTY: usize = 26;

fn fmt(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn square(lon: f64, lat: f64, d: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]}}"#,
        lon + d,
        lon + d,
        lat + d,
        lat + d
    )
}

/// One transition: from, to, at, outcome, note.
type Step = (
    Option<&'static str>,
    &'static str,
    String,
    Option<&'static str>,
    Option<String>,
);

/// Loads the season straight through SQL (the ingest path would take hours for a million
/// pixels and is benchmarked on its own).
fn populate(store: &mut SqliteStore, detections: usize, alerts: usize) -> rusqlite::Result<()> {
    let mut regions = Vec::new();
    for c in 0..COUNTIES {
        let county = format!("3799{:02}", c + 1);
        regions.push(RegionRow {
            id: county.clone(),
            name: format!("县{}", c + 1),
            level: "county".into(),
            parent_id: None,
            geometry: square(116.0 + c as f64 * 0.5, 35.0, 0.5),
        });
        for t in 0..TOWNSHIPS_PER_COUNTY {
            regions.push(RegionRow {
                id: format!("{county}{:03}", t + 1),
                name: format!("镇{}-{}", c + 1, t + 1),
                level: "township".into(),
                parent_id: Some(county.clone()),
                geometry: square(
                    116.0 + c as f64 * 0.5 + (t % 5) as f64 * 0.1,
                    35.0 + (t / 5) as f64 * 0.1,
                    0.1,
                ),
            });
        }
    }
    store.replace_regions(&regions).expect("regions");
    let conn = store.connection();
    conn.execute_batch("BEGIN")?;
    conn.execute(
        "INSERT INTO source_files (sha256, name, status, received_at) VALUES ('x', 'bench', 'ingested', '2025-05-20T00:00:00Z')",
        [],
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let season_start = Utc.with_ymd_and_hms(2025, 5, 19, 16, 0, 0).unwrap();
    let season_secs = 73 * 86_400;
    let outcomes = [
        "confirmed_straw_burn",
        "confirmed_straw_burn",
        "confirmed_straw_burn",
        "nothing_found",
        "industrial_heat",
        "burn_scar_only",
        "other_open_burning",
        "duplicate",
    ];
    let mut ev = conn.prepare(
        "INSERT INTO events (id, first_seen, last_seen, lon, lat, max_frp_mw, detection_count, search_radius_km, region_id, county_id, created_at)
         VALUES (?1, ?2, ?2, ?3, ?4, 10, ?5, 0.5, ?6, ?7, ?2)",
    )?;
    let mut al = conn.prepare(
        "INSERT INTO alerts (id, event_id, region_id, county_id, state, outcome, created_at, updated_at)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?;
    let mut tr = conn.prepare(
        "INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, at, outcome, note)
         VALUES (?1, ?2, ?3, 'bench', ?4, ?5, ?6)",
    )?;
    let mut det = conn.prepare(
        "INSERT INTO detections (natural_key, pass_key, source_file_id, source, instrument, satellite, acq_time, lon, lat,
             confidence, region_id, county_id, suppressed_by, event_id, created_at, fire_class)
         VALUES (?1, 'p', 1, 'firms_viirs', 'VIIRS', 'N', ?2, ?3, ?4, 'nominal', ?5, ?6, ?7, ?8, ?2, ?9)",
    )?;
    let per_event = detections as f64 * 0.9 / alerts as f64;
    let mut written = 0usize;
    // Fires get their ids as they arrive, so ids follow time (as they do in a real store).
    let mut starts: Vec<i64> = (0..alerts)
        .map(|_| rng.random_range(0..season_secs))
        .collect();
    starts.sort_unstable();
    for a in 1..=alerts as i64 {
        let c = rng.random_range(0..COUNTIES);
        let county = format!("3799{:02}", c + 1);
        let township = format!(
            "{county}{:03}",
            rng.random_range(0..TOWNSHIPS_PER_COUNTY) + 1
        );
        let first = season_start + Duration::seconds(starts[a as usize - 1]);
        let (lon, lat) = (
            116.0 + rng.random::<f64>() * 3.0,
            35.0 + rng.random::<f64>() * 0.5,
        );
        let n = ((per_event * 2.0 * rng.random::<f64>()).round() as usize).max(1);
        ev.execute(rusqlite::params![
            a,
            fmt(first),
            lon,
            lat,
            n as i64,
            township,
            county
        ])?;
        for _ in 0..n {
            written += 1;
            det.execute(rusqlite::params![
                format!("k{written}"),
                fmt(first + Duration::minutes(rng.random_range(0..600))),
                lon,
                lat,
                township,
                county,
                None::<String>,
                a,
                None::<String>
            ])?;
        }
        let created = first + Duration::minutes(rng.random_range(20..200));
        let mut at = created;
        // The alert's story first (its final state goes on the alert row), then the rows.
        let mut state = "new";
        let mut story: Vec<Step> = vec![(None, "new", fmt(at), None, None)];
        let mut outcome = None;
        if rng.random::<f64>() < 0.03 {
            at += Duration::minutes(rng.random_range(5..100));
            story.push((Some(state), "cancelled", fmt(at), None, None));
            state = "cancelled";
        } else {
            for (next, p) in [
                ("received", 0.93),
                ("en_route", 0.9),
                ("on_scene", 0.92),
                ("verified", 0.9),
            ] {
                if rng.random::<f64>() > p {
                    break;
                }
                at += Duration::minutes(rng.random_range(2..90));
                let (o, note) = if next == "verified" {
                    let o = outcomes[rng.random_range(0..outcomes.len())];
                    outcome = Some(o);
                    (Some(o), Some(format!("约{}亩", rng.random_range(1..20))))
                } else {
                    (None, None)
                };
                story.push((Some(state), next, fmt(at), o, note));
                state = next;
            }
        }
        al.execute(rusqlite::params![
            a,
            township,
            county,
            state,
            outcome,
            fmt(created)
        ])?;
        for (from, to, at, o, note) in story {
            tr.execute(rusqlite::params![a, from, to, at, o, note])?;
        }
    }
    // The rest: held back by the filters, outside every township, or off cropland.
    while written < detections {
        written += 1;
        let t = season_start + Duration::seconds(rng.random_range(0..season_secs));
        let r: f64 = rng.random();
        let c = rng.random_range(0..COUNTIES);
        let county = format!("3799{:02}", c + 1);
        let township = format!(
            "{county}{:03}",
            rng.random_range(0..TOWNSHIPS_PER_COUNTY) + 1
        );
        let (reason, inside, class) = if r < 0.7 {
            (
                Some(format!("registry:{}:电厂", rng.random_range(1..40))),
                true,
                None,
            )
        } else if r < 0.8 {
            (Some("silence:3:检修".to_owned()), true, None)
        } else if r < 0.9 {
            (None, false, None)
        } else {
            (None, true, Some("not_straw"))
        };
        det.execute(rusqlite::params![
            format!("k{written}"),
            fmt(t),
            116.0 + rng.random::<f64>() * 3.0,
            35.0,
            inside.then_some(&township),
            inside.then_some(&county),
            reason,
            None::<i64>,
            class
        ])?;
    }
    drop((ev, al, tr, det));
    conn.execute_batch("COMMIT; ANALYZE;")?;
    Ok(())
}

fn main() {
    let detections: usize = std::env::var("BURNWATCH_BENCH_DETECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let alerts = (detections / 10).max(1);
    // BURNWATCH_BENCH_DB keeps the store for another run (or for a look with sqlite3).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = std::env::var_os("BURNWATCH_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.sqlite"));
    let fresh = !path.exists();
    let mut store = SqliteStore::open(&path).expect("store");
    let t = Instant::now();
    if fresh {
        populate(&mut store, detections, alerts).expect("populate");
    }
    let counts = store.counts().expect("counts");
    println!(
        "store: {} detections ({} suppressed), {} events, {} alerts, {} transitions; loaded in {:.1} s",
        counts.detections,
        counts.detections_suppressed,
        counts.events,
        counts.alerts,
        counts.transitions,
        t.elapsed().as_secs_f64()
    );
    drop(store);
    // A fresh connection, as the CLI has: nothing cached but what SQLite's page cache holds.
    let store = SqliteStore::open(&path).expect("store");
    let conn = store.connection();
    let season = |y: i32| Season {
        name: "三夏".into(),
        start: NaiveDate::from_ymd_opt(y, 5, 20).expect("date"),
        end: NaiveDate::from_ymd_opt(y, 7, 31).expect("date"),
        deadlines: Default::default(),
    };
    let config = ReportsConfig::default();
    let schedule = Schedule {
        seasons: Seasons::new(vec![season(2024), season(2025)]).expect("seasons"),
        ..Default::default()
    };
    let as_of = Some(Utc.with_ymd_and_hms(2025, 8, 1, 0, 0, 0).unwrap());
    for (by, label) in [
        (GroupBy::Prefecture, "prefecture"),
        (GroupBy::County, "county"),
        (GroupBy::Township, "township"),
    ] {
        let mut request = StatsRequest::new(PeriodSpec::season("三夏", Some(2025)), by);
        request.as_of = as_of;
        let mut times = Vec::new();
        let mut report = None;
        for _ in 0..5 {
            let t = Instant::now();
            report = Some(compute(conn, &config, &schedule, &request).expect("compute"));
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let report = report.expect("five runs");
        println!(
            "season statistics by {label:<10} (with the previous year): median {:6.1} ms, best {:6.1} ms, worst {:6.1} ms — {} rows, {} points, {} alerts, {} unverified",
            times[2],
            times[0],
            times[4],
            report.rows.len(),
            report.total.detections.points,
            report.total.alerts.total,
            report.unverified.len()
        );
        if by == GroupBy::Township {
            for (format, name) in [
                (StatsFormat::Table, "table"),
                (StatsFormat::Csv, "csv"),
                (StatsFormat::Xlsx, "xlsx"),
                (StatsFormat::Json, "json"),
            ] {
                let t = Instant::now();
                let bytes = render_stats(&report, format, Lang::Zh).expect("render");
                println!(
                    "  render {name:<5}: {:6.1} ms, {} bytes",
                    t.elapsed().as_secs_f64() * 1000.0,
                    bytes.len()
                );
            }
        }
    }
}
