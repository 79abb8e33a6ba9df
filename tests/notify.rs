//! Notifications through the real daemon to receivers on loopback: a webhook that is down for a
//! while, a WeCom robot, and a DingTalk robot that checks its signature and hears escalations.
//! Every notification arrives once its receiver is back; none arrives twice per key.

mod common;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Received {
    webhook: Vec<(String, serde_json::Value)>,
    webhook_refused: usize,
    wecom: Vec<serde_json::Value>,
    dingtalk: Vec<serde_json::Value>,
    bad_signatures: usize,
}

struct Receivers {
    got: Mutex<Received>,
    up_after: Instant,
}

fn hmac(secret: &str, data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

async fn webhook(
    State(r): State<Arc<Receivers>>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let mut got = r.got.lock().unwrap();
    if Instant::now() < r.up_after {
        got.webhook_refused += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let sig = headers
        .get("x-burnwatch-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let expected = format!(
        "sha256={}",
        hmac("hook-secret", body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if sig != expected {
        got.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let key = headers
        .get("x-burnwatch-idempotency-key")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    got.webhook
        .push((key, serde_json::from_str(&body).unwrap()));
    StatusCode::OK
}

async fn wecom(State(r): State<Arc<Receivers>>, body: String) -> impl IntoResponse {
    r.got
        .lock()
        .unwrap()
        .wecom
        .push(serde_json::from_str(&body).unwrap());
    axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
}

async fn dingtalk(
    State(r): State<Arc<Receivers>>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> impl IntoResponse {
    let mut got = r.got.lock().unwrap();
    let expected = base64::engine::general_purpose::STANDARD.encode(hmac(
        "SECding",
        format!("{}\nSECding", q["timestamp"]).as_bytes(),
    ));
    if q.get("sign") != Some(&expected) {
        got.bad_signatures += 1;
        return axum::Json(serde_json::json!({"errcode": 310000, "errmsg": "sign not match"}));
    }
    got.dingtalk.push(serde_json::from_str(&body).unwrap());
    axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
}

#[test]
fn every_notification_arrives_once_and_missed_deadlines_escalate() {
    let receivers = Arc::new(Receivers {
        got: Mutex::new(Received::default()),
        up_after: Instant::now() + Duration::from_secs(4),
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let rport = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(webhook))
        .route("/cgi-bin/webhook/send", axum::routing::post(wecom))
        .route("/robot/send", axum::routing::post(dingtalk))
        .with_state(receivers.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let port = free_port();
    // Escalations only for the first county; deadlines of seconds so they pass during the test.
    daemon_config(
        &config,
        port,
        &format!(
            "[notify]\ntick_secs = 0.2\nretry_min_secs = 0.3\nretry_max_secs = 1\n\
             [notify.deadlines]\nreceived_minutes = 0.05\non_scene_minutes = 600\nverified_minutes = 900\n\
             [[notify.channels]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{rport}/hook\"\nsecret_env = \"BW_HOOK_SECRET\"\n\
             [[notify.channels]]\nid = \"wecom-379901\"\nkind = \"wecom\"\nurl = \"http://127.0.0.1:{rport}/cgi-bin/webhook/send?key=K\"\n\
             [[notify.channels]]\nid = \"ding-county\"\nkind = \"dingtalk\"\nurl = \"http://127.0.0.1:{rport}/robot/send?access_token=T\"\nsecret_env = \"BW_DING_SECRET\"\n\
             [[notify.routes]]\nregion = \"*\"\nchannels = [\"hook\"]\n\
             [[notify.routes]]\nregion = \"379901\"\nchannels = [\"wecom-379901\"]\n\
             [[notify.routes]]\nregion = \"379901\"\nchannels = [\"ding-county\"]\nnew_alerts = false\nescalations = true\n"
        ),
    );
    let inbox = dir.path().join("var/inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for p in products(dir.path()) {
        std::fs::copy(&p, inbox.join(p.file_name().unwrap())).unwrap();
    }
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("BW_HOOK_SECRET", "hook-secret")
        .env("BW_DING_SECRET", "SECding")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(30, "all products in done/", || {
        count_files(&inbox.join("done")) == 5
    });
    let db = database(dir.path());
    let alerts = query_i64(&db, "SELECT COUNT(*) FROM alerts") as usize;
    let county1 = query_i64(
        &db,
        "SELECT COUNT(*) FROM alerts WHERE county_id = '379901'",
    ) as usize;
    assert!(alerts > 10 && county1 > 0);
    wait_for(60, "every webhook and escalation delivered", || {
        let got = receivers.got.lock().unwrap();
        got.webhook.len() >= alerts && got.dingtalk.len() >= county1
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert!(terminate(&mut daemon, 15).success());

    let got = receivers.got.lock().unwrap();
    assert!(got.webhook_refused > 0, "the receiver was down at first");
    assert_eq!(got.bad_signatures, 0);
    let mut keys: Vec<&String> = got.webhook.iter().map(|(k, _)| k).collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), before, "no key delivered twice");
    assert_eq!(keys.len(), alerts, "one webhook per alert");
    assert!(got.webhook[0].1["text"]
        .as_str()
        .unwrap()
        .contains("疑似火点"));
    // The county's WeCom group heard about its county's alerts (and border alerts shown to it).
    assert!(got.wecom.len() >= county1);
    assert_eq!(got.wecom[0]["msgtype"], "markdown");
    // Nobody received within seconds: each county-1 alert escalated once, to DingTalk only.
    assert_eq!(got.dingtalk.len(), county1);
    assert!(got.dingtalk[0]["markdown"]["text"]
        .as_str()
        .unwrap()
        .contains("已超时"));
    assert_eq!(
        query_i64(
            &db,
            "SELECT COUNT(*) FROM alerts WHERE overdue_step = 'received'"
        ) as usize,
        alerts
    );
    assert_eq!(
        query_i64(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL"
        ),
        0,
        "everything delivered"
    );
    assert!(
        query_i64(&db, "SELECT COUNT(*) FROM deliveries WHERE ok = 0") > 0,
        "failures are logged"
    );
}
