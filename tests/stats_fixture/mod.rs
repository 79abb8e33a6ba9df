//! A small hand-made store whose statistics are known in advance (worked out in the comments),
//! built through the public store API: regions, one ingest batch, and alert transitions at
//! chosen minutes after the alert was raised.
//!
//! Two counties, three townships:
//!   东县 100001: 甲镇 100001001 (2,000 ha cropland), 乙镇 100001002 (3,000 ha)
//!   西县 100002: 丙镇 100002001 (5,000 ha); 西县's own entry says 4,000 ha, and wins.
//! Seasons: 三夏 2025 = 2025-06-01..06-30 (on-scene deadline 45 min), 三夏 2024 = 2024-06-05..06-25.
//! Deadlines otherwise: received 30, on scene 60, verified 1,440 minutes.

#![allow(dead_code)]

use burnwatch_core::alert::{AlertState, Outcome};
use burnwatch_core::event::{EventRef, EventSummary};
use burnwatch_core::reports_config::ReportsConfig;
use burnwatch_core::schedule::{DeadlineOverrides, Deadlines, Schedule, Season, Seasons};
use burnwatch_core::{ConfidenceClass, DayNight, Detection, Instrument, SourceKind};
use burnwatch_store::{
    DetectionRow, FileRecord, IngestBatch, NewEvent, RegionRow, SqliteStore, Store,
    TransitionRequest,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const A: &str = "100001";
pub const A1: &str = "100001001";
pub const A2: &str = "100001002";
pub const B: &str = "100002";
pub const B1: &str = "100002001";

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn square(lon: f64, lat: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]}}"#,
        lon + 0.1,
        lon + 0.1,
        lat + 0.1,
        lat + 0.1
    )
}

pub fn regions() -> Vec<RegionRow> {
    let r = |id: &str, name: &str, level: &str, parent: Option<&str>, lon: f64, w: f64| RegionRow {
        id: id.into(),
        name: name.into(),
        level: level.into(),
        parent_id: parent.map(Into::into),
        geometry: if w > 0.1 {
            format!(
                r#"{{"type":"MultiPolygon","coordinates":[[[[{lon},35.0],[{},35.0],[{},35.1],[{lon},35.1],[{lon},35.0]]]]}}"#,
                lon + w,
                lon + w
            )
        } else {
            square(lon, 35.0)
        },
    };
    vec![
        r(A, "东县", "county", None, 116.0, 0.2),
        r(A1, "甲镇", "township", Some(A), 116.0, 0.1),
        r(A2, "乙镇", "township", Some(A), 116.1, 0.1),
        r(B, "西县", "county", None, 116.2, 0.1),
        r(B1, "丙镇", "township", Some(B), 116.2, 0.1),
    ]
}

pub fn config() -> ReportsConfig {
    let mut cropland = BTreeMap::new();
    cropland.insert(A1.to_owned(), 2000.0);
    cropland.insert(A2.to_owned(), 3000.0);
    cropland.insert(B1.to_owned(), 5000.0);
    cropland.insert(B.to_owned(), 4000.0);
    ReportsConfig {
        prefecture_name: Some("测试市".into()),
        cropland_ha: cropland,
        ..Default::default()
    }
}

/// `[deadlines]` and `[[seasons]]` of the fixture, as `CONFIG_TOML` has them.
pub fn schedule() -> Schedule {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    Schedule {
        deadlines: Deadlines {
            verified_minutes: Some(1440.0),
            ..Deadlines::default()
        },
        seasons: Seasons::new(vec![
            Season {
                name: "三夏".into(),
                start: d(2024, 6, 5),
                end: d(2024, 6, 25),
                deadlines: DeadlineOverrides::default(),
            },
            Season {
                name: "三夏".into(),
                start: d(2025, 6, 1),
                end: d(2025, 6, 30),
                deadlines: DeadlineOverrides {
                    on_scene_minutes: Some(45.0),
                    ..Default::default()
                },
            },
        ])
        .unwrap(),
    }
}

/// The same configuration as TOML, for the command-line tests.
pub const CONFIG_TOML: &str = r#"
[store]
path = "fixture.sqlite"

[deadlines]
received_minutes = 30
on_scene_minutes = 60
verified_minutes = 1440

[[seasons]]
name = "三夏"
start = 2024-06-05
end = 2024-06-25

[[seasons]]
name = "三夏"
start = 2025-06-01
end = 2025-06-30
deadlines = { on_scene_minutes = 45 }

[reports]
prefecture_name = "测试市"

[reports.cropland_ha]
"100001001" = 2000
"100001002" = 3000
"100002001" = 5000
"100002" = 4000
"#;

fn detection(source: SourceKind, at: &str, lon: f64, lat: f64) -> Detection {
    Detection {
        source,
        instrument: if source == SourceKind::Camera {
            Instrument::Camera
        } else {
            Instrument::Viirs
        },
        satellite: if source == SourceKind::Camera {
            "tower-3".into()
        } else {
            "NOAA-20".into()
        },
        acq_time: utc(at),
        lon,
        lat,
        frp_mw: Some(12.0),
        confidence: ConfidenceClass::Nominal,
        confidence_raw: Some("n".into()),
        day_night: Some(DayNight::Day),
        scan_km: Some(0.4),
        track_km: Some(0.4),
        firms_type: None,
        bright_t4_k: Some(340.0),
        bright_t11_k: Some(300.0),
    }
}

