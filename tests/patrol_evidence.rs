//! The patrol's field work through the real daemon: navigation links converted to GCJ-02 and
//! BD-09, photos with their EXIF read and far or old ones flagged, actions queued on a phone and
//! sent twice applied once, the county's review, bad input refused with a clear error and
//! nothing half-written, the live stream scoped like the list, and the pages themselves.

mod common;
mod patrol_support;

use common::*;
use patrol_support::*;
use serde_json::Value;

fn history_len(demo: &Demo, id: i64) -> i64 {
    demo.count(&format!(
        "SELECT COUNT(*) FROM alert_transitions WHERE alert_id = {id}"
    ))
}

fn files_under(dir: &std::path::Path) -> usize {
    walk(dir).len()
}

#[test]
fn navigation_links_carry_correctly_converted_points() {
    let mut demo = Demo::start();
    let li = demo.login("li-patrol");
    let a = demo
        .all
        .iter()
        .find(|a| a["alert_id"] == demo.alert_a)
        .unwrap();
    let (lon, lat) = (a["lon"].as_f64().unwrap(), a["lat"].as_f64().unwrap());
    let (code, nav) = demo.get(&format!("/api/v1/alerts/{}/nav", demo.alert_a), Some(&li));
    assert_eq!(code, 200, "{nav}");
    let num = |v: &Value| v.as_f64().unwrap();
    let (glon, glat) = gcj02(lon, lat);
    let (blon, blat) = bd09(lon, lat);
    // Rounded to 1e-6° on the server; the formulas agree to far better than that.
    for (got, want) in [
        (num(&nav["wgs84"]["lon"]), lon),
        (num(&nav["wgs84"]["lat"]), lat),
        (num(&nav["gcj02"]["lon"]), glon),
        (num(&nav["gcj02"]["lat"]), glat),
        (num(&nav["bd09"]["lon"]), blon),
        (num(&nav["bd09"]["lat"]), blat),
    ] {
        assert!((got - want).abs() < 2e-6, "{got} vs {want}: {nav}");
    }
    // Around the demo prefecture GCJ-02 is a few hundred metres off WGS84: a link left
    // unconverted would send the patrol to the wrong field.
    let off_m = burnwatch_core::geodesy::haversine_km(lon, lat, glon, glat) * 1000.0;
    assert!((200.0..900.0).contains(&off_m), "offset {off_m} m");
    let links = &nav["links"];
    let g = &nav["gcj02"];
    let b = &nav["bd09"];
    let amap = links["amap"].as_str().unwrap();
    assert!(
        amap.starts_with(&format!(
            "https://uri.amap.com/marker?position={},{}&",
            g["lon"], g["lat"]
        )),
        "{amap}"
    );
    let baidu = links["baidu"].as_str().unwrap();
    assert!(
        baidu.starts_with(&format!(
            "https://api.map.baidu.com/marker?location={},{}&",
            b["lat"], b["lon"]
        )),
        "{baidu}"
    );
    assert!(baidu.contains("coord_type=bd09ll"));
    let geo = links["geo"].as_str().unwrap();
    assert!(
        geo.starts_with(&format!(
            "geo:{},{}",
            nav["wgs84"]["lat"], nav["wgs84"]["lon"]
        )),
        "{geo}"
    );
    assert!(demo.stop().success());
}

