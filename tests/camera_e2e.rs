//! Tower cameras end to end through the real daemon: a camera simulator on loopback (digest
//! authentication, synthetic frames rendered with the same geometry the locator inverts) shows
//! one straw fire to two cameras of the demo prefecture, one visible (JPEG, colour rules) and one
//! thermal (radiometric 16-bit PNG, contextual test); the daemon confirms it over frames,
//! triangulates the two bearings and raises exactly one alert, in the township that contains the
//! fire. Camera a reports its pose the Hikvision way (ISAPI PTZ status XML, zoom mapped to a field
//! of view through its zoom table), b as JSON. Three more cameras answer a login page, truncated
//! JPEGs and a cut-off PTZ status: they fail with clear errors and back off, and the others go on.

mod common;

use burnwatch_camera::geometry::{destination, inverse};
use burnwatch_camera::sim::{self, Credentials, Fault, SimCamera, SimFire, SimWorld};
use burnwatch_camera::Pose;
use common::*;
use geo::Centroid;

const PASSWORD: &str = "tower-s3cret";

fn sim_camera(id: &str, (lon, lat): (f64, f64), pan_deg: f64, thermal: bool) -> SimCamera {
    SimCamera {
        id: id.into(),
        lon,
        lat,
        height_m: 40.0,
        pose: Pose {
            pan_deg,
            tilt_deg: -1.0,
            hfov_deg: 50.0,
            vfov_deg: 30.0,
        },
        width: if thermal { 640 } else { 960 },
        height: if thermal { 512 } else { 540 },
        thermal,
    }
}

fn camera_toml(c: &SimCamera, snapshot: &str, pose_url: Option<&str>) -> String {
    let pose = match pose_url {
        // The zoom table puts the simulator's reported zoom (4×) at the camera's field of view.
        Some(u) if u.ends_with("/status") => format!(
            "pose_url = \"{u}\"\nzoom_fov = [{{ zoom = 1.0, hfov_deg = 120.0, vfov_deg = 90.0 }}, \
             {{ zoom = 4.0, hfov_deg = {}, vfov_deg = {} }}]\n",
            c.pose.hfov_deg, c.pose.vfov_deg
        ),
        Some(u) => format!("pose_url = \"{u}\"\n"),
        None => format!(
            "preset = {{ pan_deg = {}, tilt_deg = {}, hfov_deg = {}, vfov_deg = {} }}\n",
            c.pose.pan_deg, c.pose.tilt_deg, c.pose.hfov_deg, c.pose.vfov_deg
        ),
    };
    format!(
        "[[cameras]]\nid = \"{id}\"\nname = \"塔{id}\"\nlon = {lon}\nlat = {lat}\nheight_m = {h}\nkind = \"{kind}\"\n\
         snapshot_url = \"{snapshot}\"\nauth = \"digest\"\nusername = \"burnwatch\"\npassword_env = \"BW_TEST_SIM_PASSWORD\"\n\
         {pose}frame_size = [{w}, {hh}]\ninterval_secs = 0.3\ntimeout_secs = 5\n",
        id = c.id,
        kind = if c.thermal { "thermal" } else { "visible" },
        lon = c.lon,
        lat = c.lat,
        h = c.height_m,
        w = c.width,
        hh = c.height,
    )
}

