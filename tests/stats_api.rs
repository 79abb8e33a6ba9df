//! The bureau's figures through the real daemon's API: the same numbers and the same files as
//! `burnwatch stats` / `burnwatch export` / `burnwatch bulletin`, scoped by role; bad requests
//! answered with JSON `{code, message}`; and a suppression lifted from the console's API, once.

mod common;

use calamine::{Reader, Xlsx};
use common::*;
use serde_json::Value;

fn call(port: u16, method: &str, path: &str, token: &str) -> (u16, Value) {
    let (code, text) = http(port, method, path, Some(token), None);
    (code, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn statistics_exports_and_bulletin_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (config, alerts) = ingested_samples(dir.path());
    // Some field work, so outcomes and response times are not all empty.
    for a in alerts.iter().take(4) {
        let id = a["alert_id"].to_string();
        ok(burnwatch(
            &config,
            &["transition", &id, "received", "--actor", "patrol"],
        ));
    }
    let first = alerts[0]["alert_id"].to_string();
    ok(burnwatch(
        &config,
        &["transition", &first, "on_scene", "--actor", "patrol"],
    ));
    ok(burnwatch(
        &config,
        &[
            "transition",
            &first,
            "verified",
            "--actor",
            "patrol",
            "--outcome",
            "confirmed_straw_burn",
        ],
    ));
    let town = alerts[0]["region_id"].as_str().unwrap().to_owned();
    let county = alerts[0]["county_id"].as_str().unwrap().to_owned();
    let other_county = alerts
        .iter()
        .map(|a| a["county_id"].as_str().unwrap())
        .find(|c| *c != county)
        .expect("alerts in two counties")
        .to_owned();
    add_user(&config, "li-patrol", "patrol", Some(&town));
    add_user(&config, "zhao-county", "county_supervisor", Some(&county));
    add_user(&config, "duty", "duty_officer", None);
    add_user(&config, "audit", "auditor", None);

    let port = free_port();
    daemon_config(&config, port, "");
    let mut daemon = start_daemon(&config);
    wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());
    let patrol = login(port, "li-patrol");
    let supervisor = login(port, "zhao-county");
    let duty = login(port, "duty");
    let audit = login(port, "audit");

    // Every alert carries the next step it owes and that step's deadline; done alerts none.
    let (code, queue) = call(port, "GET", "/api/v1/alerts", &duty);
    assert_eq!(code, 200);
    for a in queue.as_array().unwrap() {
        let created =
            chrono::DateTime::parse_from_rfc3339(a["created_at"].as_str().unwrap()).unwrap();
        match a["state"].as_str().unwrap() {
            "verified" => {
                assert!(
                    a["deadline_at"].is_null() && a["deadline_step"].is_null(),
                    "{a}"
                )
            }
            state => {
                let want = if state == "received" {
                    "on_scene"
                } else {
                    "received"
                };
                assert_eq!(a["deadline_step"], want, "{a}");
                let due = chrono::DateTime::parse_from_rfc3339(a["deadline_at"].as_str().unwrap())
                    .unwrap();
                // The demo's fires are in 三夏 2025, whose on-scene deadline is 45 minutes
                // ([[seasons]]); receiving keeps the general 30 ([deadlines]).
                let minutes = (due - created).num_seconds() as f64 / 60.0;
                let configured = if state == "received" { 45.0 } else { 30.0 };
                assert!((minutes - configured).abs() < 1e-6, "{minutes} min: {a}");
            }
        }
    }

    let (_, spec) = http(port, "GET", "/api/v1/openapi.json", None, None);
    let spec: Value = serde_json::from_str(&spec).unwrap();
    for p in [
        "/api/v1/stats",
        "/api/v1/seasons",
        "/api/v1/bulletin",
        "/api/v1/exports/{what}",
        "/api/v1/detections/{id}/lift",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} is described");
    }

    // Seasons for the page's picker: the demo's, newest first.
    let (code, seasons) = call(port, "GET", "/api/v1/seasons", &audit);
    assert_eq!(code, 200, "{seasons}");
    let names: Vec<&str> = seasons
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"三夏"), "{names:?}");

    // The API's figures are the CLI's, number for number, judged at the same moment.
    let as_of = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let as_of = as_of.as_str();
    let (code, api) = call(
        port,
        "GET",
        &format!("/api/v1/stats?season=三夏&year=2025&by=township&as_of={as_of}"),
        &audit,
    );
    assert_eq!(code, 200, "{api}");
    let cli: Value = serde_json::from_str(&ok(burnwatch(
        &config,
        &[
            "stats", "--season", "三夏", "--year", "2025", "--by", "township", "--format", "json",
            "--as-of", as_of,
        ],
    )))
    .unwrap();
    assert_eq!(api, cli);
    assert_eq!(api["total"]["alerts"]["total"], alerts.len());
    assert_eq!(api["total"]["alerts"]["verified"], 1);
    assert_eq!(
        api["total"]["alerts"]["outcomes"]["confirmed_straw_burn"],
        1
    );
    assert_eq!(api["total"]["alerts"]["received"]["reached"], 4);

    // A county supervisor gets its county whatever it asks, a township of it, never another.
    let (code, own) = call(port, "GET", "/api/v1/stats?season=三夏", &supervisor);
    assert_eq!(code, 200, "{own}");
    assert_eq!(own["region"]["id"], county.as_str());
    let in_county = alerts
        .iter()
        .filter(|a| a["county_id"] == county.as_str())
        .count();
    assert_eq!(own["total"]["alerts"]["total"], in_county);
    assert_eq!(own["outside_detections"], 0, "no prefecture-wide figure");
    let (code, narrowed) = call(
        port,
        "GET",
        &format!("/api/v1/stats?season=三夏&region={town}"),
        &supervisor,
    );
    assert_eq!(code, 200);
    let in_town = alerts
        .iter()
        .filter(|a| a["region_id"] == town.as_str())
        .count();
    assert_eq!(narrowed["total"]["alerts"]["total"], in_town);
    let other_town = alerts
        .iter()
        .find(|a| a["county_id"] == other_county.as_str())
        .and_then(|a| a["region_id"].as_str())
        .unwrap();
    for path in [
        format!("/api/v1/stats?season=三夏&region={other_town}"),
        format!("/api/v1/exports/detections?region={other_county}"),
        format!("/api/v1/exports/alerts?region={other_town}&format=geojson"),
    ] {
        let (code, e) = call(port, "GET", &path, &supervisor);
        assert_eq!(
            (code, e["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
    }
    let (code, e) = call(
        port,
        "GET",
        &format!("/api/v1/stats?season=三夏&region={other_county}"),
        &supervisor,
    );
    assert_eq!((code, e["code"].as_str()), (403, Some("forbidden")));

    // Patrols read their queue, not statistics; the bulletin is the prefecture's.
    for path in [
        "/api/v1/stats?season=三夏".to_owned(),
        "/api/v1/seasons".to_owned(),
        "/api/v1/exports/alerts".to_owned(),
        "/api/v1/bulletin?date=2025-06-10".to_owned(),
    ] {
        let (code, e) = call(port, "GET", &path, &patrol);
        assert_eq!(code, 403, "{path}: {e}");
        assert_eq!(e["code"], "forbidden");
    }
    let (code, _) = call(port, "GET", "/api/v1/bulletin?date=2025-06-10", &supervisor);
    assert_eq!(code, 403);
    let (code, _) = call(port, "GET", "/api/v1/stats?season=三夏", "not-a-token");
    assert_eq!(code, 401);

    // Bad requests: clear JSON errors.
    for (path, status, code_want) in [
        ("/api/v1/stats?season=三冬", 400, "undefined_season"),
        (
            "/api/v1/stats?from=2025-06-10&to=2025-06-01",
            400,
            "bad_request",
        ),
        ("/api/v1/stats?from=2025-06-10", 400, "bad_period"),
        (
            "/api/v1/stats?from=10/06/2025&to=2025-06-11",
            400,
            "bad_date",
        ),
        ("/api/v1/stats?season=三夏&by=village", 400, "bad_group"),
        ("/api/v1/stats?season=三夏&format=pdf", 400, "bad_format"),
        ("/api/v1/stats?season=三夏&year=abc", 400, "bad_query"),
        ("/api/v1/stats?seasn=三夏", 400, "bad_query"),
        (
            "/api/v1/stats?season=三夏&region=999999",
            404,
            "unknown_region",
        ),
        (
            "/api/v1/exports/alerts?region=999999",
            404,
            "unknown_region",
        ),
        (
            "/api/v1/exports/alerts?from=2025-06-10&to=2025-06-01",
            400,
            "bad_request",
        ),
        ("/api/v1/exports/pixels", 404, "not_found"),
        ("/api/v1/exports/alerts?format=shp", 400, "bad_format"),
        ("/api/v1/bulletin?date=yesterday", 400, "bad_date"),
    ] {
        let (code, e) = call(port, "GET", path, &audit);
        assert_eq!(code, status, "{path}: {e}");
        assert_eq!(e["code"], code_want, "{path}: {e}");
        assert!(!e["message"].as_str().unwrap_or("").is_empty(), "{path}");
    }

    // Downloads: CSV with its BOM and XLSX that a reader opens.
    let (code, resp) = raw_request(
        port,
        "GET",
        "/api/v1/stats?season=三夏&format=csv",
        Some(&audit),
        None,
        b"",
        &[],
    );
    let csv = resp.body.clone();
    assert_eq!(code, 200);
    assert!(resp
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/csv"));
    assert!(resp
        .header("content-disposition")
        .unwrap_or_default()
        .contains("attachment"));
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.lines().count() >= 2, "{text}");
    let (code, resp) = raw_request(
        port,
        "GET",
        "/api/v1/stats?season=三夏&format=xlsx&by=township",
        Some(&audit),
        None,
        b"",
        &[],
    );
    let xlsx = resp.body.clone();
    assert_eq!(code, 200);
    assert!(resp
        .header("content-disposition")
        .unwrap_or_default()
        .ends_with(".xlsx\""));
    let mut book = Xlsx::new(std::io::Cursor::new(xlsx)).expect("an XLSX workbook");
    let sheets = book.sheet_names();
    let range = book.worksheet_range(&sheets[0]).unwrap();
    assert!(range.height() >= 2, "a header and rows");

    // Exports stream the very bytes `burnwatch export` writes.
    for (what, format) in [
        ("detections", "csv"),
        ("alerts", "geojson"),
        ("verifications", "csv"),
        ("events", "kml"),
    ] {
        let (code, resp) = raw_request(
            port,
            "GET",
            &format!("/api/v1/exports/{what}?format={format}&from=2025-06-01&to=2025-06-30"),
            Some(&duty),
            None,
            b"",
            &[],
        );
        let body = resp.body.clone();
        assert_eq!(code, 200, "{what} {format}");
        assert!(resp
            .header("content-disposition")
            .unwrap_or_default()
            .contains(&format!("burnwatch-{what}")));
        let file = dir.path().join(format!("{what}.{format}"));
        ok(burnwatch(
            &config,
            &[
                "export",
                what,
                "--format",
                format,
                "--from",
                "2025-06-01",
                "--to",
                "2025-06-30",
                "--out",
                file.to_str().unwrap(),
            ],
        ));
        assert_eq!(body, std::fs::read(&file).unwrap(), "{what} {format}");
    }
    // A supervisor's export holds only its county's alerts.
    let (code, resp) = raw_request(
        port,
        "GET",
        "/api/v1/exports/alerts?format=geojson",
        Some(&supervisor),
        None,
        b"",
        &[],
    );
    let body = resp.body.clone();
    assert_eq!(code, 200);
    let fc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), in_county);

    // The bulletin page of the demo's fire day.
    let (code, resp) = raw_request(
        port,
        "GET",
        "/api/v1/bulletin?date=2025-06-10",
        Some(&audit),
        None,
        b"",
        &[],
    );
    let page = resp.body.clone();
    assert_eq!(code, 200);
    assert!(resp
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<svg"), "a map");
    // The provincial detail table: one row per fire point of the day, with its township.
    let day_alerts: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["first_seen"].as_str().unwrap().starts_with("2025-06-10"))
        .collect();
    assert!(!day_alerts.is_empty());
    for a in &day_alerts {
        assert!(
            page.contains(a["region_name"].as_str().unwrap()),
            "{} in the bulletin",
            a["region_name"]
        );
    }

    // Lifting a suppression: the duty officer releases the demo's held-back pixel once.
    let (code, held) = call(port, "GET", "/api/v1/detections/suppressed", &duty);
    assert_eq!(code, 200);
    let id = held[0]["id"].as_i64().expect("a suppressed detection");
    let (code, e) = call(
        port,
        "POST",
        &format!("/api/v1/detections/{id}/lift"),
        &audit,
    );
    assert_eq!((code, e["code"].as_str()), (403, Some("forbidden")));
    let (code, lifted) = http(
        port,
        "POST",
        &format!("/api/v1/detections/{id}/lift"),
        Some(&duty),
        Some(r#"{"note":"复核为秸秆焚烧"}"#),
    );
    assert_eq!(code, 200, "{lifted}");
    let lifted: Value = serde_json::from_str(&lifted).unwrap();
    assert_eq!(lifted["detection_id"], id);
    assert!(lifted["lifted_from"].is_string());
    let (code, e) = call(
        port,
        "POST",
        &format!("/api/v1/detections/{id}/lift"),
        &duty,
    );
    assert_eq!((code, e["code"].as_str()), (409, Some("conflict")), "{e}");
    let (code, e) = call(port, "POST", "/api/v1/detections/999999/lift", &duty);
    assert_eq!(code, 404, "{e}");
    let (_, held_after) = call(port, "GET", "/api/v1/detections/suppressed", &duty);
    assert!(held_after.as_array().unwrap().iter().all(|d| d["id"] != id));
    // The demo's power-plant pixel lies in a township away from every fire: its own event and
    // a new alert, in the duty officer's queue at once.
    assert_eq!(lifted["events_new"], 1, "{lifted}");
    let alert = lifted["alert_ids"][0].as_i64().expect("a new alert");
    let (code, a) = call(port, "GET", &format!("/api/v1/alerts/{alert}"), &duty);
    assert_eq!(code, 200, "{a}");
    assert_eq!(a["state"], "new");
    let (_, queue) = call(port, "GET", "/api/v1/alerts", &duty);
    assert_eq!(queue.as_array().unwrap().len(), alerts.len() + 1);

    // The queue listing is cached between changes, never past one: a move made by another
    // process shows in the very next listing.
    let (_, before) = call(port, "GET", "/api/v1/alerts", &duty);
    let (_, again) = call(port, "GET", "/api/v1/alerts", &duty);
    assert_eq!(before, again);
    ok(burnwatch(
        &config,
        &[
            "transition",
            &alert.to_string(),
            "received",
            "--actor",
            "cli",
        ],
    ));
    let (_, after) = call(port, "GET", "/api/v1/alerts", &duty);
    let moved = after
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert_id"] == alert)
        .unwrap();
    assert_eq!(moved["state"], "received", "{moved}");
    assert_eq!(moved["deadline_step"], "on_scene");

    terminate(&mut daemon, 20);
}
