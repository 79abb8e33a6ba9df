//! Tower-camera snapshots through the real daemon against camera servers on loopback: digest
//! and basic authentication, frames kept with time and pose, identical frames kept once, a login
//! page or an error answered with back-off, and a dead camera not slowing the others.

mod common;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const REALM: &str = "IP Camera(C1234)";
const NONCE: &str = "4e6f6e63654f6654686543616d657261";
const PASSWORD: &str = "s3cret-tower";

fn jpeg(shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(32, 24, |x, y| {
        image::Rgb([shade, (x * 8) as u8, (y * 10) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// The credentials the daemon is configured with below.
fn digest_ok(headers: &HeaderMap) -> bool {
    let credentials = burnwatch_camera::sim::Credentials {
        username: "burnwatch".into(),
        password: PASSWORD.into(),
    };
    burnwatch_camera::sim::digest_authorized(headers, REALM, NONCE, &credentials)
}

struct Camera {
    calls: AtomicUsize,
}

async fn hikvision(State(cam): State<Arc<Camera>>, headers: HeaderMap) -> Response {
    if !digest_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                format!(
                    "Digest qop=\"auth\", realm=\"{REALM}\", nonce=\"{NONCE}\", stale=\"FALSE\""
                ),
            )],
            "",
        )
            .into_response();
    }
    match cam.calls.fetch_add(1, Ordering::SeqCst) {
        0 | 1 => jpeg(10).into_response(), // the same picture twice: kept once
        2 => jpeg(60).into_response(),
        3 => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>login</body></html>",
        )
            .into_response(),
        4 => (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
        n => jpeg(100 + (n as u8 % 100)).into_response(),
    }
}

async fn dahua(headers: HeaderMap) -> Response {
    // Basic auth: "burnwatch:s3cret-tower".
    let expected = "Basic YnVybndhdGNoOnMzY3JldC10b3dlcg==";
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(expected)
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    jpeg(200).into_response()
}

#[test]
fn cameras_are_fetched_authenticated_and_kept_with_their_pose() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let cam_port = listener.local_addr().unwrap().port();
    let cam = Arc::new(Camera {
        calls: AtomicUsize::new(0),
    });
    let app = axum::Router::new()
        .route(
            "/ISAPI/Streaming/channels/201/picture",
            axum::routing::get(hikvision),
        )
        .with_state(cam.clone())
        .route("/cgi-bin/snapshot.cgi", axum::routing::get(dahua));
    runtime.spawn(async move { axum::serve(listener, app).await });
    let dead_port = free_port();

    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let port = free_port();
    let camera = |id: &str, url: String, auth: &str| {
        format!(
            "[[cameras]]\nid = \"{id}\"\nname = \"塔{id}\"\nlon = 116.5\nlat = 35.1\nheight_m = 40\nkind = \"thermal\"\n\
             snapshot_url = \"{url}\"\nauth = \"{auth}\"\nusername = \"burnwatch\"\npassword_env = \"BW_TEST_CAM_PASSWORD\"\n\
             preset = {{ pan_deg = 135.0, tilt_deg = -2.0, hfov_deg = 25.0, vfov_deg = 19.0 }}\n\
             interval_secs = 0.1\ntimeout_secs = 1\n"
        )
    };
    daemon_config(
        &config,
        port,
        &[
            camera(
                "hik",
                format!("http://127.0.0.1:{cam_port}/ISAPI/Streaming/channels/201/picture"),
                "digest",
            ),
            camera(
                "dahua",
                format!("http://127.0.0.1:{cam_port}/cgi-bin/snapshot.cgi"),
                "basic",
            ),
            camera(
                "dead",
                format!("http://127.0.0.1:{dead_port}/picture"),
                "digest",
            ),
        ]
        .join("\n"),
    );
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("BW_TEST_CAM_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());
    wait_for(30, "8 authenticated snapshots", || {
        cam.calls.load(Ordering::SeqCst) >= 8
    });
    let (_, body) = http_get(port, "/healthz").unwrap();
    assert!(terminate(&mut daemon, 15).success());

    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    let hik = &health["sources"]["camera:hik"];
    assert!(hik["failures"].as_u64().unwrap() >= 2, "{hik}");
    assert!(
        health["sources"]["camera:dahua"]["successes"]
            .as_u64()
            .unwrap()
            >= 1,
        "{health}"
    );
    let dead = &health["sources"]["camera:dead"];
    assert!(
        dead["failures"].as_u64().unwrap() >= 1 && dead["successes"] == 0,
        "{dead}"
    );

    let frames = dir.path().join("var/frames/hik");
    let mut metas: Vec<serde_json::Value> = walk(&frames)
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    metas.sort_by_key(|m| m["captured_at"].as_str().unwrap().to_owned());
    assert!(metas.len() >= 3, "{metas:?}");
    for w in metas.windows(2) {
        assert_ne!(
            w[0]["sha256"], w[1]["sha256"],
            "an unchanged picture is kept once"
        );
    }
    assert_eq!(metas[0]["pose"]["pan_deg"], 135.0);
    assert_eq!(metas[0]["format"], "jpg");
    for m in &metas {
        let img = frames.join(format!(
            "hik_{}.jpg",
            chrono::DateTime::parse_from_rfc3339(m["captured_at"].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc)
                .format("%Y%m%dT%H%M%S%.3fZ")
        ));
        assert!(img.exists(), "{}", img.display());
    }
    assert!(walk(&dir.path().join("var/frames/dahua")).len() >= 2);
    assert!(walk(&dir.path().join("var/frames/dead")).is_empty());
}
