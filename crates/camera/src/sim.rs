//! A camera simulator: synthetic frames of fires in a world seen by tower cameras (the same
//! pinhole, curvature and refraction model the locator inverts), and an HTTP server that hands
//! them out the way tower cameras do — Hikvision-style snapshot and pose URLs behind digest
//! authentication, the pose as JSON or as Hikvision's ISAPI PTZ status XML — with faults on
//! demand (HTML login pages, truncated JPEGs, garbage, frames of the wrong size, broken XML).

use crate::geometry::{direction_to_pixel, inverse, Direction, Earth, Pose};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use burnwatch_detect::planck::{inverse_planck, planck_radiance};
use image::{ImageFormat, RgbImage};
use md5::{Digest, Md5};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A simulated tower camera.
#[derive(Debug, Clone, PartialEq)]
pub struct SimCamera {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub height_m: f64,
    pub pose: Pose,
    pub width: u32,
    pub height: u32,
    /// Radiometric 16-bit PNG (0.01 K per count) instead of a colour JPEG.
    pub thermal: bool,
}

/// A fire on flat ground at height 0 (the cameras' ground level).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimFire {
    pub lon: f64,
    pub lat: f64,
    /// Width of the burning front, m, and flame height, m.
    pub width_m: f64,
    pub flame_height_m: f64,
    /// Flame temperature, K.
    pub temp_k: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimWorld {
    pub fires: Vec<SimFire>,
    pub refraction_k: f64,
    /// Ground temperature for thermal frames, K.
    pub ground_k: f64,
}

/// Where a fire appears in a camera's frame: base centre (u, v), size in pixels, distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projected {
    pub u: f64,
    pub v: f64,
    pub width_px: f64,
    pub height_px: f64,
    pub distance_m: f64,
}

/// Projects a fire into a camera's frame (None when out of view).
pub fn project(cam: &SimCamera, fire: &SimFire, refraction_k: f64) -> Option<Projected> {
    let (d, az, _) = inverse(cam.lon, cam.lat, fire.lon, fire.lat);
    let earth = Earth::along(cam.lat, az, refraction_k);
    let base = Direction {
        azimuth_deg: az,
        elevation_deg: earth.elevation_to(cam.height_m, d, 0.0),
    };
    let top = Direction {
        azimuth_deg: az,
        elevation_deg: earth.elevation_to(cam.height_m, d, fire.flame_height_m),
    };
    let (u, v) = direction_to_pixel(base, cam.width, cam.height, &cam.pose)?;
    let (_, vt) = direction_to_pixel(top, cam.width, cam.height, &cam.pose)?;
    let px_per_rad = (cam.width as f64 / 2.0) / (cam.pose.hfov_deg.to_radians() / 2.0).tan();
    let width_px = fire.width_m / d * px_per_rad;
    let inside = u >= 0.0 && u < cam.width as f64 && v >= 0.0 && v < cam.height as f64;
    inside.then_some(Projected {
        u,
        v,
        width_px,
        height_px: (v - vt).max(0.0),
        distance_m: d,
    })
}

/// Elevation of the apparent horizon from height h over a refracting earth, degrees.
fn horizon_deg(cam: &SimCamera, refraction_k: f64) -> f64 {
    let r = 6_371_000.0 / (1.0 - refraction_k);
    -(2.0 * cam.height_m / r).sqrt().to_degrees()
}

/// Row of the horizon in the frame (at the centre column).
fn horizon_row(cam: &SimCamera, refraction_k: f64) -> f64 {
    let dir = Direction {
        azimuth_deg: cam.pose.pan_deg,
        elevation_deg: horizon_deg(cam, refraction_k),
    };
    direction_to_pixel(dir, cam.width, cam.height, &cam.pose)
        .map(|(_, v)| v)
        .unwrap_or(0.0)
}

