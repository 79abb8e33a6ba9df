//! The non-straw filters through the command line: registry import (and its bad rows), the
//! suppressed-detection listing, lifting a suppression, silences, and `eval filter` on a simulated
//! season. The multi-seed measurements run through the library in crates/filter/tests.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// A simulated season in `dir/season`; returns its config.
fn season(dir: &Path, seed: u64) -> PathBuf {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .args(["simulate", "season", "--seed", &seed.to_string(), "--out"])
        .arg(dir.join("season"))
        .output()
        .expect("burnwatch runs");
    ok(out);
    dir.join("season/burnwatch.toml")
}

fn daily(dir: &Path, day_prefix: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir.join("season/daily"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.contains(day_prefix))
        .collect();
    files.sort();
    files
}

fn run(config: &Path, args: &[&str]) -> (bool, String, String) {
    let out = burnwatch(config, args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_season_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = season(dir.path(), 5);
    let registry = dir.path().join("season/registry/industrial.csv");
    let registry = registry.to_str().unwrap();
    let out = ok(burnwatch(&config, &["sources", "import", registry]));
    assert!(out.contains("6 imported, 1 duplicates"), "{out}");
    assert!(out.contains("duplicate:"), "{out}");
    // Importing again changes nothing.
    let again = ok(burnwatch(&config, &["sources", "import", registry]));
    assert!(again.contains("0 imported, 7 duplicates"), "{again}");

    let mut args = vec!["ingest".to_owned()];
    args.extend(daily(dir.path(), "2025-06-1"));
    ok(burnwatch(
        &config,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let held: Vec<serde_json::Value> = serde_json::from_str(&ok(burnwatch(
        &config,
        &[
            "detections",
            "--suppressed",
            "--reason",
            "registry",
            "--json",
        ],
    )))
    .unwrap();
    assert!(held.len() > 20);
    assert!(held.iter().all(|d| d["suppressed_by"]
        .as_str()
        .unwrap()
        .starts_with("registry:")
        && d["event_id"].is_null()));
    let one_site = held[0]["suppressed_by"].as_str().unwrap();
    let prefix = one_site.rsplit_once(':').unwrap().0; // "registry:3"
    let by_site: Vec<serde_json::Value> = serde_json::from_str(&ok(burnwatch(
        &config,
        &["detections", "--reason", prefix, "--json"],
    )))
    .unwrap();
    assert!(by_site
        .iter()
        .all(|d| d["suppressed_by"].as_str() == Some(one_site)));

    // Lift one that lies in a township: it raises an alert, once.
    let target = held.iter().find(|d| !d["region_id"].is_null()).unwrap();
    let id = target["id"].as_i64().unwrap().to_string();
    let alerts_before: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    let out = ok(burnwatch(
        &config,
        &[
            "detections",
            "lift",
            &id,
            "--actor",
            "duty-wang",
            "--note",
            "field fire",
        ],
    ));
    assert!(out.contains("released from registry:"), "{out}");
    let alerts: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    assert!(alerts.len() >= alerts_before.len());
    assert!(alerts.iter().any(|a| a["detection_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d.as_i64() == target["id"].as_i64())));
    let (success, _, err) = run(&config, &["detections", "lift", &id, "--actor", "duty-li"]);
    assert!(!success);
    assert!(
        err.contains("not suppressed") && err.contains("duty-wang"),
        "{err}"
    );
    let listed = ok(burnwatch(&config, &["detections", "--limit", "100000"]));
    assert!(
        listed.contains("(lifted by duty-wang from registry:"),
        "{listed}"
    );

    // Learning (here from last year's FIRMS archive) proposes the hidden sites, not the
    // registered ones; approving one registers it, and it cannot be decided twice.
    let archive = dir
        .path()
        .join("season/archive/fire_archive_SV-C2_DEMO_2024.csv");
    let out = ok(burnwatch(
        &config,
        &["sources", "learn", "--archive", archive.to_str().unwrap()],
    ));
    assert!(out.contains("at registered sites"), "{out}");
    let list: serde_json::Value = serde_json::from_str(&ok(burnwatch(
        &config,
        &["sources", "list", "--status", "pending", "--json"],
    )))
    .unwrap();
    let candidates = list["candidates"].as_array().unwrap();
    assert!(candidates.len() >= 5, "{list}");
    let c = &candidates[0];
    assert!(c["evidence"]["months"].as_i64().unwrap() >= 3);
    let cid = c["id"].as_i64().unwrap().to_string();
    let out = ok(burnwatch(
        &config,
        &[
            "sources",
            "approve",
            &cid,
            "--actor",
            "duty-wang",
            "--type",
            "coking plant",
        ],
    ));
    assert!(out.contains("approved as registry 7"), "{out}");
    let (success, _, err) = run(&config, &["sources", "reject", &cid, "--actor", "duty-li"]);
    assert!(!success && err.contains("already approved"), "{err}");
    let reg: serde_json::Value =
        serde_json::from_str(&ok(burnwatch(&config, &["sources", "list", "--json"]))).unwrap();
    assert_eq!(reg["registry"][6]["origin"], "learned");

    // The whole season, measured.
    let season_dir = dir.path().join("season");
    let out = ok(burnwatch(
        &config,
        &["eval", "filter", "--season", season_dir.to_str().unwrap()],
    ));
    assert_eq!(out.matches(" met").count(), 4, "{out}");
}

#[test]
fn registry_rows_without_or_with_impossible_coordinates_are_refused_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = season_config_only(dir.path());
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "name,type,lat,lon,capacity\n\
         Good plant,coal power plant,35.1,116.5,600 MW\n\
         No coordinates,coking plant,,,\n\
         Half,cement plant,35.2,,\n\
         Swapped,steel works,116.5,35.1,\n\
         Far north,coal mine,135.2,116.4,\n\
         Words,coal mine,35°06',116.4,\n\
         Null island,coal mine,0,0,\n\
         ,coal mine,35.3,116.6,\n\
         Good kiln,cement plant,35.15,116.7,\n",
    )
    .unwrap();
    let (success, out, err) = run(&config, &["sources", "import", csv.to_str().unwrap()]);
    assert!(success, "{err}");
    assert!(
        out.contains("9 rows: 2 imported, 0 duplicates, 7 bad rows"),
        "{out}"
    );
    for (line, words) in [
        (3, "no coordinates"),
        (4, "no longitude"),
        (5, "swapped"),
        (6, "impossible coordinates"),
        (7, "not a number"),
        (8, "placeholder"),
        (9, "no name"),
    ] {
        let expected = format!("bad.csv:{line}: ");
        let hit = err
            .lines()
            .find(|l| l.starts_with(&expected))
            .unwrap_or_else(|| panic!("no error for line {line}: {err}"));
        assert!(hit.contains(words), "{hit}");
    }
    let list: serde_json::Value =
        serde_json::from_str(&ok(burnwatch(&config, &["sources", "list", "--json"]))).unwrap();
    let names: Vec<&str> = list["registry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Good plant", "Good kiln"]);

    // A file with no coordinate columns at all is refused as a whole.
    let none = dir.path().join("unlocated.csv");
    std::fs::write(
        &none,
        "name,type,note\nA cement works,cement plant,press report\n",
    )
    .unwrap();
    let (success, _, err) = run(&config, &["sources", "import", none.to_str().unwrap()]);
    assert!(!success);
    assert!(err.contains("no latitude/longitude columns"), "{err}");
}

/// A store and config without products: the season's config, which carries the filter settings.
fn season_config_only(dir: &Path) -> PathBuf {
    season(dir, 6)
}

#[test]
fn a_registry_layer_with_a_footprint_polygon_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let config = season_config_only(dir.path());
    let layer = dir.path().join("sites.geojson");
    std::fs::write(
        &layer,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"name":"大型电厂","type":"coal power plant"},
           "geometry":{"type":"Polygon","coordinates":[[[116.50,35.10],[116.52,35.10],[116.52,35.11],[116.50,35.11],[116.50,35.10]]]}},
          {"type":"Feature","properties":{"name":"焦化厂","type":"coking plant"},
           "geometry":{"type":"Point","coordinates":[116.60,35.15]}},
          {"type":"Feature","properties":{"name":"无坐标"},"geometry":null}
        ]}"#,
    )
    .unwrap();
    let (success, out, err) = run(&config, &["sources", "import", layer.to_str().unwrap()]);
    assert!(success, "{err}");
    assert!(out.contains("3 rows: 2 imported"), "{out}");
    assert!(err.contains("no geometry"), "{err}");
    let list: serde_json::Value =
        serde_json::from_str(&ok(burnwatch(&config, &["sources", "list", "--json"]))).unwrap();
    let reg = list["registry"].as_array().unwrap();
    assert_eq!(reg.len(), 2);
    assert!(reg[0]["geometry"].as_str().unwrap().contains("Polygon"));
    assert!((reg[0]["lon"].as_f64().unwrap() - 116.51).abs() < 1e-6);
    assert!(reg[1]["geometry"].is_null());
}

