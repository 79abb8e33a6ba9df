//! The whole path from product files to patrol queues, through the real binary and a real
//! SQLite file.

mod common;

use common::*;
use std::collections::HashMap;

#[test]
fn demo_products_become_routed_deduplicated_alerts_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let files = products(dir.path());
    assert_eq!(files.len(), 5, "{files:?}");
    let mut args = vec!["ingest", "--json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));

    let first = json_lines(&ok(burnwatch(&config, &args)));
    assert_eq!(first.len(), 5);
    let by_format: HashMap<String, &serde_json::Value> = first
        .iter()
        .map(|r| (r["format"].as_str().unwrap().to_owned(), r))
        .collect();
    for r in &first {
        for key in [
            "file",
            "format",
            "rows_read",
            "rows_rejected",
            "detections_new",
            "detections_duplicate",
            "suppressed",
            "events_new",
            "events_updated",
            "alerts_new",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert_eq!(r["rows_rejected"], 0, "{r}");
    }
    // The VNP14IMG granule is the same S-NPP pass as the VIIRS CSV: nothing new.
    let vnp = by_format["vnp14img_netcdf"];
    assert_eq!(vnp["detections_new"], 0, "{vnp}");
    assert!(vnp["detections_duplicate"].as_u64().unwrap() > 0);
    // The power plant flagged `type` 2 is held back, never alerted.
    assert_eq!(by_format["firms_viirs_csv"]["suppressed"], 1);
    // The MODIS point outside the prefecture is kept, not routed.
    assert_eq!(by_format["firms_modis_csv"]["outside"], 1);

    let alerts_total: u64 = first
        .iter()
        .map(|r| r["alerts_new"].as_u64().unwrap())
        .sum();
    let events_total: u64 = first
        .iter()
        .map(|r| r["events_new"].as_u64().unwrap())
        .sum();
    assert_eq!(alerts_total, events_total);
    let truth = std::fs::read_to_string(dir.path().join("samples/truth/fires.csv")).unwrap();
    let fires: Vec<(f64, f64, String)> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].to_owned(),
            )
        })
        .collect();
    // Every fire seen by some pass makes exactly one alert (fires never overlap in the demo
    // beyond the merge radius by construction, so allow merges but never more alerts than fires).
    assert!(
        alerts_total as usize <= fires.len(),
        "{alerts_total} alerts for {} fires",
        fires.len()
    );
    assert!(alerts_total as usize >= fires.len() * 3 / 4);

    // Every alert is in the township of the fire it stands for.
    let alerts: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    assert_eq!(alerts.len() as u64, alerts_total);
    for a in &alerts {
        let (lon, lat) = (a["lon"].as_f64().unwrap(), a["lat"].as_f64().unwrap());
        let nearest = fires
            .iter()
            .min_by(|x, y| {
                let dx = (x.0 - lon).hypot(x.1 - lat);
                let dy = (y.0 - lon).hypot(y.1 - lat);
                dx.total_cmp(&dy)
            })
            .unwrap();
        let region = a["region_id"].as_str().unwrap();
        // A pixel centre can sit across a border from its fire; then the fire's township must
        // at least see the alert as a neighbour.
        let neighbours: Vec<&str> = a["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(
            region == nearest.2 || neighbours.contains(&nearest.2.as_str()),
            "alert {} in {region}, fire in {}",
            a["alert_id"],
            nearest.2
        );
        assert_eq!(a["state"], "new");
        assert!(a["search_radius_km"].as_f64().unwrap() >= 0.25);
        assert_eq!(&a["county_id"].as_str().unwrap()[..6], &region[..6]);
    }
    assert!(
        alerts
            .iter()
            .any(|a| !a["neighbours"].as_array().unwrap().is_empty()),
        "the fire 200 m from a border is shown to the neighbour"
    );

    // Idempotency: the same files again create nothing.
    let second = json_lines(&ok(burnwatch(&config, &args)));
    for r in &second {
        assert_eq!(r["detections_new"], 0, "{r}");
        assert_eq!(r["events_new"], 0, "{r}");
        assert_eq!(r["events_updated"], 0, "{r}");
        assert_eq!(r["alerts_new"], 0, "{r}");
    }
    let again: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    assert_eq!(again.len(), alerts.len());
}

#[test]
fn queues_filter_by_township_and_print_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let files = products(dir.path());
    let mut args = vec!["ingest".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    ok(burnwatch(
        &config,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));

    let all: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    let township = all[0]["region_id"].as_str().unwrap().to_owned();
    let mine: Vec<serde_json::Value> = serde_json::from_str(&ok(burnwatch(
        &config,
        &["alerts", "--region", &township, "--format", "json"],
    )))
    .unwrap();
    assert!(!mine.is_empty());
    for a in &mine {
        let shown: Vec<&str> = a["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(a["region_id"] == township.as_str() || shown.contains(&township.as_str()));
    }
    assert!(mine.len() < all.len());

    let geojson: serde_json::Value =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "geojson"]))).unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    let f = &geojson["features"][0];
    assert_eq!(f["geometry"]["type"], "Point");
    for key in [
        "alert_id",
        "detection_ids",
        "acq_time_utc",
        "frp_mw",
        "confidence",
        "township_code",
        "county_code",
        "cluster_size",
    ] {
        assert!(f["properties"].get(key).is_some(), "{key}");
    }

    let csv = ok(burnwatch(&config, &["alerts", "--format", "csv"]));
    assert!(csv.starts_with("alert_id,state,"));
    assert_eq!(csv.lines().count(), all.len() + 1);

    let table = ok(burnwatch(&config, &["alerts"]));
    assert!(table.contains(&township), "{table}");
    assert!(table.contains("CST"));

    let none = ok(burnwatch(&config, &["alerts", "--status", "verified"]));
    assert!(none.contains("no alerts"));
    let bad = burnwatch(&config, &["alerts", "--status", "burning"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown alert state"));
}
