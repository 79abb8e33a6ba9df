//! Exports through `burnwatch export` and `burnwatch stats --format xlsx`, read back: XLSX with
//! calamine, CSV with its BOM, GeoJSON and KML; and refusals of bad input.

mod stats_fixture;

use calamine::{open_workbook, Data, Reader, Xlsx};
use stats_fixture::*;

fn sheet(path: &std::path::Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let names = wb.sheet_names();
    assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(c: &Data) -> String {
    match c {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

fn count(f: &Fixture, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(&f.db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn detections_round_trip_through_xlsx() {
    let f = build();
    let out = path(&f, "detections.xlsx");
    let msg = ok(burnwatch(
        &f,
        &[
            "export",
            "detections",
            "--format",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let total = count(&f, "SELECT COUNT(*) FROM detections");
    assert!(msg.contains(&format!("exported {total} rows")), "{msg}");
    let rows = sheet(&out, "卫星探测");
    assert_eq!(rows.len() as i64, total + 1, "a header and every detection");
    let header: Vec<String> = rows[0].iter().map(text).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    // Sorted by pass time: the first is P3 (2024-06-01 05:00 UTC = 13:00 Beijing) in 甲镇.
    assert_eq!(
        text(&rows[1][col("过境时间(北京时间)")]),
        "2024-06-01 13:00:00"
    );
    assert_eq!(text(&rows[1][col("过境时间(UTC)")]), "2024-06-01T05:00:00Z");
    assert_eq!(text(&rows[1][col("乡镇(街道)")]), "甲镇");
    assert_eq!(text(&rows[1][col("县(市、区)")]), "东县");
    assert!(matches!(rows[1][col("中心经度")], Data::Float(x) if (116.0..116.1).contains(&x)));
    let suppressed: Vec<String> = rows[1..]
        .iter()
        .map(|r| text(&r[col("剔除原因")]))
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(suppressed.len(), 3);
    assert!(suppressed.contains(&"silence:1:检修".to_owned()));

    // The season only, one county, English headers.
    let out = path(&f, "east.xlsx");
    ok(burnwatch(
        &f,
        &[
            "export",
            "detections",
            "--format",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--region",
            A,
            "--lang",
            "en",
        ],
    ));
    let rows = sheet(&out, "detections");
    // 甲镇: E1 3 + E2 1 + the off-cropland one + the camera; 乙镇: E3 2 + 2 held back.
    assert_eq!(rows.len(), 1 + 10);
    assert_eq!(text(&rows[0][0]), "detection id");
}

#[test]
fn statistics_round_trip_through_xlsx() {
    let f = build();
    let out = path(&f, "season.xlsx");
    let as_of = f.as_of().to_rfc3339();
    ok(burnwatch(
        &f,
        &[
            "stats",
            "--season",
            "三夏",
            "--by",
            "township",
            "--format",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
            "--as-of",
            &as_of,
        ],
    ));
    let rows = sheet(&out, "统计");
    let header_at = rows
        .iter()
        .position(|r| r.first().map(text).as_deref() == Some("代码"))
        .expect("the table's header row");
    let header: Vec<String> = rows[header_at].iter().map(text).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let body = &rows[header_at + 1..header_at + 5];
    let by_town = |name: &str| {
        body.iter()
            .find(|r| text(&r[col("乡镇(街道)")]) == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(by_town("甲镇")[col("卫星火点")], Data::Float(4.0));
    assert_eq!(
        by_town("乙镇")[col("已剔除:工业热源名录")],
        Data::Float(2.0)
    );
    assert_eq!(by_town("丙镇")[col("已剔除:静默规则")], Data::Float(1.0));
    let total = &body[3];
    assert!(text(&total[col("县(市、区)")]).contains("合计"));
    assert_eq!(total[col("卫星火点")], Data::Float(9.0));
    assert_eq!(total[col("每千公顷火点")], Data::Float(1.0));
    assert_eq!(total[col("签收中位(分)")], Data::Float(15.0));
    assert_eq!(total[col("签收P90(分)")], Data::Float(40.0));
    assert_eq!(total[col("超时到场")], Data::Float(4.0));
    assert_eq!(total[col("过火面积(亩)")], Data::Float(5.5));
    match total[col("误报率")] {
        Data::Float(x) => assert!((x - 1.0 / 3.0).abs() < 1e-9),
        ref other => panic!("{other:?}"),
    }
    assert_eq!(total[col("去年同期卫星火点")], Data::Float(3.0));
    assert_eq!(total[col("卫星火点同比")], Data::Float(2.0));
    let notes: Vec<String> = rows.iter().flat_map(|r| r.iter().map(text)).collect();
    assert!(notes.iter().any(|n| n.contains("不含云覆盖下火点")));

    let by_day = sheet(&out, "逐日");
    assert_eq!(by_day.len(), 31, "a header and the 30 days of June");
    assert_eq!(text(&by_day[2][0]), "2025-06-02");
    assert_eq!(by_day[2][1], Data::Float(3.0));
    assert_eq!(by_day[2][3], Data::Float(1.0));

    let unverified = sheet(&out, "未核查预警");
    assert_eq!(unverified.len(), 3);
    assert_eq!(unverified[1][0], Data::Float(f.alerts["E3"] as f64));
    assert_eq!(text(&unverified[1][2]), "乙镇");
    assert_eq!(text(&unverified[1][8]), "已签收");
}

#[test]
fn alerts_and_verifications_as_csv_geojson_and_kml() {
    let f = build();
    let csv_path = path(&f, "verifications.csv");
    ok(burnwatch(
        &f,
        &[
            "export",
            "verifications",
            "--format",
            "csv",
            "--out",
            csv_path.to_str().unwrap(),
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
        ],
    ));
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a BOM so Excel reads UTF-8"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // E0, E1, E2 were verified in the season (Epre was before it).
    assert_eq!(rows.len(), 3);
    let e1 = rows
        .iter()
        .find(|r| r[0] == f.alerts["E1"].to_string())
        .unwrap();
    assert_eq!(&e1[col("核查结果")], "确认秸秆焚烧");
    assert_eq!(&e1[col("过火面积(亩)")], "2.5");
    assert_eq!(&e1[col("核查用时(分)")], "60");
    assert_eq!(&e1[col("到场用时(分)")], "25");
    assert_eq!(&e1[col("核查人")], "patrol-wang");
    assert_eq!(&e1[col("状态")], "已办结");
    let e2 = rows
        .iter()
        .find(|r| r[0] == f.alerts["E2"].to_string())
        .unwrap();
    assert_eq!(&e2[col("到场用时(分)")], "90", "verified implies on scene");
    assert_eq!(&e2[col("过火面积(亩)")], "");

    let geojson = path(&f, "alerts.geojson");
    ok(burnwatch(
        &f,
        &[
            "export",
            "alerts",
            "--format",
            "geojson",
            "--out",
            geojson.to_str().unwrap(),
        ],
    ));
    let fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&geojson).unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(
        features.len() as i64,
        count(&f, "SELECT COUNT(*) FROM alerts")
    );
    let e3 = features
        .iter()
        .find(|x| x["properties"]["alert_id"] == f.alerts["E3"])
        .unwrap();
    assert_eq!(e3["geometry"]["type"], "Point");
    assert!(e3["geometry"]["coordinates"][0].as_f64().unwrap() > 116.1);
    assert_eq!(e3["properties"]["township_code"], A2);
    assert_eq!(e3["properties"]["state"], "已签收");
    assert_eq!(e3["properties"]["verified_at"], serde_json::Value::Null);
    assert_eq!(e3["properties"]["first_seen_utc"], "2025-06-15T05:00:00Z");

    let kml = path(&f, "alerts.kml");
    ok(burnwatch(
        &f,
        &[
            "export",
            "alerts",
            "--format",
            "kml",
            "--out",
            kml.to_str().unwrap(),
            "--region",
            B1,
        ],
    ));
    let text = std::fs::read_to_string(&kml).unwrap();
    assert!(text.starts_with("<?xml") && text.trim_end().ends_with("</kml>"));
    // 丙镇: E0, E4, E5 and P2.
    assert_eq!(text.matches("<Placemark>").count(), 4);
    assert_eq!(text.matches("</Placemark>").count(), 4);
    assert!(text.contains("<TimeStamp><when>2025-05-31T16:00:00Z</when></TimeStamp>"));
    assert!(text.contains(
        "<Data name=\"township\"><displayName>乡镇(街道)</displayName><value>丙镇</value></Data>"
    ));
    assert!(text.contains("<coordinates>116.2"));
}

#[test]
fn events_export_and_bad_input() {
    let f = build();
    let out = path(&f, "events.csv");
    let msg = ok(burnwatch(
        &f,
        &[
            "export",
            "events",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
            "--from",
            "2025-06-21",
            "--to",
            "2025-06-21",
        ],
    ));
    assert!(msg.contains("exported 1 rows"), "{msg}");
    let body = std::fs::read_to_string(&out).unwrap();
    assert!(body.contains("2025-06-21 02:00:00"), "{body}");
    let fails = |args: &[&str], expected: &str| {
        let o = burnwatch(&f, args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    };
    let bad = path(&f, "bad.csv");
    let bad = bad.to_str().unwrap();
    fails(
        &[
            "export",
            "alerts",
            "--format",
            "csv",
            "--out",
            bad,
            "--from",
            "2025-07-01",
            "--to",
            "2025-06-01",
        ],
        "the range is empty",
    );
    fails(
        &[
            "export", "alerts", "--format", "csv", "--out", bad, "--region", "nowhere",
        ],
        "unknown region \"nowhere\"",
    );
    fails(
        &["export", "fires", "--format", "csv", "--out", bad],
        "invalid value 'fires'",
    );
    assert!(
        !std::path::Path::new(bad).exists(),
        "no half-written file is left"
    );
}