/// A colour frame: blue sky, green-brown fields with noise, flames where fires are.
pub fn render_visible(world: &SimWorld, cam: &SimCamera, seed: u64) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let horizon = horizon_row(cam, world.refraction_k);
    let mut img = RgbImage::from_fn(cam.width, cam.height, |x, y| {
        let n = ((x.wrapping_mul(73) ^ y.wrapping_mul(151)) % 9) as i32 - 4;
        if (y as f64) < horizon {
            let t = y as f64 / horizon.max(1.0);
            image::Rgb([
                (95.0 + 30.0 * t) as u8,
                (140.0 + 25.0 * t) as u8,
                (215.0 - 10.0 * t) as u8,
            ])
        } else {
            let stripe = ((x / 37 + y / 23) % 3) as i32 * 6;
            image::Rgb([
                (88 + n + stripe) as u8,
                (112 + n) as u8,
                (58 + n - stripe / 2) as u8,
            ])
        }
    });
    for fire in &world.fires {
        let Some(p) = project(cam, fire, world.refraction_k) else {
            continue;
        };
        // Flames flicker: width and height vary from frame to frame.
        let w = (p.width_px * rng.random_range(0.85..1.15)).max(2.0);
        let h = (p.height_px * rng.random_range(0.7..1.3)).max(2.0);
        let (x0, x1) = (
            (p.u - w / 2.0).floor() as i64,
            (p.u + w / 2.0).ceil() as i64,
        );
        let (y0, y1) = ((p.v - h).floor() as i64, p.v.ceil() as i64);
        for y in y0.max(0)..y1.min(cam.height as i64) {
            for x in x0.max(0)..x1.min(cam.width as i64) {
                let g = rng.random_range(120..200u8);
                img.put_pixel(
                    x as u32,
                    y as u32,
                    image::Rgb([rng.random_range(235..=255), g, rng.random_range(20..70)]),
                );
            }
        }
    }
    img
}

/// A radiometric frame in kelvin: cool sky, warm ground, fires mixed into their pixels in
/// radiance at 10 µm (a sub-pixel fire reads much cooler than it burns).
pub fn render_thermal(world: &SimWorld, cam: &SimCamera, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let horizon = horizon_row(cam, world.refraction_k);
    // Sensor noise (NETD ~50 mK) makes every frame differ, as a real camera's do.
    let mut t: Vec<f32> = (0..cam.width * cam.height)
        .map(|i| {
            let (x, y) = (i % cam.width, i / cam.width);
            let netd = rng.random_range(-0.05f32..0.05);
            if (y as f64) < horizon {
                250.0 + 0.05 * y as f32 + netd
            } else {
                let n = ((x.wrapping_mul(73) ^ y.wrapping_mul(151)) % 7) as f32 * 0.15;
                world.ground_k as f32 + 0.01 * y as f32 + n + netd
            }
        })
        .collect();
    let px_per_rad = (cam.width as f64 / 2.0) / (cam.pose.hfov_deg.to_radians() / 2.0).tan();
    for fire in &world.fires {
        let Some(p) = project(cam, fire, world.refraction_k) else {
            continue;
        };
        // Pixel footprint at that distance (m): the fire fills fire area / footprint² of it.
        let footprint = p.distance_m / px_per_rad;
        let cols = (fire.width_m / footprint).max(1.0);
        let fraction = ((fire.width_m.min(footprint) * fire.flame_height_m.min(footprint))
            / (footprint * footprint))
            .clamp(0.0, 1.0)
            * rng.random_range(0.8..1.2);
        let (x0, x1) = (
            (p.u - cols / 2.0).floor() as i64,
            (p.u + cols / 2.0).ceil() as i64,
        );
        let y = p.v.floor() as i64 - 1;
        for x in x0.max(0)..x1.min(cam.width as i64) {
            if y < 0 || y >= cam.height as i64 {
                continue;
            }
            let i = y as usize * cam.width as usize + x as usize;
            let bg = t[i] as f64;
            let l = fraction.min(1.0) * planck_radiance(10.0, fire.temp_k)
                + (1.0 - fraction.min(1.0)) * planck_radiance(10.0, bg);
            t[i] = inverse_planck(10.0, l) as f32;
        }
    }
    t
}

