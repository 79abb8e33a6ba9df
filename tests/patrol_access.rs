//! Who may use each endpoint of the patrol page and the console, for every role, through the
//! real daemon: an alert one may not see answers 404 (nothing leaks about other townships), one
//! one may see but not change answers 403, and no token, an unknown one or an expired one
//! answers 401 — before anything is read or written.

mod common;
mod patrol_support;

use patrol_support::*;
use serde_json::Value;

/// The documented rule, restated from the user's side.
fn sees(role: &str, region: Option<&str>, a: &Value) -> bool {
    let neighbours: Vec<&str> = a["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    match role {
        "patrol" => a["region_id"].as_str() == region || neighbours.contains(&region.unwrap()),
        "county_supervisor" => a["county_id"].as_str() == region,
        _ => true,
    }
}

fn acts(role: &str, region: Option<&str>, a: &Value) -> bool {
    match role {
        "patrol" => a["region_id"].as_str() == region,
        "county_supervisor" => a["county_id"].as_str() == region,
        "auditor" => false,
        _ => true,
    }
}

#[test]
fn every_new_endpoint_is_scoped_for_every_role() {
    let mut demo = Demo::start();
    let regions: Vec<(&str, Option<&str>)> = USERS
        .iter()
        .map(|(name, _)| match *name {
            "li-patrol" => (*name, Some(demo.town_a.as_str())),
            "wang-patrol" => (*name, Some(demo.town_b.as_str())),
            "zhao-county" => (*name, Some(demo.county_a.as_str())),
            _ => (*name, None),
        })
        .collect();
    let tokens: Vec<String> = USERS.iter().map(|(n, _)| demo.login(n)).collect();

    // The alerts under test: town A's own, town B's (another county), and a border fire of
    // another township that town A sees as a neighbour, when the demo has one.
    let mut alerts: Vec<Value> = demo
        .all
        .iter()
        .filter(|a| a["alert_id"] == demo.alert_a || a["alert_id"] == demo.alert_b)
        .cloned()
        .collect();
    if let Some(border) = demo.all.iter().find(|a| {
        a["region_id"] != demo.town_a.as_str()
            && a["neighbours"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == demo.town_a.as_str())
    }) {
        alerts.push(border.clone());
    }
    let jpeg = jpeg_with_exif("2025:06:10 14:00:00", None, 116.5, 35.4);
    let mut checked = 0;
    for a in &alerts {
        let id = a["alert_id"].as_i64().unwrap();
        for (((name, role), (_, region)), token) in USERS.iter().zip(&regions).zip(&tokens) {
            let (see, act) = (sees(role, *region, a), acts(role, *region, a));
            let who = format!("{name} on alert {id}");
            for path in ["nav", "photos", "verification"] {
                let (code, body) = demo.get(&format!("/api/v1/alerts/{id}/{path}"), Some(token));
                assert_eq!(
                    code,
                    if see { 200 } else { 404 },
                    "{who} GET {path}: {body}"
                );
                if !see {
                    assert_eq!(body["code"], "not_found");
                }
                checked += 1;
            }
            // A move back to "new" is never legal: a permitted caller reaches the state check
            // (409) and nothing changes for anyone.
            let (code, body) = demo.post_json(
                &format!("/api/v1/alerts/{id}/actions"),
                token,
                r#"{"action_id":"access-check-0001","to":"new"}"#,
            );
            let want = match (see, act) {
                (false, _) => 404,
                (true, false) => 403,
                (true, true) => 409,
            };
            assert_eq!(code, want, "{who} POST actions: {body}");
            let (code, resp) = demo.raw(
                "POST",
                &format!("/api/v1/alerts/{id}/photos"),
                Some(token),
                Some("image/jpeg"),
                &jpeg,
            );
            let ok_codes: &[u16] = match (see, act) {
                (false, _) => &[404],
                (true, false) => &[403],
                (true, true) => &[200, 201],
            };
            assert!(
                ok_codes.contains(&code),
                "{who} POST photos: {code} {}",
                resp.text()
            );
            let (code, body) = demo.post_json(
                &format!("/api/v1/alerts/{id}/review"),
                token,
                r#"{"state":"approved"}"#,
            );
            let want = match (see, *role) {
                (false, _) => 404,
                (true, "patrol" | "auditor") => 403,
                (true, _) if !act => 403,
                // Allowed, but nothing is verified yet.
                (true, _) => 409,
            };
            assert_eq!(code, want, "{who} POST review: {body}");
            checked += 3;
        }
    }
    // Nothing above changed any alert's state.
    assert_eq!(
        demo.count("SELECT COUNT(*) FROM alert_transitions WHERE to_state != 'new'"),
        0
    );
    assert_eq!(demo.count("SELECT COUNT(*) FROM alert_actions"), 0);

    // Regions: a patrol its own township (and one it shares a border fire with), a supervisor
    // the county and its townships, the prefecture everything.
    let shares = |x: &str, y: &str| {
        demo.all.iter().any(|a| {
            let n: Vec<&str> = a["neighbours"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            (a["region_id"] == x && n.contains(&y)) || (a["region_id"] == y && n.contains(&x))
        })
    };
    for (((name, role), (_, region)), token) in USERS.iter().zip(&regions).zip(&tokens) {
        for target in [&demo.town_a, &demo.town_b, &demo.county_a] {
            let (code, body) = demo.get(&format!("/api/v1/regions/{target}"), Some(token));
            let allowed = match *role {
                "patrol" => {
                    let own = region.unwrap();
                    target == own || (target != &demo.county_a && shares(own, target))
                }
                "county_supervisor" => target == &demo.county_a || target == &demo.town_a,
                _ => true,
            };
            assert_eq!(
                code,
                if allowed { 200 } else { 404 },
                "{name} region {target}: {body}"
            );
            if allowed {
                assert_eq!(body["type"], "Feature");
                assert_eq!(body["id"], target.as_str());
                assert!(body["geometry"]["coordinates"].is_array());
            }
            checked += 1;
        }
        let (code, _) = demo.get("/api/v1/regions/000000000", Some(token));
        assert_eq!(code, 404);
        let (code, body) = demo.get("/api/v1/outcomes", Some(token));
        assert_eq!(code, 200);
        assert_eq!(body[0]["label_zh"], "确认秸秆焚烧");
        let stream = Listener::open(demo.port, Some(token));
        assert_eq!(stream.status, 200, "{name} stream: {}", stream.snapshot());
        assert!(stream.snapshot().contains("text/event-stream"));
        checked += 2;
    }

    // No token, an unknown one, an expired one: 401 on every new endpoint.
    let expired = "expired-token-for-the-access-test";
    let conn = rusqlite::Connection::open(demo.db()).unwrap();
    conn.execute(
        "INSERT INTO api_tokens (token_sha256, user_id, created_at, expires_at)
         SELECT ?1, id, '2025-01-01T00:00:00Z', '2025-01-01T16:00:00Z' FROM users WHERE username = 'duty'",
        [burnwatch_server::auth::token_hash(expired)],
    )
    .unwrap();
    let id = demo.alert_a;
    let gets = [
        format!("/api/v1/alerts/{id}/nav"),
        format!("/api/v1/alerts/{id}/photos"),
        format!("/api/v1/alerts/{id}/verification"),
        format!("/api/v1/regions/{}", demo.town_a),
        "/api/v1/photos/1".to_owned(),
        "/api/v1/outcomes".to_owned(),
        "/api/v1/stream".to_owned(),
    ];
    let posts = [
        format!("/api/v1/alerts/{id}/photos"),
        format!("/api/v1/alerts/{id}/actions"),
        format!("/api/v1/alerts/{id}/review"),
    ];
    for token in [None, Some("not-a-token"), Some(expired)] {
        for path in &gets {
            let (code, resp) = demo.raw("GET", path, token, None, b"");
            assert_eq!(code, 401, "GET {path} with {token:?}");
            assert_eq!(resp.json()["code"], "unauthenticated");
            checked += 1;
        }
        for path in &posts {
            let (code, resp) = demo.raw("POST", path, token, Some("image/jpeg"), &jpeg);
            assert_eq!(code, 401, "POST {path} with {token:?}");
            assert_eq!(resp.json()["code"], "unauthenticated");
            checked += 1;
        }
    }
    // The photo bytes follow the alert's visibility.
    let photo = demo.count(&format!(
        "SELECT MIN(id) FROM alert_photos WHERE alert_id = {}",
        demo.alert_a
    ));
    for (((name, role), (_, region)), token) in USERS.iter().zip(&regions).zip(&tokens) {
        let a = alerts
            .iter()
            .find(|a| a["alert_id"] == demo.alert_a)
            .unwrap();
        let (code, resp) = demo.raw(
            "GET",
            &format!("/api/v1/photos/{photo}"),
            Some(token),
            None,
            b"",
        );
        assert_eq!(
            code,
            if sees(role, *region, a) { 200 } else { 404 },
            "{name} photo"
        );
        if code == 200 {
            assert_eq!(resp.body, jpeg);
            assert_eq!(resp.header("content-type").as_deref(), Some("image/jpeg"));
        }
    }
    assert!(checked > 100, "{checked} checks");
    assert!(demo.stop().success());
}

#[test]
fn report_endpoints_are_scoped_for_every_role() {
    let mut demo = Demo::start();
    let tokens: Vec<String> = USERS.iter().map(|(n, _)| demo.login(n)).collect();
    let (_, everything) = demo.get("/api/v1/alerts", Some(&tokens[3]));
    let total = everything.as_array().unwrap().len();
    let in_county = everything
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["county_id"] == demo.county_a.as_str())
        .count();
    assert!(in_county > 0 && in_county < total);
    for ((name, role), token) in USERS.iter().zip(&tokens) {
        let token = Some(token.as_str());
        let reader = *role != "patrol";
        let (code, stats) = demo.get("/api/v1/stats?season=三夏&year=2025", token);
        let (seasons, _) = demo.get("/api/v1/seasons", token);
        let (bulletin, _) = demo.raw("GET", "/api/v1/bulletin?date=2025-06-10", token, None, b"");
        let (export, body) = demo.raw(
            "GET",
            "/api/v1/exports/alerts?format=geojson",
            token,
            None,
            b"",
        );
        let (lift, _) = demo.raw("POST", "/api/v1/detections/999999/lift", token, None, b"");
        assert_eq!(code, if reader { 200 } else { 403 }, "{name} stats");
        assert_eq!(seasons, if reader { 200 } else { 403 }, "{name} seasons");
        assert_eq!(export, if reader { 200 } else { 403 }, "{name} export");
        let prefecture = matches!(*role, "duty_officer" | "auditor" | "admin");
        assert_eq!(
            bulletin,
            if prefecture { 200 } else { 403 },
            "{name} bulletin"
        );
        // Only duty officers and admins may lift (an unknown detection then answers 404).
        let lifts = matches!(*role, "duty_officer" | "admin");
        assert_eq!(lift, if lifts { 404 } else { 403 }, "{name} lift");
        if reader {
            let features = serde_json::from_slice::<Value>(&body.body).unwrap()["features"]
                .as_array()
                .unwrap()
                .len();
            let alerts = stats["total"]["alerts"]["total"].as_u64().unwrap() as usize;
            let want = if *role == "county_supervisor" {
                in_county
            } else {
                total
            };
            assert_eq!((features, alerts), (want, want), "{name}: what it may see");
        }
    }
    for token in [None, Some("not-a-token")] {
        for path in [
            "/api/v1/stats?season=三夏",
            "/api/v1/seasons",
            "/api/v1/bulletin?date=2025-06-10",
            "/api/v1/exports/alerts",
        ] {
            let (code, resp) = demo.raw("GET", path, token, None, b"");
            assert_eq!(code, 401, "GET {path} with {token:?}");
            assert_eq!(resp.json()["code"], "unauthenticated");
        }
        let (code, _) = demo.raw("POST", "/api/v1/detections/1/lift", token, None, b"");
        assert_eq!(code, 401);
    }
    assert!(demo.stop().success());
}