/// What the fixture holds, by name.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    pub db: PathBuf,
    /// When the store raised every alert (one batch, one moment).
    pub created: DateTime<Utc>,
    /// Alert ids by fire name: E0..E5 in the 2025 season, Epre just before it, P1..P3 in 2024.
    pub alerts: BTreeMap<&'static str, i64>,
}

impl Fixture {
    /// The moment the report is judged: 2,000 minutes after the alerts were raised.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.created + Duration::minutes(2000)
    }
}

struct Fire {
    name: &'static str,
    township: &'static str,
    county: &'static str,
    times: Vec<&'static str>,
}

pub fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("burnwatch.toml");
    std::fs::write(&config_path, CONFIG_TOML).unwrap();
    let db = dir.path().join("fixture.sqlite");
    let mut store = SqliteStore::open(&db).unwrap();
    store.replace_regions(&regions()).unwrap();

    let fires = [
        // 2025-05-31T16:00Z is 00:00 on 1 June in Beijing: the season's first fire, in 丙镇.
        Fire {
            name: "E0",
            township: B1,
            county: B,
            times: vec!["2025-05-31T16:00:00Z"],
        },
        Fire {
            name: "E1",
            township: A1,
            county: A,
            times: vec![
                "2025-06-02T05:30:00Z",
                "2025-06-02T05:30:00Z",
                "2025-06-02T05:30:00Z",
            ],
        },
        Fire {
            name: "E2",
            township: A1,
            county: A,
            times: vec!["2025-06-10T06:00:00Z"],
        },
        Fire {
            name: "E3",
            township: A2,
            county: A,
            times: vec!["2025-06-15T05:00:00Z", "2025-06-15T17:10:00Z"],
        },
        // 18:00Z on the 20th is 02:00 on the 21st in Beijing.
        Fire {
            name: "E4",
            township: B1,
            county: B,
            times: vec!["2025-06-20T18:00:00Z"],
        },
        Fire {
            name: "E5",
            township: B1,
            county: B,
            times: vec!["2025-06-25T06:00:00Z"],
        },
        // 23:59 on 31 May in Beijing: not in the season.
        Fire {
            name: "Epre",
            township: A1,
            county: A,
            times: vec!["2025-05-31T15:59:00Z"],
        },
        // The year before: P1, P2 in the 2024 season, P3 before it.
        Fire {
            name: "P1",
            township: A1,
            county: A,
            times: vec!["2024-06-10T05:00:00Z", "2024-06-10T05:00:00Z"],
        },
        Fire {
            name: "P2",
            township: B1,
            county: B,
            times: vec!["2024-06-20T05:00:00Z"],
        },
        Fire {
            name: "P3",
            township: A1,
            county: A,
            times: vec!["2024-06-01T05:00:00Z"],
        },
    ];
    let mut rows = Vec::new();
    let mut events = Vec::new();
    let mut key = 0;
    let mut next_key = || {
        key += 1;
        format!("fixture-{key}")
    };
    for (i, f) in fires.iter().enumerate() {
        let lon = 116.01
            + i as f64 * 0.001
            + if f.township == A2 {
                0.1
            } else if f.county == B {
                0.2
            } else {
                0.0
            };
        let times: Vec<DateTime<Utc>> = f.times.iter().map(|t| utc(t)).collect();
        events.push(NewEvent {
            summary: EventSummary {
                first_seen: *times.iter().min().unwrap(),
                last_seen: *times.iter().max().unwrap(),
                lon,
                lat: 35.05,
                max_frp_mw: Some(12.0),
                detection_count: times.len() as i64,
                search_radius_km: 0.3,
            },
            region_id: Some(f.township.into()),
            county_id: Some(f.county.into()),
            neighbours: vec![],
            raise_alert: true,
        });
        for (j, t) in f.times.iter().enumerate() {
            rows.push(DetectionRow {
                detection: detection(SourceKind::FirmsViirs, t, lon + j as f64 * 0.0005, 35.05),
                natural_key: next_key(),
                region_id: Some(f.township.into()),
                county_id: Some(f.county.into()),
                suppressed_by: None,
                event: EventRef::New(i),
            });
        }
    }
    // Held back by the filters: two in 乙镇 by the registry, one in 丙镇 by a silence.
    for (t, c, reason) in [
        (A2, A, "registry:3:华能电厂"),
        (A2, A, "registry:3:华能电厂"),
        (B1, B, "silence:1:检修"),
    ] {
        rows.push(DetectionRow {
            detection: detection(
                SourceKind::FirmsViirs,
                "2025-06-12T05:00:00Z",
                116.15,
                35.06,
            ),
            natural_key: next_key(),
            region_id: Some(t.into()),
            county_id: Some(c.into()),
            suppressed_by: Some(reason.into()),
            event: EventRef::None,
        });
    }
    // Kept but classed off cropland (set below: only the cropland mask's trigger writes it).
    let not_straw_key = next_key();
    rows.push(DetectionRow {
        detection: detection(
            SourceKind::FirmsViirs,
            "2025-06-13T05:00:00Z",
            116.02,
            35.02,
        ),
        natural_key: not_straw_key.clone(),
        region_id: Some(A1.into()),
        county_id: Some(A.into()),
        suppressed_by: None,
        event: EventRef::None,
    });
    // A tower camera's fire in 甲镇, and a pixel outside every township.
    rows.push(DetectionRow {
        detection: detection(SourceKind::Camera, "2025-06-05T07:00:00Z", 116.03, 35.03),
        natural_key: next_key(),
        region_id: Some(A1.into()),
        county_id: Some(A.into()),
        suppressed_by: None,
        event: EventRef::None,
    });
    rows.push(DetectionRow {
        detection: detection(SourceKind::FirmsViirs, "2025-06-14T05:00:00Z", 117.5, 36.0),
        natural_key: next_key(),
        region_id: None,
        county_id: None,
        suppressed_by: None,
        event: EventRef::None,
    });

    store
        .commit_batch(&IngestBatch {
            file: FileRecord {
                name: "fixture.csv".into(),
                sha256: "fixture".into(),
                format: Some("fixture".into()),
                rows_read: rows.len(),
                rows_rejected: 0,
                reason: None,
                received_at: Utc::now(),
            },
            detections: rows,
            new_events: events,
            event_updates: vec![],
            actor: "fixture".into(),
        })
        .unwrap();
    store
        .connection()
        .execute(
            "UPDATE detections SET fire_class = 'not_straw' WHERE natural_key = ?1",
            [&not_straw_key],
        )
        .unwrap();

    // Alert ids follow the events' order.
    let ids: Vec<i64> = store
        .connection()
        .prepare("SELECT a.id FROM alerts a ORDER BY a.event_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let alerts: BTreeMap<&'static str, i64> = fires
        .iter()
        .map(|f| f.name)
        .zip(ids.iter().copied())
        .collect();
    let created = store.alert(ids[0]).unwrap().created_at;

    let mut go =
        |name: &str, to: AlertState, min: i64, outcome: Option<Outcome>, note: Option<&str>| {
            store
                .transition_alert(&TransitionRequest {
                    alert_id: alerts[name],
                    to,
                    actor: "patrol-wang".into(),
                    at: created + Duration::minutes(min),
                    outcome,
                    reason: (to == AlertState::Cancelled).then(|| "duplicate of E5".to_owned()),
                    note: note.map(Into::into),
                })
                .unwrap();
        };
    use AlertState::*;
    // E0: received 10, on scene 50, verified 100 — a burn scar of about 3 亩.
    go("E0", Received, 10, None, None);
    go("E0", OnScene, 50, None, None);
    go(
        "E0",
        Verified,
        100,
        Some(Outcome::BurnScarOnly),
        Some("约3亩"),
    );
    // E1: received 5, en route 8, on scene 25, verified 60 — straw, 2.5 亩 — closed at 200.
    go("E1", Received, 5, None, None);
    go("E1", EnRoute, 8, None, None);
    go("E1", OnScene, 25, None, None);
    go(
        "E1",
        Verified,
        60,
        Some(Outcome::ConfirmedStrawBurn),
        Some("过火约2.5亩，已处罚"),
    );
    go("E1", Closed, 200, None, None);
    // E2: received 40, verified 90 without recording on scene — nothing found.
    go("E2", Received, 40, None, None);
    go("E2", Verified, 90, Some(Outcome::NothingFound), None);
    // E3: received 20 and nothing since: never verified, overdue.
    go("E3", Received, 20, None, None);
    // E4: cancelled at 15 (a duplicate): judged against no deadline.
    go("E4", Cancelled, 15, None, None);
    // E5: received only at 3,000 — after the report's moment, so not yet.
    go("E5", Received, 3000, None, None);
    // Epre: verified, but outside the season.
    go("Epre", Received, 1, None, None);
    go("Epre", Verified, 2, Some(Outcome::Duplicate), None);
    // The year before: P1 confirmed, P2 untouched, P3 before the 2024 season.
    go("P1", Received, 30, None, None);
    go("P1", Verified, 70, Some(Outcome::ConfirmedStrawBurn), None);
    go("P3", Received, 30, None, None);
    go("P3", Verified, 70, Some(Outcome::ConfirmedStrawBurn), None);

    Fixture {
        dir,
        config_path,
        db,
        created,
        alerts,
    }
}

pub fn path(f: &Fixture, name: &str) -> PathBuf {
    let p: &Path = f.dir.path();
    p.join(name)
}

/// Runs the real binary against the fixture's configuration.
pub fn burnwatch(f: &Fixture, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(&f.config_path)
        .args(args)
        .output()
        .expect("burnwatch runs")
}

pub fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "burnwatch failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}