/// The bytes a camera sends: a JPEG (visible) or a 16-bit PNG in 0.01 K counts (thermal).
pub fn render_frame(world: &SimWorld, cam: &SimCamera, seed: u64) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    if cam.thermal {
        let counts: Vec<u16> = render_thermal(world, cam, seed)
            .iter()
            .map(|&k| (k as f64 * 100.0).round().clamp(0.0, 65_535.0) as u16)
            .collect();
        let img =
            image::ImageBuffer::<image::Luma<u16>, _>::from_raw(cam.width, cam.height, counts)
                .expect("sized buffer");
        img.write_to(&mut out, ImageFormat::Png)
            .expect("PNG in memory");
    } else {
        render_visible(world, cam, seed)
            .write_to(&mut out, ImageFormat::Jpeg)
            .expect("JPEG in memory");
    }
    out.into_inner()
}

/// What a simulated camera does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// A login page instead of a picture.
    Html,
    /// The first third of a JPEG.
    Truncated,
    /// Random bytes.
    Garbage,
    /// A 64×48 thumbnail.
    WrongSize,
    /// Pictures are fine, but the ISAPI PTZ status answer is cut off mid-element.
    BrokenStatusXml,
}

/// Digest credentials the simulator demands.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

pub const REALM: &str = "burnwatch camera simulator";
const NONCE: &str = "6275726e77617463682d73696d2d6e6f6e6365";

struct ServerState {
    world: SimWorld,
    cameras: HashMap<String, SimCamera>,
    faults: Mutex<HashMap<String, Fault>>,
    /// Zoom ratio each camera reports in its ISAPI status (1× unless set).
    zooms: Mutex<HashMap<String, f64>>,
    credentials: Credentials,
    requests: AtomicU64,
    served: Mutex<HashMap<String, u64>>,
}

/// A running simulator.
#[derive(Clone)]
pub struct SimServer {
    state: Arc<ServerState>,
    pub port: u16,
}

impl SimServer {
    /// Snapshot URL of camera `id`.
    pub fn snapshot_url(&self, id: &str) -> String {
        format!(
            "http://127.0.0.1:{}/ISAPI/Streaming/channels/{id}/picture",
            self.port
        )
    }

    /// Live-pose URL of camera `id` (JSON `{pan_deg, tilt_deg, hfov_deg, vfov_deg}`).
    pub fn pose_url(&self, id: &str) -> String {
        format!(
            "http://127.0.0.1:{}/ISAPI/PTZCtrl/channels/{id}/pose",
            self.port
        )
    }

    /// Hikvision ISAPI PTZ status URL of camera `id` (XML: azimuth, elevation, zoom).
    pub fn isapi_status_url(&self, id: &str) -> String {
        format!(
            "http://127.0.0.1:{}/ISAPI/PTZCtrl/channels/{id}/status",
            self.port
        )
    }

    /// The zoom ratio camera `id` reports in its ISAPI status; the frames are rendered with the
    /// camera's own field of view, which a deployment's zoom table maps this ratio to.
    pub fn set_zoom(&self, id: &str, zoom: f64) {
        self.state
            .zooms
            .lock()
            .expect("zooms")
            .insert(id.to_owned(), zoom);
    }

    pub fn set_fault(&self, id: &str, fault: Fault) {
        self.state
            .faults
            .lock()
            .expect("faults")
            .insert(id.to_owned(), fault);
    }

    /// Authenticated pose answers (JSON or ISAPI status) served to camera `id` so far.
    pub fn pose_requests(&self, id: &str) -> u64 {
        self.state
            .served
            .lock()
            .expect("served")
            .get(&format!("pose:{id}"))
            .copied()
            .unwrap_or(0)
    }

    /// Authenticated frames served to camera `id` so far.
    pub fn served(&self, id: &str) -> u64 {
        self.state
            .served
            .lock()
            .expect("served")
            .get(id)
            .copied()
            .unwrap_or(0)
    }
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// RFC 2617 digest check with qop=auth, as a Hikvision camera makes it: the simulator's, and any
/// test's own fake camera with its realm and nonce.
pub fn digest_authorized(headers: &HeaderMap, realm: &str, nonce: &str, c: &Credentials) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(params) = value.strip_prefix("Digest ") else {
        return false;
    };
    let fields: HashMap<String, String> = params
        .split(',')
        .filter_map(|kv| kv.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect();
    let f = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let ha1 = md5_hex(&format!("{}:{realm}:{}", c.username, c.password));
    let ha2 = md5_hex(&format!("GET:{}", f("uri")));
    let expected = md5_hex(&format!(
        "{ha1}:{}:{}:{}:{}:{ha2}",
        f("nonce"),
        f("nc"),
        f("cnonce"),
        f("qop")
    ));
    f("username") == c.username && f("nonce") == nonce && f("response") == expected
}

fn challenge() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            format!("Digest qop=\"auth\", realm=\"{REALM}\", nonce=\"{NONCE}\", stale=\"FALSE\""),
        )],
        "",
    )
        .into_response()
}