#[test]
fn two_cameras_one_fire_one_alert_in_the_right_township() {
    // The fire: the centre of a township in the middle of the demo prefecture (the samples'
    // default seed), so both cameras ~4.5 km away stand inside the prefecture too.
    let pref = burnwatch_sim::DemoPrefecture::generate(20250610);
    let town = pref
        .townships
        .iter()
        .find(|t| {
            let c = t.polygon.centroid().unwrap();
            (116.50..116.65).contains(&c.x()) && (35.10..35.20).contains(&c.y())
        })
        .expect("a central township");
    let c = town.polygon.centroid().unwrap();
    let fire = (c.x(), c.y());
    assert_eq!(
        pref.township_at(fire.0, fire.1).map(|t| &t.code),
        Some(&town.code)
    );

    // Camera a south-west of the fire looking north-east, b south-east looking north-west: the
    // bearings cross at 90°. Each is aimed a few degrees off the fire, as a patrol preset is.
    let a_pos = destination(fire.0, fire.1, 225.0, 4_500.0);
    let b_pos = destination(fire.0, fire.1, 135.0, 4_200.0);
    let az_a = inverse(a_pos.0, a_pos.1, fire.0, fire.1).1;
    let az_b = inverse(b_pos.0, b_pos.1, fire.0, fire.1).1;
    let a = sim_camera("a", a_pos, az_a + 4.0, false);
    let b = sim_camera("b", b_pos, az_b - 6.0, true);
    let html = sim_camera(
        "html",
        destination(fire.0, fire.1, 0.0, 3_000.0),
        180.0,
        false,
    );
    let cut = sim_camera(
        "cut",
        destination(fire.0, fire.1, 90.0, 3_000.0),
        270.0,
        false,
    );
    let badxml = sim_camera(
        "badxml",
        destination(fire.0, fire.1, 270.0, 3_000.0),
        90.0,
        false,
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sim::serve(
                listener,
                SimWorld {
                    fires: vec![SimFire {
                        lon: fire.0,
                        lat: fire.1,
                        width_m: 30.0,
                        flame_height_m: 6.0,
                        temp_k: 900.0,
                    }],
                    refraction_k: 0.13,
                    ground_k: 295.0,
                },
                vec![
                    a.clone(),
                    b.clone(),
                    html.clone(),
                    cut.clone(),
                    badxml.clone(),
                ],
                Credentials {
                    username: "burnwatch".into(),
                    password: PASSWORD.into(),
                },
            )
        })
        .unwrap();
    server.set_fault("html", Fault::Html);
    server.set_fault("cut", Fault::Truncated);
    server.set_fault("badxml", Fault::BrokenStatusXml);
    server.set_zoom("a", 4.0);
    server.set_zoom("badxml", 4.0);

    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let port = free_port();
    let cameras = [
        camera_toml(
            &a,
            &server.snapshot_url("a"),
            Some(&server.isapi_status_url("a")),
        ),
        camera_toml(&b, &server.snapshot_url("b"), Some(&server.pose_url("b"))),
        camera_toml(&html, &server.snapshot_url("html"), None),
        camera_toml(&cut, &server.snapshot_url("cut"), None),
        camera_toml(
            &badxml,
            &server.snapshot_url("badxml"),
            Some(&server.isapi_status_url("badxml")),
        ),
    ];
    daemon_config(
        &config,
        port,
        &format!("{}\n[frames.fusion]\nhold_secs = 60\n", cameras.join("\n")),
    );
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("BW_TEST_SIM_PASSWORD", PASSWORD)
        .env("BURNWATCH_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("daemon.log")).unwrap())
        .spawn()
        .unwrap();
    let db = database(dir.path());
    wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());
    wait_for(180, "a camera alert", || {
        db.exists() && query_i64(&db, "SELECT COUNT(*) FROM alerts") >= 1
    });
    // Both cameras keep confirming the same fire: nothing more may come of it.
    let served = (server.served("a"), server.served("b"));
    wait_for(60, "more frames of both cameras", || {
        server.served("a") >= served.0 + 6 && server.served("b") >= served.1 + 6
    });
    let (_, body) = http_get(port, "/healthz").unwrap();
    assert!(terminate(&mut daemon, 20).success());

    let log = std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("camera fire") || l.contains("camera:b"))
        .collect();
    let said = said.join("\n");
    assert_eq!(
        query_i64(&db, "SELECT COUNT(*) FROM alerts"),
        1,
        "one fire, one alert; the daemon said:\n{said}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    type Row = (String, String, String, f64, f64, f64, Option<f64>);
    let (region, source, satellite, lon, lat, scan, t11): Row = conn
        .query_row(
            "SELECT a.region_id, d.source, d.satellite, d.lon, d.lat, d.scan_km, d.bright_t11_k
             FROM alerts a JOIN detections d ON d.event_id = a.event_id ORDER BY d.id LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .unwrap();
    // The thermal camera's hottest apparent temperature rides along.
    assert!(t11.is_some_and(|t| t > 320.0), "{t11:?}\n{said}\n{body}");
    assert_eq!(region, town.code, "the alert is in the fire's township");
    assert_eq!(
        (source.as_str(), satellite.as_str()),
        ("camera", "camera:a+b")
    );
    let (miss, _, _) = inverse(fire.0, fire.1, lon, lat);
    assert!(miss < 60.0, "triangulated {miss:.1} m from the fire");
    assert!(
        scan < 0.5,
        "two bearings at 90° locate within a few hundred metres: {scan} km"
    );

    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    let src = &health["sources"];
    for good in ["camera:a", "camera:b", "camera:fusion"] {
        assert!(
            src[good]["successes"].as_u64().unwrap_or(0) >= 1,
            "{good}: {src}"
        );
    }
    let html = &src["camera:html"];
    assert!(
        html["successes"] == 0 && html["failures"].as_u64().unwrap() >= 1,
        "{html}"
    );
    assert!(
        html["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("not an image"),
        "{html}"
    );
    let cut = &src["camera:cut"];
    assert!(
        cut["successes"] == 0 && cut["failures"].as_u64().unwrap() >= 1,
        "{cut}"
    );
    assert!(
        cut["last_error"].as_str().unwrap_or("").contains("cut off"),
        "{cut}"
    );
    // A cut-off PTZ status: no frame is taken without its pose, and the error says why.
    let badxml = &src["camera:badxml"];
    assert!(
        badxml["successes"] == 0 && badxml["failures"].as_u64().unwrap() >= 1,
        "{badxml}"
    );
    assert!(
        badxml["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("ISAPI PTZ status"),
        "{badxml}"
    );
    assert_eq!(server.served("badxml"), 0, "no picture without a pose");
    assert!(
        server.pose_requests("badxml") < server.pose_requests("a"),
        "the camera with a broken status backs off"
    );
    // Backing off: far fewer requests than the 0.3 s interval would make.
    assert!(
        server.served("cut") < server.served("a"),
        "the failing camera backs off"
    );
}
