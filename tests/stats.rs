//! The statistics against a hand-made fixture whose answers were worked out by hand (see
//! `stats_fixture/mod.rs`), through the library and through `burnwatch stats`; and bad input.

mod stats_fixture;

use burnwatch_stats::{compute, GroupBy, PeriodSpec, RegionStats, StatsReport, StatsRequest};
use burnwatch_store::SqliteStore;
use chrono::NaiveDate;
use stats_fixture::*;

fn report(f: &Fixture, by: GroupBy, region: Option<&str>) -> StatsReport {
    let store = SqliteStore::open(&f.db).unwrap();
    let mut request = StatsRequest::new(PeriodSpec::season("三夏", None), by);
    request.as_of = Some(f.as_of());
    request.region = region.map(Into::into);
    compute(store.connection(), &config(), &schedule(), &request).unwrap()
}

fn row<'a>(r: &'a StatsReport, id: &str) -> &'a RegionStats {
    r.rows
        .iter()
        .find(|x| x.region_id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no row {id}"))
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn the_prefecture_total_matches_the_hand_count() {
    let f = build();
    let r = report(&f, GroupBy::County, None);
    let t = &r.total;
    assert_eq!(r.period.from, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
    assert_eq!(t.level, "prefecture");
    assert_eq!(t.name.as_deref(), Some("测试市"));
    // Detections: E0 1 + E1 3 + E2 1 + E3 2 + E4 1 + E5 1 = 9 points; plus 3 suppressed and one
    // off cropland = 13 satellite detections in townships; one camera; one outside; Epre is
    // 23:59 on 31 May in Beijing and stays out.
    assert_eq!(t.detections.points, 9);
    assert_eq!(t.detections.satellite, 13);
    assert_eq!(t.detections.camera, 1);
    assert_eq!(t.detections.suppressed, 3);
    assert_eq!(t.detections.suppressed_by["registry"], 2);
    assert_eq!(t.detections.suppressed_by["silence"], 1);
    assert_eq!(t.detections.not_straw, 1);
    assert_eq!(r.outside_detections, 1);
    assert_eq!(t.events, 6);
    let a = &t.alerts;
    assert_eq!(a.total, 6);
    // Verified: E0 burn scar, E1 straw, E2 nothing found.
    assert_eq!(a.verified, 3);
    assert_eq!(a.outcomes["burn_scar_only"], 1);
    assert_eq!(a.outcomes["confirmed_straw_burn"], 1);
    assert_eq!(a.outcomes["nothing_found"], 1);
    assert_eq!(a.outcomes["duplicate"], 0);
    assert_eq!(a.false_alarms, 1);
    close(a.false_alarm_share, 1.0 / 3.0);
    // 约3亩 + 过火约2.5亩.
    assert!((a.burned_area_mu - 5.5).abs() < 1e-9);
    assert_eq!(a.burned_area_reports, 2);
    // Received at 10, 5, 40, 20 (E4 was cancelled, E5 received only after the report's moment).
    assert_eq!(a.received.reached, 4);
    close(a.received.median_min, 15.0);
    close(a.received.p90_min, 40.0);
    // Target 30: E2 late, E5 not received after 2,000 minutes.
    assert_eq!(a.received.missed, 2);
    // On scene at 50, 25, and 90 for E2 (verified without recording on scene).
    assert_eq!(a.on_scene.reached, 3);
    close(a.on_scene.median_min, 50.0);
    close(a.on_scene.p90_min, 90.0);
    // The season's target is 45: E0 and E2 late, E3 and E5 never there.
    assert_eq!(a.on_scene.missed, 4);
    close(a.verified_response.median_min, 90.0);
    close(a.verified_response.p90_min, 100.0);
    assert_eq!(a.verified_response.missed, 2);
    assert_eq!(a.never_verified, 2);
    assert_eq!(a.overdue_unverified, 2);
    assert_eq!(a.cancelled, 1);
    // Cropland: 东县 from its townships (5,000), 西县 its own entry (4,000).
    close(t.cropland_ha, 9000.0);
    close(t.points_per_1000_ha, 1.0);
    // The year before: P1 (2 points, confirmed) and P2 (1 point); P3 was before that season.
    let p = t.previous.as_ref().unwrap();
    assert_eq!(
        (p.points, p.events, p.alerts, p.confirmed_straw_burns),
        (3, 2, 2, 1)
    );
    let prev = r.previous_period.as_ref().unwrap();
    assert_eq!(prev.from, NaiveDate::from_ymd_opt(2024, 6, 5).unwrap());
    // The deadlines of the season.
    assert_eq!(r.deadlines.on_scene_minutes, 45.0);
    assert_eq!(r.deadlines.verified_minutes, Some(1440.0));
}

#[test]
fn rows_by_county_and_township_add_up_to_the_total() {
    let f = build();
    let by_county = report(&f, GroupBy::County, None);
    assert_eq!(by_county.rows.len(), 2);
    let a = row(&by_county, A);
    assert_eq!(a.name.as_deref(), Some("东县"));
    assert_eq!(a.detections.points, 6);
    close(a.cropland_ha, 5000.0);
    close(a.points_per_1000_ha, 1.2);
    assert_eq!(a.alerts.total, 3);
    assert_eq!(a.previous.as_ref().unwrap().points, 2);
    let b = row(&by_county, B);
    assert_eq!(b.detections.points, 3);
    close(b.cropland_ha, 4000.0);
    close(b.points_per_1000_ha, 0.75);
    assert_eq!(b.alerts.cancelled, 1);
    assert_eq!(b.alerts.never_verified, 1);

    let by_town = report(&f, GroupBy::Township, None);
    assert_eq!(by_town.rows.len(), 3);
    let a1 = row(&by_town, A1);
    assert_eq!(a1.county_name.as_deref(), Some("东县"));
    assert_eq!(
        (
            a1.detections.points,
            a1.detections.camera,
            a1.detections.not_straw
        ),
        (4, 1, 1)
    );
    close(a1.points_per_1000_ha, 2.0);
    let a2 = row(&by_town, A2);
    assert_eq!(a2.detections.suppressed_by["registry"], 2);
    assert_eq!(a2.alerts.never_verified, 1);
    assert_eq!(a2.alerts.on_scene.missed, 1);
    let b1 = row(&by_town, B1);
    assert_eq!(b1.detections.points, 3);
    assert_eq!(b1.detections.suppressed_by["silence"], 1);
    for r in [&by_county, &by_town] {
        let sum: u64 = r.rows.iter().map(|x| x.detections.points).sum();
        assert_eq!(sum, r.total.detections.points);
        let sum: u64 = r.rows.iter().map(|x| x.alerts.total).sum();
        assert_eq!(sum, r.total.alerts.total);
    }
    assert_eq!(by_town.total, by_county.total);
}

#[test]
fn the_first_fire_and_the_concealment_list_name_places() {
    let f = build();
    let r = report(&f, GroupBy::Prefecture, None);
    assert!(r.rows.is_empty());
    let first = r.first_fire.as_ref().unwrap();
    assert_eq!(first.at, utc("2025-05-31T16:00:00Z"));
    assert_eq!(first.township_name.as_deref(), Some("丙镇"));
    assert_eq!(first.county_name.as_deref(), Some("西县"));
    assert_eq!(first.alert_id, Some(f.alerts["E0"]));
    assert_eq!(first.outcome, Some(burnwatch_core::Outcome::BurnScarOnly));
    let confirmed = r.first_confirmed.as_ref().unwrap();
    assert_eq!(confirmed.alert_id, Some(f.alerts["E1"]));
    assert_eq!(confirmed.township_name.as_deref(), Some("甲镇"));
    let ids: Vec<i64> = r.unverified.iter().map(|u| u.alert_id).collect();
    assert_eq!(ids, vec![f.alerts["E3"], f.alerts["E5"]]);
    assert_eq!(r.unverified[0].state, "received");
    assert_eq!(r.unverified[1].state, "new");
    assert!(r.unverified.iter().all(|u| u.overdue));
    // Day by day, in local dates: E3's second pixel (17:10 UTC) is on the 16th, E4 on the 21st.
    assert_eq!(r.daily.len(), 30);
    let day = |d: u32| &r.daily[d as usize - 1];
    let points: Vec<(u32, u64)> = (1..=30)
        .map(|d| (d, day(d).points))
        .filter(|x| x.1 > 0)
        .collect();
    assert_eq!(
        points,
        [(1, 1), (2, 3), (10, 1), (15, 1), (16, 1), (21, 1), (25, 1)]
    );
    let alerts: Vec<u32> = (1..=30).filter(|d| day(*d).alerts > 0).collect();
    assert_eq!(alerts, [1, 2, 10, 15, 21, 25]);
    assert_eq!(day(2).confirmed_straw_burns, 1);
    assert_eq!(
        r.daily.iter().map(|d| d.confirmed_straw_burns).sum::<u64>(),
        1
    );
    assert!((r.unverified[0].age_hours - 2000.0 / 60.0).abs() < 1e-9);
}

#[test]
fn a_region_narrows_everything_to_it() {
    let f = build();
    let r = report(&f, GroupBy::Township, Some(A));
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.total.level, "county");
    assert_eq!(r.total.detections.points, 6);
    close(r.total.cropland_ha, 5000.0);
    // 西县's E0 is the prefecture's first fire; 东县's is E1.
    assert_eq!(
        r.first_fire.as_ref().unwrap().alert_id,
        Some(f.alerts["E1"])
    );
    assert_eq!(r.unverified.len(), 1);
    let r = report(&f, GroupBy::County, Some(B1));
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].region_id.as_deref(), Some(B));
    assert_eq!(r.total.detections.points, 3);
    assert_eq!(r.total.name.as_deref(), Some("丙镇"));
}