#[test]
fn silences_need_author_reason_and_end_and_overlaps_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let config = season_config_only(dir.path());
    let base = [
        "silences",
        "add",
        "--circle",
        "116.5,35.1,1.5",
        "--start",
        "now",
    ];
    let add = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        run(&config, &args)
    };
    for (extra, words) in [
        (
            vec!["--end", "+8h", "--comment", "boiler test"],
            "created_by",
        ),
        (vec!["--end", "+8h", "--created-by", "duty-wang"], "comment"),
        (
            vec!["--created-by", "duty-wang", "--comment", "boiler test"],
            "end is required",
        ),
        (
            vec![
                "--end",
                "2020-01-01 08:00",
                "--created-by",
                "duty-wang",
                "--comment",
                "boiler test",
            ],
            "before it starts",
        ),
    ] {
        let (success, _, err) = add(&extra);
        assert!(!success, "{extra:?}");
        assert!(err.contains(words), "{extra:?}: {err}");
    }
    let (success, out, err) = add(&[
        "--end",
        "+8h",
        "--created-by",
        "duty-wang",
        "--comment",
        "boiler start-up test",
    ]);
    assert!(success, "{err}");
    assert!(out.starts_with("silence 1:"), "{out}");
    assert!(err.is_empty(), "{err}");
    // 1 km away, overlapping in space and time: allowed, and reported.
    let (success, out, err) = run(
        &config,
        &[
            "silences",
            "add",
            "--circle",
            "116.511,35.1,1.0",
            "--start",
            "now",
            "--end",
            "+2h",
            "--sensor",
            "VIIRS",
            "--created-by",
            "duty-li",
            "--comment",
            "flare",
        ],
    );
    assert!(success && out.starts_with("silence 2:"), "{err}");
    assert!(err.contains("overlaps silence 1"), "{err}");
    let listed = ok(burnwatch(&config, &["silences", "list"]));
    assert_eq!(listed.lines().count(), 2, "{listed}");
    ok(burnwatch(
        &config,
        &["silences", "expire", "1", "--actor", "duty-li"],
    ));
    let listed = ok(burnwatch(&config, &["silences", "list"]));
    assert!(
        listed.contains("flare") && !listed.contains("boiler"),
        "{listed}"
    );
    let all = ok(burnwatch(&config, &["silences", "list", "--all"]));
    assert!(all.contains("expired early by duty-li"), "{all}");
    let (success, _, err) = run(&config, &["silences", "expire", "1", "--actor", "duty-li"]);
    assert!(!success && err.contains("already ended"), "{err}");
}

