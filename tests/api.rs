//! The HTTP API through the real daemon: log in, and every query and action scoped on the server
//! to what the caller's role may see, whatever the request asks.

mod common;

use common::*;
use serde_json::Value;

fn get(port: u16, path: &str, token: &str) -> (u16, Value) {
    let (code, body) = http(port, "GET", path, Some(token), None);
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn each_role_sees_and_changes_only_what_it_may() {
    let dir = tempfile::tempdir().unwrap();
    let (config, all) = ingested_samples(dir.path());
    // Two townships with alerts, in different counties if the demo allows.
    let town_a = all[0]["region_id"].as_str().unwrap().to_owned();
    let county_a = all[0]["county_id"].as_str().unwrap().to_owned();
    let other = all
        .iter()
        .find(|a| a["county_id"] != county_a.as_str())
        .expect("alerts in two counties");
    let town_b = other["region_id"].as_str().unwrap().to_owned();
    let alert_b = other["alert_id"].as_i64().unwrap();

    add_user(&config, "li-patrol", "patrol", Some(&town_a));
    add_user(&config, "wang-patrol", "patrol", Some(&town_b));
    add_user(&config, "zhao-county", "county_supervisor", Some(&county_a));
    add_user(&config, "duty", "duty_officer", None);
    add_user(&config, "audit", "auditor", None);
    // Bad accounts are refused with a reason.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "users",
            "add",
            "--username",
            "x",
            "--role",
            "patrol",
            "--region",
            "999999999",
        ])
        .env("BURNWATCH_PASSWORD", "long enough password")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no township with id"));

    let port = free_port();
    daemon_config(&config, port, "");
    let mut daemon = start_daemon(&config);
    wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());

    let (code, _) = http(port, "GET", "/api/v1/alerts", None, None);
    assert_eq!(code, 401);
    let (code, body) = http(
        port,
        "POST",
        "/api/v1/login",
        None,
        Some(r#"{"username":"li-patrol","password":"nope"}"#),
    );
    assert_eq!(code, 401);
    assert!(body.contains("bad_credentials"));
    let (code, spec) = http(port, "GET", "/api/v1/openapi.json", None, None);
    assert_eq!(code, 200);
    let spec: Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(spec["openapi"], "3.0.3");
    for path in [
        "/api/v1/login",
        "/api/v1/alerts/{id}/transitions",
        "/api/v1/stream",
        "/api/v1/alerts/{id}/photos",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the description"
        );
    }
    let (code, body) = http(port, "POST", "/api/v1/login", None, Some("{not json"));
    assert_eq!(code, 400);
    assert!(body.contains("bad_json"), "{body}");

    let li = login(port, "li-patrol");
    let (_, me) = get(port, "/api/v1/me", &li);
    assert_eq!(me["role"], "patrol");
    assert!(me.get("password_hash").is_none());
    let (code, mine) = get(port, "/api/v1/alerts", &li);
    assert_eq!(code, 200);
    let mine = mine.as_array().unwrap();
    assert!(!mine.is_empty());
    for a in mine {
        let shown: Vec<&str> = a["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(
            a["region_id"] == town_a.as_str() || shown.contains(&town_a.as_str()),
            "{a}"
        );
    }
    // Another township's alert: invisible, and untouchable, whatever the request says.
    let (code, body) = get(port, &format!("/api/v1/alerts/{alert_b}"), &li);
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["code"], "not_found");
    let (code, _) = get(port, &format!("/api/v1/alerts/{alert_b}/history"), &li);
    assert_eq!(code, 404);
    let (code, _) = http(
        port,
        "POST",
        &format!("/api/v1/alerts/{alert_b}/transitions"),
        Some(&li),
        Some(r#"{"to":"received"}"#),
    );
    assert_eq!(code, 404);
    let (_, b_after) = get(
        port,
        &format!("/api/v1/alerts/{alert_b}"),
        &login(port, "duty"),
    );
    assert_eq!(b_after["state"], "new");

    // Own alert: the patrol moves it, and the trail names the user.
    let own = mine
        .iter()
        .find(|a| a["region_id"] == town_a.as_str())
        .unwrap()["alert_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/alerts/{own}/transitions");
    let (code, body) = http(port, "POST", &path, Some(&li), Some(r#"{"to":"received"}"#));
    assert_eq!(code, 200, "{body}");
    let (code, body) = http(port, "POST", &path, Some(&li), Some(r#"{"to":"verified"}"#));
    assert_eq!(code, 409, "{body}");
    assert!(body.contains("illegal_transition"));
    let (code, body) = http(port, "POST", &path, Some(&li), Some(r#"{"to":"on_scene"}"#));
    assert_eq!(code, 200, "{body}");
    let (code, body) = http(
        port,
        "POST",
        &path,
        Some(&li),
        Some(r#"{"to":"verified","outcome":"confirmed_straw_burn","note":"约3亩"}"#),
    );
    assert_eq!(code, 200, "{body}");
    let (_, hist) = get(port, &format!("/api/v1/alerts/{own}/history"), &li);
    let hist = hist.as_array().unwrap();
    assert_eq!(hist.last().unwrap()["actor"], "user:li-patrol");
    assert_eq!(hist.last().unwrap()["outcome"], "confirmed_straw_burn");

    // The county supervisor sees the county, not the other county's alert.
    let zhao = login(port, "zhao-county");
    let (_, county) = get(port, "/api/v1/alerts", &zhao);
    assert!(county
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["county_id"] == county_a.as_str()));
    assert_eq!(
        get(port, &format!("/api/v1/alerts/{alert_b}"), &zhao).0,
        404
    );
    // The auditor reads everything and changes nothing; the duty officer sees everything.
    let audit = login(port, "audit");
    let (_, everything) = get(port, "/api/v1/alerts", &audit);
    assert_eq!(everything.as_array().unwrap().len(), all.len());
    let (code, body) = http(
        port,
        "POST",
        &format!("/api/v1/alerts/{alert_b}/transitions"),
        Some(&audit),
        Some(r#"{"to":"received"}"#),
    );
    assert_eq!(code, 403, "{body}");
    let (_, wang_view) = get(
        port,
        "/api/v1/alerts?state=new",
        &login(port, "wang-patrol"),
    );
    assert!(wang_view
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["alert_id"] == alert_b));
    let (code, _) = get(port, "/api/v1/alerts?state=burning", &audit);
    assert_eq!(code, 400);

    // A disabled user's token stops working at once.
    ok(burnwatch(&config, &["users", "disable", "li-patrol"]));
    assert_eq!(get(port, "/api/v1/me", &li).0, 401);
    assert!(terminate(&mut daemon, 15).success());
}