#[test]
fn an_earlier_moment_sees_fewer_steps() {
    let f = build();
    let store = SqliteStore::open(&f.db).unwrap();
    let mut request = StatsRequest::new(PeriodSpec::season("三夏", Some(2025)), GroupBy::County);
    // 30 minutes after the alerts: E0 received (10), E1 on scene (25), E3 received (20), E4
    // cancelled (15); nothing verified; E2 and E5 not yet late for their 30-minute receipt.
    request.as_of = Some(f.created + chrono::Duration::minutes(30));
    let r = compute(store.connection(), &config(), &schedule(), &request).unwrap();
    let a = &r.total.alerts;
    assert_eq!(a.verified, 0);
    assert_eq!(a.received.reached, 3);
    assert_eq!(a.received.missed, 0);
    assert_eq!(a.never_verified, 5);
    assert_eq!(a.overdue_unverified, 0);
    assert_eq!(a.cancelled, 1);
}

#[test]
fn dates_work_like_seasons_and_empty_days_are_zero() {
    let f = build();
    let store = SqliteStore::open(&f.db).unwrap();
    let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
    let mut request = StatsRequest::new(PeriodSpec::dates(d(6, 1), d(6, 30)), GroupBy::County);
    request.as_of = Some(f.as_of());
    let by_dates = compute(store.connection(), &config(), &schedule(), &request).unwrap();
    let by_season = report(&f, GroupBy::County, None);
    assert_eq!(by_dates.total.detections, by_season.total.detections);
    assert_eq!(by_dates.total.alerts, by_season.total.alerts);
    // A calendar range compares with the same dates a year before: 2024-06-01..30 holds P3.
    assert_eq!(by_dates.total.previous.as_ref().unwrap().alerts, 3);
    // 21 June in Beijing holds E4 (18:00 UTC on the 20th).
    request.period = PeriodSpec::dates(d(6, 21), d(6, 21));
    let r = compute(store.connection(), &config(), &schedule(), &request).unwrap();
    assert_eq!(r.total.detections.points, 1);
    assert_eq!(row(&r, B).alerts.cancelled, 1);
    request.period = PeriodSpec::dates(d(7, 1), d(7, 10));
    let r = compute(store.connection(), &config(), &schedule(), &request).unwrap();
    assert_eq!(r.total.detections.points, 0);
    assert_eq!(r.total.alerts.received.median_min, None);
    assert_eq!(r.rows.len(), 2, "regions without fires are rows of zeros");
    assert!(r.first_fire.is_none());
}

