//! The real product files and boundaries in ../shared/data, through the real binary.
//! Each test skips with a message when the data is absent.

mod common;

use common::*;
use std::path::Path;

fn jining_config(dir: &Path, data: &Path) -> std::path::PathBuf {
    let jining = data.join("jining");
    let config = dir.join("jining.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\npath = \"var/burnwatch.sqlite\"\n\
             [ingest]\nquarantine_dir = \"var/quarantine\"\n\
             [regions.counties]\npath = \"{}\"\nid_field = \"district_adcode\"\nname_field = \"district_name\"\n\
             [regions.townships]\npath = \"{}\"\nid_field = \"code9\"\nname_field = \"name\"\nparent_field = \"county_code\"\n",
            jining.join("jining_district_tianditu_wgs84.geojson").display(),
            jining.join("SYNTHETIC_jining_townships_voronoi_wgs84.geojson").display(),
        ),
    )
    .unwrap();
    config
}

#[test]
fn the_real_modis_file_yields_one_jining_alert_and_keeps_the_rest_as_outside() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = jining_config(dir.path(), &data);
    // Work on a copy: ingest must never need to touch the shared originals.
    let modis = dir.path().join("MODIS_C6_1_Global_24h_2025-11-18.csv");
    std::fs::copy(
        data.join("satellite/MODIS_C6_1_Global_24h_2025-11-18.csv"),
        &modis,
    )
    .unwrap();
    let reports = json_lines(&ok(burnwatch(
        &config,
        &["ingest", "--json", modis.to_str().unwrap()],
    )));
    let r = &reports[0];
    assert_eq!(r["format"], "firms_modis_csv");
    assert_eq!(r["rows_read"], 6624);
    assert_eq!(r["rows_rejected"], 0);
    assert_eq!(
        r["detections_new"].as_u64().unwrap() + r["detections_duplicate"].as_u64().unwrap(),
        6624
    );
    assert!(r["outside"].as_u64().unwrap() > 6600, "{r}");
    assert!(r["alerts_new"].as_u64().unwrap() >= 1, "{r}");

    let alerts: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    assert_eq!(alerts.len() as u64, r["alerts_new"].as_u64().unwrap());
    let near = alerts
        .iter()
        .find(|a| {
            (a["lat"].as_f64().unwrap() - 35.69).abs() < 0.02
                && (a["lon"].as_f64().unwrap() - 116.95).abs() < 0.02
        })
        .expect("the point near 35.69N 116.95E is alerted");
    assert!(
        near["region_id"].as_str().unwrap().starts_with("3708"),
        "{near}"
    );
    assert!(
        near["county_id"].as_str().unwrap().starts_with("3708"),
        "{near}"
    );
    assert!(near["county_name"].as_str().is_some());

    let again = json_lines(&ok(burnwatch(
        &config,
        &["ingest", "--json", modis.to_str().unwrap()],
    )));
    assert_eq!(again[0]["detections_new"], 0);
    assert_eq!(again[0]["alerts_new"], 0);
}

#[test]
fn himawari_and_cspp_files_are_read_and_routed_outside_jining() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = jining_config(dir.path(), &data);
    let mut paths = Vec::new();
    for name in [
        "H09_20251209_1900_L2WLF010_FLDK.06001_06001.csv",
        "AFIMG_j01_cspp_dev_EXCERPT_3of18rows.txt",
    ] {
        let p = dir.path().join(name);
        std::fs::copy(data.join("satellite").join(name), &p).unwrap();
        paths.push(p.display().to_string());
    }
    let mut args = vec!["ingest", "--json"];
    args.extend(paths.iter().map(String::as_str));
    let reports = json_lines(&ok(burnwatch(&config, &args)));
    assert_eq!(reports[0]["format"], "himawari_wlf_csv");
    assert_eq!(reports[0]["rows_read"], 212);
    assert_eq!(reports[1]["format"], "cspp_afimg_text");
    assert_eq!(reports[1]["rows_read"], 3);
    // The CSPP excerpt is in Europe: stored, nothing routed.
    assert_eq!(reports[1]["outside"], 3);
    assert_eq!(reports[1]["alerts_new"], 0);
}

#[test]
fn route_command_matches_the_county_of_known_points_and_converts_gcj02() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let jining = data.join("jining");
    // Each county's own label point (from the Tianditu file's lon/lat properties).
    let counties: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(jining.join("jining_district_tianditu_wgs84.geojson")).unwrap(),
    )
    .unwrap();
    let mut csv = String::from("name,longitude,latitude\n");
    let mut expected = Vec::new();
    for f in counties["features"].as_array().unwrap() {
        let p = &f["properties"];
        csv.push_str(&format!(
            "\"{}\",{},{}\n",
            p["district_name"].as_str().unwrap(),
            p["lon"],
            p["lat"]
        ));
        expected.push(p["district_adcode"].to_string());
    }
    csv.push_str("far away,100.0,20.0\n");
    let points = dir.path().join("points.csv");
    std::fs::write(&points, csv).unwrap();

    let route = |file: &str, id: &str, name: &str, crs: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
            .args(["route", "--boundaries"])
            .arg(jining.join(file))
            .args(["--id-field", id, "--name-field", name, "--crs", crs])
            .arg(&points)
            .output()
            .unwrap();
        ok(out)
    };
    let out = route(
        "jining_district_tianditu_wgs84.geojson",
        "district_adcode",
        "district_name",
        "wgs84",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "name,longitude,latitude,region_id,region_name");
    for (line, code) in lines[1..=expected.len()].iter().zip(&expected) {
        assert!(
            line.contains(&format!(",{code},")),
            "{line} should be in {code}"
        );
    }
    assert!(
        lines.last().unwrap().ends_with(",,"),
        "outside points get empty columns"
    );

    // The DataV file is GCJ-02: with conversion it gives the same counties.
    let out = route("jining_370800_full_datav.json", "adcode", "name", "gcj02");
    for (line, code) in out.lines().skip(1).zip(&expected) {
        assert!(
            line.contains(&format!(",{code},")),
            "{line} should be in {code}"
        );
    }
}