async fn picture(
    State(s): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if !digest_authorized(&headers, REALM, NONCE, &s.credentials) {
        return challenge();
    }
    let Some(cam) = s.cameras.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "no such channel").into_response();
    };
    let n = s.requests.fetch_add(1, Ordering::SeqCst);
    *s.served
        .lock()
        .expect("served")
        .entry(id.clone())
        .or_default() += 1;
    let fault = s
        .faults
        .lock()
        .expect("faults")
        .get(&id)
        .copied()
        .unwrap_or(Fault::None);
    let world = s.world.clone();
    let thermal = cam.thermal;
    let seed = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // Rendering and encoding are CPU work: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || match fault {
        Fault::None | Fault::BrokenStatusXml => render_frame(&world, &cam, seed),
        Fault::Html => b"<!DOCTYPE html><html><body>Please log in</body></html>".to_vec(),
        Fault::Truncated => {
            let full = render_frame(
                &world,
                &SimCamera {
                    thermal: false,
                    ..cam
                },
                seed,
            );
            full[..full.len() / 3].to_vec()
        }
        Fault::Garbage => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..4096).map(|_| rng.random::<u8>()).collect()
        }
        Fault::WrongSize => render_frame(
            &world,
            &SimCamera {
                width: 64,
                height: 48,
                ..cam
            },
            seed,
        ),
    })
    .await
    .unwrap_or_default();
    let content_type = match fault {
        Fault::Html => "text/html",
        _ if thermal => "image/png",
        _ => "image/jpeg",
    };
    ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
}

async fn pose(
    State(s): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if !digest_authorized(&headers, REALM, NONCE, &s.credentials) {
        return challenge();
    }
    if s.cameras.contains_key(&id) {
        *s.served
            .lock()
            .expect("served")
            .entry(format!("pose:{id}"))
            .or_default() += 1;
    }
    match s.cameras.get(&id) {
        Some(c) => axum::Json(serde_json::json!({
            "pan_deg": c.pose.pan_deg,
            "tilt_deg": c.pose.tilt_deg,
            "hfov_deg": c.pose.hfov_deg,
            "vfov_deg": c.pose.vfov_deg,
        }))
        .into_response(),
        None => (StatusCode::NOT_FOUND, "no such channel").into_response(),
    }
}