#[test]
fn bad_requests_fail_with_clear_errors() {
    let f = build();
    let store = SqliteStore::open(&f.db).unwrap();
    let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
    let run = |period, region: Option<&str>| {
        let mut r = StatsRequest::new(period, GroupBy::County);
        r.region = region.map(Into::into);
        compute(store.connection(), &config(), &schedule(), &r).unwrap_err()
    };
    let e = run(PeriodSpec::dates(d(6, 10), d(6, 1)), None);
    assert!(e.is_bad_request());
    assert!(e.to_string().contains("empty"), "{e}");
    let e = run(PeriodSpec::season("三秋", None), None);
    assert!(e.is_bad_request());
    assert!(
        e.to_string().contains("三秋") && e.to_string().contains("三夏 2025"),
        "{e}"
    );
    let e = run(PeriodSpec::season("三夏", Some(2023)), None);
    assert!(e.to_string().contains("of 2023"), "{e}");
    let e = run(PeriodSpec::dates(d(6, 1), d(6, 2)), Some("999999"));
    assert!(e.is_bad_request());
    assert!(e.to_string().contains("unknown region \"999999\""), "{e}");
}

#[test]
fn the_command_prints_tables_json_and_csv() {
    let f = build();
    let as_of = f.as_of().to_rfc3339();
    let table = ok(burnwatch(
        &f,
        &[
            "stats", "--season", "三夏", "--by", "township", "--as-of", &as_of,
        ],
    ));
    for expected in [
        "测试市",
        "甲镇",
        "乙镇",
        "丙镇",
        "第一把火",
        "不含云覆盖下火点",
        "合计",
    ] {
        assert!(table.contains(expected), "{expected} missing from\n{table}");
    }
    let json: serde_json::Value = serde_json::from_str(&ok(burnwatch(
        &f,
        &[
            "stats",
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--format",
            "json",
            "--as-of",
            &as_of,
        ],
    )))
    .unwrap();
    assert_eq!(json["total"]["detections"]["points"], 9);
    assert_eq!(json["total"]["alerts"]["received"]["median_min"], 15.0);
    assert_eq!(json["rows"].as_array().unwrap().len(), 2);
    assert_eq!(json["unverified"].as_array().unwrap().len(), 2);

    let csv = ok(burnwatch(
        &f,
        &[
            "stats", "--season", "三夏", "--year", "2025", "--format", "csv", "--lang", "en",
            "--as-of", &as_of,
        ],
    ));
    assert!(csv.starts_with('\u{feff}'), "CSV carries a BOM for Excel");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "two counties and the total");
    assert_eq!(&rows[2][col("fire points")], "9");
    assert_eq!(&rows[0][col("county")], "东县");
    assert_eq!(&rows[0][col("points per 1,000 ha")], "1.2");
    assert_eq!(&rows[2][col("previous year fire points")], "3");

    let en = ok(burnwatch(
        &f,
        &[
            "stats", "--season", "三夏", "--lang", "en", "--as-of", &as_of,
        ],
    ));
    assert!(en.contains("points under cloud not included"), "{en}");
}

