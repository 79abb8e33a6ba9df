//! The duty console's filter management through the real daemon on the demo samples: suppressed
//! detections with their reason, silences (create, list, expire) and candidates, each scoped by
//! role; bad input is refused with a JSON `{code, message}`.

mod common;

use common::*;
use serde_json::Value;

fn call(port: u16, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, Value) {
    let (code, text) = http(port, method, path, Some(token), body);
    (code, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn duty_console_manages_the_filter_by_role() {
    let dir = tempfile::tempdir().unwrap();
    let (config, alerts) = ingested_samples(dir.path());
    let town = alerts[0]["region_id"].as_str().unwrap().to_owned();
    add_user(&config, "li-patrol", "patrol", Some(&town));
    add_user(&config, "duty", "duty_officer", None);
    add_user(&config, "audit", "auditor", None);
    let county = alerts[0]["county_id"].as_str().unwrap().to_owned();
    add_user(&config, "zhao-county", "county_supervisor", Some(&county));

    let port = free_port();
    daemon_config(&config, port, "");
    let mut daemon = start_daemon(&config);
    wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());
    let patrol = login(port, "li-patrol");
    let duty = login(port, "duty");
    let audit = login(port, "audit");
    let supervisor = login(port, "zhao-county");

    // The description lists the endpoints, so the console shows its panels.
    let (_, spec) = http(port, "GET", "/api/v1/openapi.json", None, None);
    let spec: Value = serde_json::from_str(&spec).unwrap();
    for p in [
        "/api/v1/detections/suppressed",
        "/api/v1/silences",
        "/api/v1/silences/{id}/expire",
        "/api/v1/candidates",
        "/api/v1/candidates/{id}/approve",
        "/api/v1/candidates/{id}/reject",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} is described");
    }

    // Suppressed detections: the demo's FIRMS type-2 pixel, with its reason.
    let (code, rows) = call(port, "GET", "/api/v1/detections/suppressed", &duty, None);
    assert_eq!(code, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty(), "the demo has a suppressed detection");
    assert!(
        rows.iter().all(|r| r["suppressed_by"].is_string()),
        "{rows:?}"
    );
    let reason = rows[0]["suppressed_by"].as_str().unwrap();
    let prefix = reason.split(':').next().unwrap();
    let (code, same) = call(
        port,
        "GET",
        &format!("/api/v1/detections/suppressed?reason={prefix}"),
        &audit,
        None,
    );
    assert_eq!(code, 200);
    assert!(!same.as_array().unwrap().is_empty());
    let (code, none) = call(
        port,
        "GET",
        "/api/v1/detections/suppressed?reason=silence:999999",
        &duty,
        None,
    );
    assert_eq!((code, none.as_array().map(Vec::len)), (200, Some(0)));

    // A county supervisor sees its own county's suppressed detections only, and no settings.
    let (code, own) = call(
        port,
        "GET",
        "/api/v1/detections/suppressed",
        &supervisor,
        None,
    );
    assert_eq!(code, 200, "{own}");
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .all(|r| r["county_id"] == county.as_str()),
        "{own}"
    );
    let in_county = rows
        .iter()
        .filter(|r| r["county_id"] == county.as_str())
        .count();
    assert_eq!(own.as_array().unwrap().len(), in_county);
    let (code, _) = call(port, "GET", "/api/v1/silences", &supervisor, None);
    assert_eq!(code, 403);

    // Patrols see none of it.
    for path in [
        "/api/v1/detections/suppressed",
        "/api/v1/silences",
        "/api/v1/candidates",
    ] {
        let (code, body) = call(port, "GET", path, &patrol, None);
        assert_eq!(
            (code, body["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
        let (code, _) = http(port, "GET", path, None, None);
        assert_eq!(code, 401, "{path} without a token");
    }

    // A silence: created by the duty officer (as the caller), listed, then expired.
    let start = chrono::Utc::now().to_rfc3339();
    let end = (chrono::Utc::now() + chrono::Duration::hours(8)).to_rfc3339();
    let good = format!(
        r#"{{"circle":{{"lon":116.6,"lat":35.4,"radius_km":2}},"start":"{start}","end":"{end}","comment":"电厂检修 plant maintenance","created_by":"someone-else"}}"#
    );
    let (code, body) = call(port, "POST", "/api/v1/silences", &audit, Some(&good));
    assert_eq!(
        (code, body["code"].as_str()),
        (403, Some("forbidden")),
        "auditors only read"
    );
    let (code, body) = call(port, "POST", "/api/v1/silences", &patrol, Some(&good));
    assert_eq!(code, 403, "{body}");
    let (code, created) = call(port, "POST", "/api/v1/silences", &duty, Some(&good));
    assert_eq!(code, 201, "{created}");
    let id = created["silence"]["id"].as_i64().unwrap();
    assert_eq!(created["silence"]["created_by"], "user:duty");
    assert_eq!(created["silence"]["state"], "active");
    let (code, list) = call(port, "GET", "/api/v1/silences", &audit, None);
    assert_eq!(code, 200);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .expect("the new silence is listed");
    assert!(
        listed["area"].as_str().unwrap().starts_with("circle"),
        "{listed}"
    );
    assert_eq!(listed["comment"], "电厂检修 plant maintenance");
    let (code, _) = call(
        port,
        "POST",
        &format!("/api/v1/silences/{id}/expire"),
        &audit,
        None,
    );
    assert_eq!(code, 403);
    let (code, expired) = call(
        port,
        "POST",
        &format!("/api/v1/silences/{id}/expire"),
        &duty,
        None,
    );
    assert_eq!(code, 200, "{expired}");
    assert_eq!(expired["expired_by"], "user:duty");
    assert_eq!(expired["state"], "ended");
    let (_, list) = call(port, "GET", "/api/v1/silences", &duty, None);
    assert!(
        list.as_array().unwrap().iter().all(|s| s["id"] != id),
        "an ended silence leaves the default list"
    );
    let (_, all) = call(port, "GET", "/api/v1/silences?all=true", &duty, None);
    assert!(all.as_array().unwrap().iter().any(|s| s["id"] == id));
    let (code, again) = call(
        port,
        "POST",
        &format!("/api/v1/silences/{id}/expire"),
        &duty,
        None,
    );
    assert_eq!((code, again["code"].as_str()), (409, Some("silence_ended")));
    let (code, missing) = call(port, "POST", "/api/v1/silences/999999/expire", &duty, None);
    assert_eq!((code, missing["code"].as_str()), (404, Some("not_found")));
    let (code, bad_id) = call(port, "POST", "/api/v1/silences/abc/expire", &duty, None);
    assert_eq!((code, bad_id["code"].as_str()), (400, Some("bad_id")));

    // Bad input: 400 with a code and a message, nothing stored.
    let circle = r#""circle":{"lon":116.6,"lat":35.4,"radius_km":2}"#;
    let bad = [
        ("not json".to_owned(), "bad_json"),
        (
            format!(r#"{{{circle},"start":"{start}","comment":"x"}}"#),
            "invalid_silence",
        ),
        (
            format!(r#"{{{circle},"start":"{start}","end":"{end}"}}"#),
            "invalid_silence",
        ),
        (
            format!(r#"{{{circle},"end":"{end}","comment":"x"}}"#),
            "invalid_silence",
        ),
        (
            format!(r#"{{"start":"{start}","end":"{end}","comment":"x"}}"#),
            "invalid_silence",
        ),
        (
            format!(
                r#"{{"circle":{{"lon":116.6,"lat":35.4,"radius_km":500}},"start":"{start}","end":"{end}","comment":"x"}}"#
            ),
            "invalid_silence",
        ),
        (
            format!(
                r#"{{"circle":{{"lon":216.6,"lat":35.4,"radius_km":2}},"start":"{start}","end":"{end}","comment":"x"}}"#
            ),
            "invalid_silence",
        ),
        (
            format!(r#"{{{circle},"start":"{end}","end":"{start}","comment":"x"}}"#),
            "invalid_silence",
        ),
        (
            format!(r#"{{{circle},"start":"yesterday","end":"{end}","comment":"x"}}"#),
            "bad_time",
        ),
        (
            format!(
                r#"{{"polygon":{{"type":"Point","coordinates":[116.6,35.4]}},"start":"{start}","end":"{end}","comment":"x"}}"#
            ),
            "invalid_silence",
        ),
    ];
    for (body, want) in &bad {
        let (code, err) = call(port, "POST", "/api/v1/silences", &duty, Some(body));
        assert_eq!(
            (code, err["code"].as_str()),
            (400, Some(*want)),
            "{body} → {err}"
        );
        assert!(!err["message"].as_str().unwrap_or("").is_empty(), "{err}");
    }
    let (_, all) = call(port, "GET", "/api/v1/silences?all=true", &duty, None);
    assert_eq!(
        all.as_array().unwrap().len(),
        1,
        "only the one good silence was stored"
    );

    // A polygon silence is accepted too.
    let poly = format!(
        r#"{{"polygon":{{"type":"Polygon","coordinates":[[[116.5,35.3],[116.7,35.3],[116.7,35.5],[116.5,35.3]]]}},"start":"{start}","end":"{end}","comment":"场区"}}"#
    );
    let (code, created) = call(port, "POST", "/api/v1/silences", &duty, Some(&poly));
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["silence"]["area"], "polygon");

    // Candidates: read by the auditor, decided by the duty officer only.
    let (code, cands) = call(port, "GET", "/api/v1/candidates", &audit, None);
    assert_eq!(code, 200);
    assert!(cands.is_array());
    let (code, _) = call(port, "GET", "/api/v1/candidates?status=bogus", &duty, None);
    assert_eq!(code, 400);
    let (code, _) = call(port, "POST", "/api/v1/candidates/1/approve", &audit, None);
    assert_eq!(code, 403);
    let (code, _) = call(port, "POST", "/api/v1/candidates/1/reject", &patrol, None);
    assert_eq!(code, 403);
    let (code, missing) = call(
        port,
        "POST",
        "/api/v1/candidates/999999/approve",
        &duty,
        None,
    );
    assert_eq!((code, missing["code"].as_str()), (404, Some("not_found")));
    let (code, missing) = call(
        port,
        "POST",
        "/api/v1/candidates/999999/reject",
        &duty,
        Some(r#"{"note":"x"}"#),
    );
    assert_eq!((code, missing["code"].as_str()), (404, Some("not_found")));

    assert!(terminate(&mut daemon, 10).success());
}
