//! Tower-camera snapshots: each camera is fetched on its own schedule (HTTP GET, basic or digest
//! authentication), the bytes are checked to be an image by content, and the frame is kept with
//! its capture time and the camera's pose. A camera that is down backs off without slowing the
//! others; a frame identical to the previous one is not kept twice.
//!
//! Each kept frame then goes through the camera's detector (`burnwatch-camera`: decode by
//! content, thermal/colour/model detection, masks, temporal confirmation); a confirmed fire
//! becomes a bearing sent to [`fuse`], which intersects the bearings of several cameras (or, after
//! a wait, uses one camera's ground estimate) and deposits each located fire as a file in
//! `processing/` for the worker, like any other source. A frame that cannot be decoded (a
//! truncated JPEG, a thumbnail of the wrong size) counts as a failed capture: the camera backs off.

use crate::inbox::Inbox;
use crate::status::Status;
use crate::{sleep_or_stop, Work};
use burnwatch_camera::{CameraWatch, Fusion, FusionOutput, Observation};
use burnwatch_core::daemon_config::{CameraAuth, CameraConfig, CameraPreset};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, watch};

#[derive(Debug, Error)]
pub enum CameraError {
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("the camera asked for authentication this source cannot answer: {0}")]
    Auth(String),
    #[error("the password variable {0} is not set")]
    NoPassword(String),
    #[error("the snapshot is not an image ({0} bytes, starts with {1:?})")]
    NotImage(usize, String),
    #[error("the pose answer is not {{pan_deg, tilt_deg, hfov_deg, vfov_deg}}: {0}")]
    Pose(String),
    #[error("the ISAPI PTZ status cannot be read: {0}")]
    PtzStatus(#[from] burnwatch_camera::isapi::IsapiError),
    #[error("the camera reports zoom {zoom}×: {reason}")]
    Zoom { zoom: f64, reason: String },
    #[error("cannot keep the frame: {0}")]
    Io(#[from] std::io::Error),
    #[error("the frame cannot be used: {0}")]
    Frame(#[from] burnwatch_camera::CameraError),
}

/// What is stored beside each frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameMeta {
    pub camera_id: String,
    pub captured_at: DateTime<Utc>,
    pub pose: Pose,
    pub format: String,
    pub sha256: String,
    pub bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pose {
    pub pan_deg: f64,
    pub tilt_deg: f64,
    pub hfov_deg: f64,
    pub vfov_deg: f64,
}

impl From<Pose> for burnwatch_camera::Pose {
    fn from(p: Pose) -> Self {
        Self {
            pan_deg: p.pan_deg,
            tilt_deg: p.tilt_deg,
            hfov_deg: p.hfov_deg,
            vfov_deg: p.vfov_deg,
        }
    }
}

/// A frame just kept: where, its sidecar, its bytes.
#[derive(Debug, Clone)]
pub struct KeptFrame {
    pub path: PathBuf,
    pub meta: FrameMeta,
    pub bytes: Vec<u8>,
}

impl From<CameraPreset> for Pose {
    fn from(p: CameraPreset) -> Self {
        Self {
            pan_deg: p.pan_deg,
            tilt_deg: p.tilt_deg,
            hfov_deg: p.hfov_deg,
            vfov_deg: p.vfov_deg,
        }
    }
}

pub struct CameraSource {
    pub config: CameraConfig,
    client: reqwest::Client,
    dir: PathBuf,
    last_sha: Option<String>,
}

impl CameraSource {
    pub fn new(config: CameraConfig, frames_dir: &Path) -> Result<Self, CameraError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(config.timeout_secs))
            .build()?;
        let dir = frames_dir.join(&config.id);
        std::fs::create_dir_all(&dir)?;
        let last_sha = newest_meta(&dir).map(|m| m.sha256);
        Ok(Self {
            config,
            client,
            dir,
            last_sha,
        })
    }

    fn source_name(&self) -> String {
        format!("camera:{}", self.config.id)
    }

    fn password(&self) -> Result<String, CameraError> {
        match &self.config.password_env {
            Some(var) => std::env::var(var).map_err(|_| CameraError::NoPassword(var.clone())),
            None => Ok(String::new()),
        }
    }

    async fn get(&self, url: &str) -> Result<reqwest::Response, CameraError> {
        let user = self.config.username.clone().unwrap_or_default();
        let request = self.client.get(url);
        let response = match self.config.auth {
            CameraAuth::None => request.send().await?,
            CameraAuth::Basic => {
                request
                    .basic_auth(user, Some(self.password()?))
                    .send()
                    .await?
            }
            CameraAuth::Digest => {
                // Digest needs the server's challenge first (Hikvision ISAPI, Dahua).
                let first = request.send().await?;
                if first.status() != reqwest::StatusCode::UNAUTHORIZED {
                    first
                } else {
                    let challenge = first
                        .headers()
                        .get(reqwest::header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .ok_or_else(|| CameraError::Auth("401 without a challenge".into()))?
                        .to_owned();
                    let mut prompt = digest_auth::parse(&challenge)
                        .map_err(|e| CameraError::Auth(e.to_string()))?;
                    let parsed =
                        reqwest::Url::parse(url).map_err(|e| CameraError::Auth(e.to_string()))?;
                    let uri = match parsed.query() {
                        Some(q) => format!("{}?{q}", parsed.path()),
                        None => parsed.path().to_owned(),
                    };
                    let password = self.password()?;
                    let context = digest_auth::AuthContext::new(
                        user.as_str(),
                        password.as_str(),
                        uri.as_str(),
                    );
                    let answer = prompt
                        .respond(&context)
                        .map_err(|e| CameraError::Auth(e.to_string()))?;
                    self.client
                        .get(url)
                        .header(reqwest::header::AUTHORIZATION, answer.to_header_string())
                        .send()
                        .await?
                }
            }
        };
        if !response.status().is_success() {
            return Err(CameraError::Status(response.status().as_u16()));
        }
        Ok(response)
    }

    async fn pose(&self) -> Result<Pose, CameraError> {
        if let Some(url) = &self.config.pose_url {
            let text = self.get(url).await?.text().await?;
            return parse_pose(&text, &self.config);
        }
        self.config
            .preset
            .map(Pose::from)
            .ok_or_else(|| CameraError::Pose("no preset and no pose_url".into()))
    }

    /// Takes one frame; `Ok(None)` when it is the same picture as the last one kept.
    pub async fn capture(&mut self) -> Result<Option<KeptFrame>, CameraError> {
        // The pose is read first: a PTZ camera that moves between the two reads would otherwise
        // pair a frame with the next preset's direction.
        let pose = self.pose().await?;
        let captured_at = Utc::now();
        let bytes = self.get(&self.config.snapshot_url).await?.bytes().await?;
        let format = match image::guess_format(&bytes) {
            Ok(
                f @ (image::ImageFormat::Jpeg | image::ImageFormat::Png | image::ImageFormat::Tiff),
            ) => f,
            _ => {
                let head: String =
                    String::from_utf8_lossy(&bytes[..bytes.len().min(24)]).into_owned();
                return Err(CameraError::NotImage(bytes.len(), head));
            }
        };
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if self.last_sha.as_deref() == Some(sha256.as_str()) {
            return Ok(None);
        }
        let ext = format.extensions_str().first().copied().unwrap_or("img");
        let stem = format!(
            "{}_{}",
            self.config.id,
            captured_at.format("%Y%m%dT%H%M%S%.3fZ")
        );
        let meta = FrameMeta {
            camera_id: self.config.id.clone(),
            captured_at,
            pose,
            format: ext.to_owned(),
            sha256: sha256.clone(),
            bytes: bytes.len(),
        };
        let frame = self.dir.join(format!("{stem}.{ext}"));
        write_atomically(&frame, &bytes)?;
        // The sidecar last: a frame counts as kept once its metadata exists.
        let sidecar = self.dir.join(format!("{stem}.json"));
        write_atomically(
            &sidecar,
            serde_json::to_string_pretty(&meta)
                .unwrap_or_default()
                .as_bytes(),
        )?;
        self.last_sha = Some(sha256);
        Ok(Some(KeptFrame {
            path: frame,
            meta,
            bytes: bytes.to_vec(),
        }))
    }
}

/// A live pose answer, its format told by content: Hikvision ISAPI PTZ status XML (azimuth,
/// elevation and zoom, the field of view from the camera's `zoom_fov` table), or JSON
/// `{pan_deg, tilt_deg, hfov_deg, vfov_deg}`.
pub fn parse_pose(text: &str, camera: &CameraConfig) -> Result<Pose, CameraError> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if !body.starts_with('<') {
        return serde_json::from_str::<Pose>(body).map_err(|e| CameraError::Pose(e.to_string()));
    }
    let status = burnwatch_camera::isapi::parse_ptz_status(body)?;
    let (hfov_deg, vfov_deg) = if camera.zoom_fov.is_empty() {
        // No table: a fixed lens, whose field of view the preset gives. A zooming camera
        // without a table would be located with the wrong field of view: refuse it.
        let preset = camera.preset.ok_or_else(|| CameraError::Zoom {
            zoom: status.zoom,
            reason:
                "the camera has neither a zoom_fov table nor a preset to give its field of view"
                    .into(),
        })?;
        if (status.zoom - 1.0).abs() > 0.05 {
            return Err(CameraError::Zoom {
                zoom: status.zoom,
                reason: "a zoom lens needs a zoom_fov table (the preset's field of view is the fixed lens')"
                    .into(),
            });
        }
        (preset.hfov_deg, preset.vfov_deg)
    } else {
        camera
            .zoom_fov
            .fov_at(status.zoom)
            .ok_or_else(|| CameraError::Zoom {
                zoom: status.zoom,
                reason: "not a zoom ratio".into(),
            })?
    };
    Ok(Pose {
        pan_deg: status.azimuth_deg,
        tilt_deg: status.tilt_deg(),
        hfov_deg,
        vfov_deg,
    })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

fn newest_meta(dir: &Path) -> Option<FrameMeta> {
    let mut metas: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    metas.sort();
    let text = std::fs::read_to_string(metas.last()?).ok()?;
    serde_json::from_str(&text).ok()
}

/// A camera's detector state and where its confirmed fires go.
pub struct FrameDetection {
    pub watch: CameraWatch,
    pub observations: mpsc::Sender<Observation>,
}

/// Runs a kept frame through the camera's detector (on a blocking thread: decoding and
/// detection are CPU work) and sends confirmed fires on as bearings.
async fn analyse(d: &mut FrameDetection, kept: KeptFrame) -> Result<(), CameraError> {
    let detector = d.watch.detector.clone();
    let pose: burnwatch_camera::Pose = kept.meta.pose.into();
    let bytes = kept.bytes;
    let frame = tokio::task::spawn_blocking(move || detector.detect_bytes(&bytes, Some(pose)))
        .await
        .map_err(|e| CameraError::Io(std::io::Error::other(e.to_string())))??;
    let outcome = d
        .watch
        .update(frame, kept.meta.captured_at, pose, &kept.meta.sha256);
    for o in outcome.observations {
        tracing::info!(
            camera = %o.camera.id,
            class = o.class.as_str(),
            score = o.score,
            azimuth = o.azimuth_deg,
            frame = %kept.path.display(),
            "camera fire confirmed"
        );
        // The fusion task stops only with the daemon: a closed channel means shutting down.
        let _ = d.observations.send(o).await;
    }
    Ok(())
}

/// Runs one camera until stopped; with `detection`, every kept frame is also analysed.
pub async fn run(
    config: CameraConfig,
    frames_dir: PathBuf,
    status: Arc<Status>,
    mut stop: watch::Receiver<bool>,
    mut detection: Option<FrameDetection>,
) {
    let source = format!("camera:{}", config.id);
    status.register(&source);
    let interval = Duration::from_secs_f64(config.interval_secs);
    let mut camera = match CameraSource::new(config, &frames_dir) {
        Ok(c) => c,
        Err(e) => {
            status.failure(&source, &e.to_string());
            return;
        }
    };
    let mut failures = 0u32;
    loop {
        let result = tokio::select! {
            r = camera.capture() => r,
            _ = stop.changed() => return,
        };
        let result = match (result, detection.as_mut()) {
            (Ok(Some(kept)), Some(d)) => {
                let path = kept.path.clone();
                analyse(d, kept).await.map(|()| Some(path))
            }
            (r, _) => r.map(|k| k.map(|k| k.path)),
        };
        let next = match result {
            Ok(kept) => {
                failures = 0;
                status.success(&camera.source_name(), u64::from(kept.is_some()), 0);
                interval
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(camera = %camera.config.id, error = %e, failures, "snapshot failed");
                status.failure(&camera.source_name(), &e.to_string());
                // Back off up to 10 intervals: a dead camera is retried, but not hammered.
                let factor = 2f64.powi(failures.min(10) as i32 - 1).min(10.0);
                interval.mul_f64(factor * rand::rng().random_range(0.9..1.1))
            }
        };
        if sleep_or_stop(next, &mut stop).await {
            return;
        }
    }
}

/// Source name of the fusion task on /healthz.
pub const FUSION_SOURCE: &str = "camera:fusion";

/// Intersects the cameras' bearings into located fires and deposits each as a camera-fire file
/// in `processing/` for the worker. Runs until stopped or until every camera has stopped.
pub async fn fuse(
    mut observations: mpsc::Receiver<Observation>,
    mut fusion: Fusion,
    hold_secs: f64,
    inbox: Arc<Inbox>,
    work: mpsc::Sender<Work>,
    status: Arc<Status>,
    mut stop: watch::Receiver<bool>,
) {
    status.register(FUSION_SOURCE);
    // Held observations are checked often enough that none waits much past its hold time.
    let mut tick =
        tokio::time::interval(Duration::from_secs_f64((hold_secs / 4.0).clamp(0.05, 5.0)));
    loop {
        let out = tokio::select! {
            o = observations.recv() => match o {
                Some(o) => fusion.push(o, Utc::now()),
                None => return,
            },
            _ = tick.tick() => fusion.expire(Utc::now()),
            _ = stop.changed() => return,
        };
        if !deliver(out, &inbox, &work, &status).await {
            return;
        }
    }
}

/// Deposits located fires; false when the worker is gone (shutting down).
async fn deliver(
    out: FusionOutput,
    inbox: &Inbox,
    work: &mpsc::Sender<Work>,
    status: &Status,
) -> bool {
    for u in out.unlocated {
        tracing::warn!(camera = %u.camera, reason = %u.reason, "camera fire not located");
    }
    for fire in out.fires {
        let name = format!(
            "camera-fire_{}_{}.json",
            fire.cameras().join("+"),
            fire.at.format("%Y%m%dT%H%M%S%.3fZ")
        );
        match inbox.deposit(&name, &fire.to_file_json()) {
            Ok(path) => {
                tracing::info!(
                    file = %path.display(),
                    method = ?fire.method,
                    lon = fire.lon,
                    lat = fire.lat,
                    "camera fire located"
                );
                status.success(FUSION_SOURCE, 1, 1);
                let item = Work {
                    path,
                    source: FUSION_SOURCE.to_owned(),
                };
                if work.send(item).await.is_err() {
                    return false;
                }
            }
            Err(e) => status.failure(FUSION_SOURCE, &format!("cannot deposit {name}: {e}")),
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_camera::sim::{self, Credentials, Fault, SimCamera, SimFire, SimWorld};

    fn camera(extra: serde_json::Value) -> CameraConfig {
        let mut c = serde_json::json!({
            "id": "h1", "name": "塔h1", "lon": 116.5, "lat": 35.1, "height_m": 40.0,
            "kind": "visible", "snapshot_url": "http://127.0.0.1:1/picture",
        });
        for (k, v) in extra.as_object().expect("object") {
            c[k] = v.clone();
        }
        serde_json::from_value(c).expect("camera config")
    }

    const STATUS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <PTZStatus version=\"2.0\" xmlns=\"http://www.hikvision.com/ver20/XMLSchema\">\n\
        <AbsoluteHigh><elevation>15</elevation><azimuth>2705</azimuth>\
        <absoluteZoom>40</absoluteZoom></AbsoluteHigh></PTZStatus>\n";

    #[test]
    fn the_pose_format_is_told_by_content() {
        let table = serde_json::json!({ "zoom_fov": [
            { "zoom": 1.0, "hfov_deg": 60.0, "vfov_deg": 34.0 },
            { "zoom": 4.0, "hfov_deg": 16.0, "vfov_deg": 9.0 },
        ]});
        let c = camera(table);
        let p = parse_pose(STATUS, &c).unwrap();
        assert_eq!(
            (p.pan_deg, p.tilt_deg, p.hfov_deg, p.vfov_deg),
            (270.5, -1.5, 16.0, 9.0)
        );
        let json = r#"{"pan_deg": 10.0, "tilt_deg": -0.5, "hfov_deg": 50.0, "vfov_deg": 30.0}"#;
        assert_eq!(parse_pose(json, &c).unwrap().hfov_deg, 50.0);
        // A fixed lens (zoom 1×) without a table takes the preset's field of view; a zoomed
        // camera without one is refused rather than located with the wrong field of view.
        let fixed = camera(serde_json::json!({ "preset": {
            "pan_deg": 0.0, "tilt_deg": 0.0, "hfov_deg": 25.0, "vfov_deg": 19.0 } }));
        let one = STATUS.replace(">40<", ">10<");
        assert_eq!(parse_pose(&one, &fixed).unwrap().hfov_deg, 25.0);
        let e = parse_pose(STATUS, &fixed).unwrap_err();
        assert!(matches!(e, CameraError::Zoom { .. }), "{e}");
        assert!(e.to_string().contains("zoom_fov"), "{e}");
        let e = parse_pose("<PTZStatus><AbsoluteHigh>", &c).unwrap_err();
        assert!(e.to_string().contains("ISAPI PTZ status"), "{e}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_daemon_reads_a_hikvision_pose_and_refuses_broken_xml() {
        let cam = |id: &str| SimCamera {
            id: id.into(),
            lon: 116.52,
            lat: 35.08,
            height_m: 40.0,
            pose: burnwatch_camera::Pose {
                pan_deg: 212.3,
                tilt_deg: -1.2,
                hfov_deg: 16.0,
                vfov_deg: 9.0,
            },
            width: 320,
            height: 240,
            thermal: false,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = sim::serve(
            listener,
            SimWorld {
                fires: vec![SimFire {
                    lon: 116.55,
                    lat: 35.05,
                    width_m: 30.0,
                    flame_height_m: 6.0,
                    temp_k: 900.0,
                }],
                refraction_k: 0.13,
                ground_k: 295.0,
            },
            vec![cam("good"), cam("bad")],
            Credentials {
                username: "burnwatch".into(),
                password: "hik-pass".into(),
            },
        )
        .unwrap();
        server.set_zoom("good", 4.0);
        server.set_zoom("bad", 4.0);
        server.set_fault("bad", Fault::BrokenStatusXml);
        // A variable of its own: no other test reads or sets it.
        std::env::set_var("BW_TEST_ISAPI_POSE_PASSWORD", "hik-pass");
        let config = |id: &str| {
            camera(serde_json::json!({
                "id": id,
                "snapshot_url": server.snapshot_url(id),
                "pose_url": server.isapi_status_url(id),
                "auth": "digest",
                "username": "burnwatch",
                "password_env": "BW_TEST_ISAPI_POSE_PASSWORD",
                "zoom_fov": [{ "zoom": 1.0, "hfov_deg": 58.0, "vfov_deg": 34.0 },
                             { "zoom": 4.0, "hfov_deg": 16.0, "vfov_deg": 9.0 }],
            }))
        };
        let dir = tempfile::tempdir().unwrap();
        let mut good = CameraSource::new(config("good"), dir.path()).unwrap();
        let kept = good.capture().await.unwrap().expect("a new frame");
        let p = kept.meta.pose;
        assert!((p.pan_deg - 212.3).abs() < 1e-9, "{p:?}");
        assert!((p.tilt_deg + 1.2).abs() < 1e-9, "{p:?}");
        assert_eq!((p.hfov_deg, p.vfov_deg), (16.0, 9.0));
        // The sidecar carries the pose read from the XML.
        let sidecar = kept.path.with_extension("json");
        let meta: FrameMeta =
            serde_json::from_str(&std::fs::read_to_string(sidecar).unwrap()).unwrap();
        assert_eq!(meta.pose, p);

        let mut bad = CameraSource::new(config("bad"), dir.path()).unwrap();
        let e = bad.capture().await.unwrap_err();
        assert!(matches!(e, CameraError::PtzStatus(_)), "{e}");
        assert!(e.to_string().contains("not well-formed XML"), "{e}");
        // No frame is kept without a pose.
        assert_eq!(
            std::fs::read_dir(dir.path().join("bad")).unwrap().count(),
            0
        );
    }
}