#[test]
fn the_real_jining_registry_imports_with_its_duplicates_reported() {
    let Some(shared) = shared_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = season_config_only(dir.path());
    let file = shared.join("jining/industrial_jining.csv");
    let (success, out, err) = run(
        &config,
        &["sources", "import", file.to_str().unwrap(), "--json"],
    );
    assert!(success, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["rows"], 35);
    assert!(report["errors"].as_array().unwrap().is_empty(), "{err}");
    let dups = report["duplicates"].as_array().unwrap();
    // Zouxian is listed twice, ~270 m apart: one entry, its buffer covering both points.
    let zouxian = dups
        .iter()
        .find(|d| d["name"].as_str().unwrap().contains("Zouxian"))
        .expect("the Zouxian duplicate is reported");
    assert_eq!(zouxian["at"], "industrial_jining.csv:17");
    assert_eq!(zouxian["of_name"], "Zouxian power station");
    let km = zouxian["distance_km"].as_f64().unwrap();
    assert!((0.2..0.35).contains(&km), "{km}");
    assert!(zouxian["buffer_km"].as_f64().unwrap() >= km + 1.0);
    let imported = report["imported"].as_array().unwrap().len();
    assert_eq!(imported + dups.len(), 35);
    // Liyan and Luxi are two plants ~700 m apart: both kept.
    let names: Vec<&str> = report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("Liyan"))
            && names.iter().any(|n| n.starts_with("Shandong Luxi"))
    );

    let unlocated = shared.join("jining/industrial_jining_unlocated.csv");
    let (success, _, err) = run(&config, &["sources", "import", unlocated.to_str().unwrap()]);
    assert!(!success);
    assert!(err.contains("no latitude/longitude columns"), "{err}");
}