#[test]
fn field_evidence_bad_input_replays_and_the_live_stream() {
    let mut demo = Demo::start();
    let (li, wang, duty, zhao) = (
        demo.login("li-patrol"),
        demo.login("wang-patrol"),
        demo.login("duty"),
        demo.login("zhao-county"),
    );
    let id = demo.alert_a;
    let alert = demo
        .all
        .iter()
        .find(|a| a["alert_id"] == id)
        .unwrap()
        .clone();
    let (lon, lat) = (
        alert["lon"].as_f64().unwrap(),
        alert["lat"].as_f64().unwrap(),
    );
    // Listening before anything happens, as a console and two phones would.
    let li_stream = Listener::open(demo.port, Some(&li));
    let duty_stream = Listener::open(demo.port, Some(&duty));
    let wang_stream = Listener::open(demo.port, Some(&wang));
    let wang_sees_a = alert["region_id"] == demo.town_b.as_str()
        || alert["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == demo.town_b.as_str());

    // ---- photos ----
    let photos = format!("/api/v1/alerts/{id}/photos");
    let now = chrono::Utc::now();
    let (near_lon, near_lat) = east_of(lon, lat, 0.3);
    let near = jpeg_with_exif(&exif_time(now), None, near_lon, near_lat);
    let (code, resp) = demo.raw(
        "POST",
        &format!("{photos}?lon={near_lon}&lat={near_lat}&acc=9"),
        Some(&li),
        Some("image/jpeg"),
        &near,
    );
    assert_eq!(code, 201, "{}", resp.text());
    let p = resp.json();
    assert_eq!(p["content_type"], "image/jpeg");
    assert_eq!(
        (p["width"].as_u64(), p["height"].as_u64()),
        (Some(64), Some(48))
    );
    assert!((p["gps"]["lon"].as_f64().unwrap() - near_lon).abs() < 1e-6);
    assert!((p["gps"]["lat"].as_f64().unwrap() - near_lat).abs() < 1e-6);
    assert_eq!(p["gps"]["accuracy_m"], 12.5);
    assert_eq!(p["device"]["accuracy_m"], 9.0);
    let d = p["distance_km"].as_f64().unwrap();
    assert!((d - 0.3).abs() < 0.01, "{d}");
    assert_eq!(
        (p["far"].as_bool(), p["old"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(p["flags"], serde_json::json!([]));
    let taken = chrono::DateTime::parse_from_rfc3339(p["taken_at"].as_str().unwrap()).unwrap();
    assert!(
        (taken.timestamp() - now.timestamp()).abs() <= 1,
        "EXIF Beijing time read back as UTC"
    );
    let stored = demo
        .photos_dir()
        .join(format!("{id}/{}.jpg", p["sha256"].as_str().unwrap()));
    assert_eq!(
        std::fs::read(&stored).unwrap(),
        near,
        "kept byte for byte under its hash"
    );
    // The same picture again (a resend from the phone's queue) is the same photo.
    let (code, resp) = demo.raw("POST", &photos, Some(&li), Some("image/jpeg"), &near);
    assert_eq!(code, 200, "{}", resp.text());
    assert_eq!(resp.json()["id"], p["id"]);
    // Taken last season, 5 km away: kept, and flagged for the county.
    let (far_lon, far_lat) = east_of(lon, lat, 5.0);
    let fake = jpeg_with_exif("2024:10:01 09:00:00", Some("+08:00"), far_lon, far_lat);
    let (code, resp) = demo.raw(
        "POST",
        &photos,
        Some(&li),
        Some("application/octet-stream"),
        &fake,
    );
    assert_eq!(code, 201, "{}", resp.text());
    assert_eq!(resp.json()["flags"], serde_json::json!(["far", "old"]));
    // A PNG from a chat app, EXIF stripped: kept, flagged as unverifiable.
    let mut png = Vec::new();
    image::GrayImage::from_pixel(10, 10, image::Luma([90]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (code, resp) = demo.raw("POST", &photos, Some(&li), Some("image/png"), &png);
    assert_eq!(code, 201, "{}", resp.text());
    assert_eq!(
        resp.json()["flags"],
        serde_json::json!(["no_gps", "no_time"])
    );
    let (code, resp) = demo.raw(
        "GET",
        &format!("/api/v1/photos/{}", p["id"]),
        Some(&li),
        None,
        b"",
    );
    assert_eq!(code, 200);
    assert_eq!(resp.body, near);

    // Bad uploads: each refused with its reason, and nothing stored — no row, no file.
    let rows = demo.count("SELECT COUNT(*) FROM alert_photos");
    let files = files_under(&demo.photos_dir());
    let (code, resp) = declared_upload(demo.port, &photos, &li, 10 * 1024 * 1024 + 1);
    assert_eq!(code, 413, "{}", resp.text());
    assert_eq!(resp.json()["code"], "payload_too_large");
    let (code, resp) = demo.raw(
        "POST",
        &photos,
        Some(&li),
        Some("image/jpeg"),
        b"%PDF-1.7 not a photo at all",
    );
    assert_eq!(
        (code, resp.json()["code"].as_str()),
        (415, Some("not_an_image")),
        "{}",
        resp.text()
    );
    let (code, resp) = demo.raw("POST", &photos, Some(&li), Some("image/jpeg"), &near[..40]);
    assert_eq!(
        (code, resp.json()["code"].as_str()),
        (415, Some("not_an_image")),
        "{}",
        resp.text()
    );
    let (code, resp) = demo.raw("POST", &photos, Some(&li), Some("image/jpeg"), b"");
    assert_eq!(
        (code, resp.json()["code"].as_str()),
        (400, Some("empty_body"))
    );
    let (code, resp) = demo.raw(
        "POST",
        &format!("{photos}?lon=116.5"),
        Some(&li),
        Some("image/jpeg"),
        &near,
    );
    assert_eq!(
        (code, resp.json()["code"].as_str()),
        (400, Some("bad_query"))
    );
    let (code, resp) = demo.raw(
        "POST",
        "/api/v1/alerts/abc/photos",
        Some(&li),
        Some("image/jpeg"),
        &near,
    );
    assert_eq!((code, resp.json()["code"].as_str()), (400, Some("bad_id")));
    assert_eq!(demo.count("SELECT COUNT(*) FROM alert_photos"), rows);
    assert_eq!(
        files_under(&demo.photos_dir()),
        files,
        "no stray or temporary files"
    );

    // ---- actions ----
    let actions = format!("/api/v1/alerts/{id}/actions");
    let before = history_len(&demo, id);
    for (body, code, what) in [
        ("{\"action_id\": \"abcdefgh01\", \"to\": ", 400, "bad_json"),
        (
            r#"{"action_id":"abcdefgh01","to":"received","colour":"red"}"#,
            400,
            "bad_json",
        ),
        (r#"{"to":"received"}"#, 400, "bad_json"),
        (r#"{"action_id":"x","to":"received"}"#, 400, "bad_action_id"),
        (
            r#"{"action_id":"abcdefgh01","to":"burning"}"#,
            400,
            "bad_state",
        ),
        (
            r#"{"action_id":"abcdefgh01","to":"received","burned_area_mu":3}"#,
            400,
            "details_need_verification",
        ),
        (
            r#"{"action_id":"abcdefgh01","to":"verified","outcome":"aliens"}"#,
            400,
            "bad_outcome",
        ),
        (
            r#"{"action_id":"abcdefgh01","to":"verified","outcome":"confirmed_straw_burn","burned_area_mu":-2}"#,
            400,
            "bad_field",
        ),
        (
            r#"{"action_id":"abcdefgh01","to":"verified","outcome":"confirmed_straw_burn"}"#,
            409,
            "illegal_transition",
        ),
    ] {
        let (got, resp) = demo.post_json(&actions, &li, body);
        assert_eq!(
            (got, resp["code"].as_str()),
            (code, Some(what)),
            "{body}: {resp}"
        );
        assert!(!resp["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        history_len(&demo, id),
        before,
        "refused actions wrote nothing"
    );
    assert_eq!(demo.count("SELECT COUNT(*) FROM alert_actions"), 0);

    // Queued on the phone, sent, answer lost, sent again: applied once.
    let received = r#"{"action_id":"phone-0001-received","to":"received"}"#;
    let (code, first) = demo.post_json(&actions, &li, received);
    assert_eq!(code, 200, "{first}");
    assert_eq!(first["action"]["replayed"], false);
    assert_eq!(first["alert"]["state"], "received");
    let (code, again) = demo.post_json(&actions, &li, received);
    assert_eq!(code, 200, "{again}");
    assert_eq!(again["action"]["replayed"], true);
    assert_eq!(
        again["action"]["transition_id"],
        first["action"]["transition_id"]
    );
    assert_eq!(history_len(&demo, id), before + 1);
    let (code, reused) = demo.post_json(
        &actions,
        &li,
        r#"{"action_id":"phone-0001-received","to":"on_scene"}"#,
    );
    assert_eq!(
        (code, reused["code"].as_str()),
        (409, Some("action_id_reused"))
    );
    // Another user cannot claim this phone's action id either.
    let (code, _) = demo.post_json(&actions, &duty, received);
    assert_eq!(code, 409);

    let (code, resp) = demo.post_json(
        &actions,
        &li,
        r#"{"action_id":"phone-0002-on-scene","to":"on_scene"}"#,
    );
    assert_eq!(code, 200, "{resp}");
    let verify = r#"{"action_id":"phone-0003-verified","to":"verified","outcome":"confirmed_straw_burn",
        "burned_area_mu":3.5,"enforcement_case":"示范环罚〔2025〕7号","fine_yuan":500,"note":"麦茬焚烧，已扑灭"}"#;
    let (code, resp) = demo.post_json(&actions, &li, verify);
    assert_eq!(code, 200, "{resp}");
    assert_eq!(resp["alert"]["state"], "verified");
    assert_eq!(resp["alert"]["outcome"], "confirmed_straw_burn");
    assert_eq!(
        demo.post_json(&actions, &li, verify).1["action"]["replayed"],
        true
    );
    assert_eq!(history_len(&demo, id), before + 3);

    // ---- review ----
    let review = format!("/api/v1/alerts/{id}/review");
    let (code, resp) = demo.post_json(&review, &zhao, r#"{"state":"fine"}"#);
    assert_eq!(
        (code, resp["code"].as_str()),
        (400, Some("bad_review_state"))
    );
    let (code, resp) = demo.post_json(&review, &zhao, "not json");
    assert_eq!((code, resp["code"].as_str()), (400, Some("bad_json")));
    let (code, resp) = demo.post_json(
        &review,
        &zhao,
        r#"{"state":"has_issues","note":"第二张照片拍摄时间不对"}"#,
    );
    assert_eq!(code, 200, "{resp}");
    let (code, _) = demo.post_json(&review, &zhao, r#"{"state":"approved"}"#);
    assert_eq!(code, 200);
    let (code, v) = demo.get(&format!("/api/v1/alerts/{id}/verification"), Some(&duty));
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["details"]["burned_area_mu"], 3.5);
    assert_eq!(v["details"]["enforcement_case"], "示范环罚〔2025〕7号");
    assert_eq!(v["details"]["fine_yuan"], 500.0);
    assert_eq!(v["details"]["verified_by"], "user:li-patrol");
    assert_eq!(v["review_state"], "approved");
    assert_eq!(v["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(v["photos"].as_array().unwrap().len(), 3);

    // A cancelled alert takes no more photos.
    let (code, _) = demo.post_json(
        &format!("/api/v1/alerts/{}/actions", demo.alert_b),
        &duty,
        r#"{"action_id":"duty-cancel-b-0001","to":"cancelled","reason":"重复上报"}"#,
    );
    assert_eq!(code, 200);
    let (code, resp) = demo.raw(
        "POST",
        &format!("/api/v1/alerts/{}/photos", demo.alert_b),
        Some(&duty),
        Some("image/jpeg"),
        &near,
    );
    assert_eq!(
        (code, resp.json()["code"].as_str()),
        (409, Some("alert_finished"))
    );

    // ---- the live stream ----
    wait_for(
        10,
        "the verification on the patrol's and the duty officer's streams",
        || {
            [&li_stream, &duty_stream].iter().all(|s| {
                s.alert_events()
                    .iter()
                    .any(|a| a["alert_id"] == id && a["state"] == "verified")
            })
        },
    );
    assert!(duty_stream
        .alert_events()
        .iter()
        .any(|a| a["alert_id"] == demo.alert_b && a["state"] == "cancelled"));
    std::thread::sleep(std::time::Duration::from_millis(800));
    // Wang's stream carries only what wang may see.
    let wang_events = wang_stream.alert_events();
    assert_eq!(
        wang_events.iter().any(|a| a["alert_id"] == id),
        wang_sees_a,
        "{wang_events:?}"
    );
    assert!(wang_events.iter().any(|a| a["alert_id"] == demo.alert_b));
    assert!(li_stream.snapshot().contains("event: ready"));
    assert!(!li_stream
        .alert_events()
        .iter()
        .any(|a| a["alert_id"] == demo.alert_b));

    // ---- the pages ----
    let (code, page) = demo.raw("GET", "/patrol", None, None, b"");
    assert_eq!(code, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().contains("火点巡查"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    let etag = page.header("etag").unwrap();
    let (code, _) = raw_request(
        demo.port,
        "GET",
        "/patrol",
        None,
        None,
        b"",
        &[("If-None-Match", etag)],
    );
    assert_eq!(code, 304, "an unchanged page is not sent again");
    for (path, kind) in [
        ("/console", "text/html"),
        ("/static/app.css", "text/css"),
        ("/static/common.js", "text/javascript"),
        ("/static/patrol.js", "text/javascript"),
        ("/static/console.js", "text/javascript"),
        ("/patrol-sw.js", "text/javascript"),
    ] {
        let (code, r) = demo.raw("GET", path, None, None, b"");
        assert_eq!(code, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
        // Nothing loaded from outside: no CDN, font or tile server.
        for attr in ["src=\"http", "href=\"http", "url(http", "@import"] {
            assert!(!r.text().contains(attr), "{path} loads {attr}");
        }
    }
    assert_eq!(
        demo.raw("GET", "/static/patrol.html", None, None, b"").0,
        404
    );
    assert_eq!(demo.raw("GET", "/static/secret.js", None, None, b"").0, 404);

    // A stop with listeners connected is still a clean, prompt stop.
    assert!(demo.stop().success());
    wait_for(5, "the streams to close", || {
        li_stream.snapshot().ends_with("<closed>")
    });
}
