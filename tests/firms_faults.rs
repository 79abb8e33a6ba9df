//! The FIRMS poller against a misbehaving FIRMS: a local HTTP server (127.0.0.1, ephemeral port)
//! serves the real MODIS file in overlapping pieces and injects 500, 429, a slow response, a
//! truncated body, an HTML error page and a key error. The daemon must end with every detection
//! stored exactly once.

mod common;

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Script {
    header: String,
    rows: Vec<String>,
    calls: AtomicUsize,
    paths: Mutex<Vec<String>>,
}

impl Script {
    fn body(&self, rows: std::ops::Range<usize>) -> String {
        let mut s = self.header.clone();
        for r in &self.rows[rows] {
            s.push_str(r);
            s.push('\n');
        }
        s
    }
}

async fn area(
    State(script): State<Arc<Script>>,
    UrlPath((key, source, bbox, days)): UrlPath<(String, String, String, String)>,
) -> Response {
    script
        .paths
        .lock()
        .unwrap()
        .push(format!("{key}/{source}/{bbox}/{days}"));
    let n = script.rows.len();
    match script.calls.fetch_add(1, Ordering::SeqCst) {
        0 => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        1 => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "slow down",
        )
            .into_response(),
        2 => {
            // Longer than the poller's timeout.
            tokio::time::sleep(Duration::from_secs(3)).await;
            script.body(0..n).into_response()
        }
        3 => {
            // Cut off in the middle of a row.
            let mut body = script.body(0..3000);
            body.push_str(&script.rows[3000][..20]);
            body.into_response()
        }
        4 => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html><head><title>503 Service Temporarily Unavailable</title></head></html>",
        )
            .into_response(),
        5 => "Invalid MAP_KEY.".into_response(),
        6 => script.body(0..4000).into_response(),
        7 => script.body(3000..n).into_response(),
        // Every later poll overlaps everything already stored.
        _ => script.body(0..n).into_response(),
    }
}

#[test]
fn every_detection_is_stored_exactly_once_whatever_firms_does() {
    let Some(data) = shared_data() else { return };
    let text = std::fs::read_to_string(data.join("satellite/MODIS_C6_1_Global_24h_2025-11-18.csv"))
        .unwrap();
    let mut lines = text.lines();
    let header = format!("{}\n", lines.next().unwrap());
    let rows: Vec<String> = lines.map(str::to_owned).collect();
    assert_eq!(rows.len(), 6624);
    let script = Arc::new(Script {
        header,
        rows,
        calls: AtomicUsize::new(0),
        paths: Mutex::new(Vec::new()),
    });

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let firms_port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route(
            "/api/area/csv/{key}/{source}/{bbox}/{days}",
            axum::routing::get(area),
        )
        .with_state(script.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let port = free_port();
    daemon_config(
        &config,
        port,
        &format!(
            "[firms]\nbase_url = \"http://127.0.0.1:{firms_port}\"\nmap_key = \"TESTKEY\"\n\
             products = [\"MODIS_NRT\"]\nbbox = [115.86, 34.45, 117.59, 35.98]\n\
             interval_secs = 0.2\ntimeout_secs = 1\nretry_min_secs = 0.1\nretry_max_secs = 0.3\n"
        ),
    );
    let mut daemon = start_daemon(&config);
    let db = database(dir.path());
    wait_for(60, "10 polls and 6,624 detections", || {
        script.calls.load(Ordering::SeqCst) >= 10
            && db.exists()
            && query_i64(&db, "SELECT COUNT(*) FROM detections") == 6624
    });
    // A few more polls of the full file must still add nothing.
    let calls = script.calls.load(Ordering::SeqCst);
    wait_for(30, "three more polls", || {
        script.calls.load(Ordering::SeqCst) >= calls + 3
    });
    std::thread::sleep(Duration::from_millis(500));

    let (code, body) = http_get(port, "/healthz").unwrap();
    assert_eq!(code, 200);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    let firms = &health["sources"]["firms:MODIS_NRT"];
    assert!(firms["failures"].as_u64().unwrap() >= 6, "{firms}");
    assert!(firms["last_success"].is_string(), "{firms}");
    assert!(firms["lag_seconds"].as_f64().unwrap() < 30.0, "{firms}");
    assert!(terminate(&mut daemon, 15).success());

    assert_eq!(query_i64(&db, "SELECT COUNT(*) FROM detections"), 6624);
    assert_eq!(
        query_i64(&db, "SELECT COUNT(DISTINCT natural_key) FROM detections"),
        6624
    );
    // The Jining-area pixel is outside the demo prefecture: nothing routed, nothing alerted twice.
    assert_eq!(
        query_i64(&db, "SELECT COUNT(*) FROM (SELECT event_id FROM alerts GROUP BY event_id HAVING COUNT(*) > 1)"),
        0
    );
    // The failed polls left nothing behind. Polls queued when SIGTERM came stay in processing/
    // for the next start, complete (never a half-written temporary file).
    for left in walk(&dir.path().join("var/inbox/processing")) {
        let name = left.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("FIRMS_MODIS_NRT_") && name.ends_with(".csv"),
            "{name}"
        );
        assert!(
            burnwatch_ingest::parse_file(&left).is_ok(),
            "{name} is a complete product"
        );
    }
    let quarantined: Vec<String> = walk(&dir.path().join("var/quarantine"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(
        quarantined.is_empty(),
        "bad responses are failed polls, not files: {quarantined:?}"
    );
    let paths = script.paths.lock().unwrap();
    assert!(
        paths[0].starts_with("TESTKEY/MODIS_NRT/115.8600,34.4500,117.5900,35.9800/1"),
        "{}",
        paths[0]
    );
}