async fn isapi_status(
    State(s): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if !digest_authorized(&headers, REALM, NONCE, &s.credentials) {
        return challenge();
    }
    let Some(c) = s.cameras.get(&id) else {
        return (StatusCode::NOT_FOUND, "no such channel").into_response();
    };
    *s.served
        .lock()
        .expect("served")
        .entry(format!("pose:{id}"))
        .or_default() += 1;
    let zoom = s
        .zooms
        .lock()
        .expect("zooms")
        .get(&id)
        .copied()
        .unwrap_or(1.0);
    let mut xml = crate::isapi::ptz_status_xml(&crate::isapi::PtzStatus {
        azimuth_deg: c.pose.pan_deg,
        elevation_deg: -c.pose.tilt_deg,
        zoom,
    });
    let broken = s.faults.lock().expect("faults").get(&id) == Some(&Fault::BrokenStatusXml);
    if broken {
        xml.truncate(xml.find("<absoluteZoom>").unwrap_or(xml.len() / 2) + 5);
    }
    ([(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

/// Serves the cameras on `listener` until the runtime stops.
pub fn serve(
    listener: tokio::net::TcpListener,
    world: SimWorld,
    cameras: Vec<SimCamera>,
    credentials: Credentials,
) -> std::io::Result<SimServer> {
    let port = listener.local_addr()?.port();
    let state = Arc::new(ServerState {
        world,
        cameras: cameras.into_iter().map(|c| (c.id.clone(), c)).collect(),
        faults: Mutex::new(HashMap::new()),
        zooms: Mutex::new(HashMap::new()),
        credentials,
        requests: AtomicU64::new(0),
        served: Mutex::new(HashMap::new()),
    });
    let app = axum::Router::new()
        .route(
            "/ISAPI/Streaming/channels/{id}/picture",
            axum::routing::get(picture),
        )
        .route(
            "/ISAPI/PTZCtrl/channels/{id}/pose",
            axum::routing::get(pose),
        )
        .route(
            "/ISAPI/PTZCtrl/channels/{id}/status",
            axum::routing::get(isapi_status),
        )
        .with_state(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(SimServer { state, port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{decode, Frame, Radiometry};

    fn camera(thermal: bool) -> SimCamera {
        SimCamera {
            id: "a".into(),
            lon: 116.52,
            lat: 35.08,
            height_m: 40.0,
            pose: Pose {
                pan_deg: 45.0,
                tilt_deg: -0.8,
                hfov_deg: 50.0,
                vfov_deg: 30.0,
            },
            width: 640,
            height: 480,
            thermal,
        }
    }

    fn world() -> SimWorld {
        SimWorld {
            fires: vec![SimFire {
                lon: 116.545,
                lat: 35.10,
                width_m: 30.0,
                flame_height_m: 6.0,
                temp_k: 900.0,
            }],
            refraction_k: 0.13,
            ground_k: 295.0,
        }
    }

    #[test]
    fn a_fire_appears_where_the_geometry_says_in_both_kinds_of_frame() {
        let cam = camera(false);
        let p = project(&cam, &world().fires[0], 0.13).expect("in view");
        assert!(p.distance_m > 3_000.0 && p.width_px > 3.0, "{p:?}");
        let Frame::Visible(img) =
            decode(&render_frame(&world(), &cam, 1), Radiometry::default()).unwrap()
        else {
            panic!("visible")
        };
        let px = img.get_pixel(p.u as u32, (p.v - 1.0) as u32);
        assert!(px[0] > 200 && px[2] < 120, "{px:?}");
        let cam = camera(true);
        let Frame::Thermal(t) =
            decode(&render_frame(&world(), &cam, 1), Radiometry::default()).unwrap()
        else {
            panic!("thermal")
        };
        let hot = t.at(p.u as u32, p.v as u32 - 1);
        assert!(hot > 310.0, "{hot}");
        assert!(t.at(5, 470) < 300.0);
    }
}

#[cfg(test)]
mod thermal_chain {
    use super::*;
    use crate::frame::{decode, Frame, Radiometry};
    use crate::geometry::{destination, inverse};
    use crate::mask::ActiveMasks;

    #[test]
    fn a_thermal_camera_four_km_away_finds_a_straw_fire() {
        let fire = (116.58, 35.15);
        let pos = destination(fire.0, fire.1, 135.0, 4_200.0);
        let az = inverse(pos.0, pos.1, fire.0, fire.1).1;
        let cam = SimCamera {
            id: "b".into(),
            lon: pos.0,
            lat: pos.1,
            height_m: 40.0,
            pose: Pose {
                pan_deg: az - 6.0,
                tilt_deg: -1.0,
                hfov_deg: 50.0,
                vfov_deg: 30.0,
            },
            width: 640,
            height: 512,
            thermal: true,
        };
        let w = SimWorld {
            fires: vec![SimFire {
                lon: fire.0,
                lat: fire.1,
                width_m: 30.0,
                flame_height_m: 6.0,
                temp_k: 900.0,
            }],
            refraction_k: 0.13,
            ground_k: 295.0,
        };
        let p = project(&cam, &w.fires[0], 0.13).expect("in view");
        let Frame::Thermal(t) = decode(&render_frame(&w, &cam, 3), Radiometry::default()).unwrap()
        else {
            panic!()
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/camera");
        let prof = crate::profile::ThermalProfile::load(&dir, "thermal").unwrap();
        let boxes = crate::thermal::detect(&t, &prof, ActiveMasks::none());
        assert_eq!(
            boxes.len(),
            1,
            "{p:?} {boxes:?} at {}",
            t.at(p.u as u32, p.v as u32 - 1)
        );
    }
}