#[test]
fn the_command_refuses_bad_input_with_the_reason() {
    let f = build();
    let fails = |args: &[&str], expected: &str| {
        let out = burnwatch(&f, args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    };
    fails(
        &["stats", "--from", "2025-06-10", "--to", "2025-06-01"],
        "the range is empty",
    );
    fails(
        &["stats", "--season", "三秋"],
        "season \"三秋\" is not defined",
    );
    fails(
        &["stats", "--season", "三夏", "--region", "42"],
        "unknown region \"42\"",
    );
    fails(
        &["stats", "--from", "2025-06-31", "--to", "2025-07-01"],
        "is not a date",
    );
    fails(&["stats"], "--from");
    fails(&["stats", "--season", "三夏", "--format", "xlsx"], "--out");
}

#[test]
fn the_stored_day_counts_follow_lifts_reroutes_and_deletions() {
    let f = build();
    let conn = rusqlite::Connection::open(&f.db).unwrap();
    // A lifted silence, a detection moved to another township, the camera's record removed.
    conn.execute(
        "UPDATE detections SET suppressed_by = NULL WHERE suppressed_by LIKE 'silence:%'",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE detections SET region_id = ?1, county_id = ?2
         WHERE id = (SELECT MIN(id) FROM detections WHERE region_id = ?3 AND suppressed_by IS NULL)",
        [A2, A, A1],
    )
    .unwrap();
    conn.execute("DELETE FROM detections WHERE source = 'camera'", [])
        .unwrap();
    let r = report(&f, GroupBy::Township, None);
    assert_eq!(r.total.detections.points, 10);
    assert_eq!(r.total.detections.suppressed, 2);
    assert_eq!(r.total.detections.camera, 0);
    // Every township's figure equals a direct count over the detections table.
    for row in &r.rows {
        let direct: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM detections WHERE region_id = ?1 AND suppressed_by IS NULL
                   AND fire_class IS NOT 'not_straw' AND source <> 'camera'
                   AND acq_time >= '2025-05-31T16:00:00Z' AND acq_time < '2025-06-30T16:00:00Z'",
                [row.region_id.as_deref().unwrap()],
                |x| x.get(0),
            )
            .unwrap();
        assert_eq!(row.detections.points as i64, direct, "{:?}", row.region_id);
    }
    assert_eq!(row(&r, A2).detections.points, 3);
    assert_eq!(row(&r, B1).detections.points, 4);
}
