//! The daemon's sections: `[server]`, `[inbox]`, `[firms]`, `[[cameras]]`.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address of the HTTP port (`/healthz`, `/metrics`, later the console).
    #[serde(default = "default_listen")]
    pub listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

/// A folder where receiving stations and download jobs drop product files and granules.
/// burnwatch keeps `processing/` and `done/` inside it; rejected files go to
/// `[ingest] quarantine_dir`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxConfig {
    #[serde(default = "default_inbox")]
    pub dir: PathBuf,
    /// How often the folder is scanned, seconds.
    #[serde(default = "default_scan")]
    pub scan_interval_secs: f64,
    /// A file is taken only once its size and modification time have not changed for this
    /// long, so a half-written file is never read, seconds.
    #[serde(default = "default_settle")]
    pub settle_secs: f64,
}

impl Default for InboxConfig {
    fn default() -> Self {
        Self {
            dir: default_inbox(),
            scan_interval_secs: default_scan(),
            settle_secs: default_settle(),
        }
    }
}

fn default_inbox() -> PathBuf {
    PathBuf::from("var/inbox")
}
fn default_scan() -> f64 {
    2.0
}
fn default_settle() -> f64 {
    2.0
}

/// NASA FIRMS area API polling. Absent = not polled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmsConfig {
    #[serde(default = "default_firms_url")]
    pub base_url: String,
    /// The MAP_KEY itself; prefer `map_key_env` so the key stays out of the file.
    pub map_key: Option<String>,
    #[serde(default = "default_map_key_env")]
    pub map_key_env: String,
    /// FIRMS source names: VIIRS_SNPP_NRT, VIIRS_NOAA20_NRT, VIIRS_NOAA21_NRT, MODIS_NRT, …
    pub products: Vec<String>,
    /// west, south, east, north; default: the township layer's extent.
    pub bbox: Option<[f64; 4]>,
    #[serde(default = "default_firms_interval")]
    pub interval_secs: f64,
    /// Days per request (1–5). Each day counts as one transaction against the limit.
    #[serde(default = "default_day_range")]
    pub day_range: u8,
    #[serde(default = "default_firms_timeout")]
    pub timeout_secs: f64,
    /// FIRMS allows 5,000 transactions per 10 minutes per key.
    #[serde(default = "default_transaction_limit")]
    pub transaction_limit: u32,
    #[serde(default = "default_transaction_window")]
    pub transaction_window_secs: f64,
    #[serde(default = "default_retry_min")]
    pub retry_min_secs: f64,
    #[serde(default = "default_retry_max")]
    pub retry_max_secs: f64,
}

fn default_firms_url() -> String {
    "https://firms.modaps.eosdis.nasa.gov".into()
}
fn default_map_key_env() -> String {
    "FIRMS_MAP_KEY".into()
}
fn default_firms_interval() -> f64 {
    600.0
}
fn default_day_range() -> u8 {
    1
}
fn default_firms_timeout() -> f64 {
    60.0
}
fn default_transaction_limit() -> u32 {
    5000
}
fn default_transaction_window() -> f64 {
    600.0
}
fn default_retry_min() -> f64 {
    5.0
}
fn default_retry_max() -> f64 {
    600.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CameraKind {
    Visible,
    Thermal,
    Dual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CameraAuth {
    #[default]
    None,
    Basic,
    Digest,
}

/// A fixed preset: where the camera looks and how wide.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraPreset {
    /// Azimuth of the image centre, degrees clockwise from true north.
    pub pan_deg: f64,
    /// Elevation of the image centre, degrees (negative = looking down).
    pub tilt_deg: f64,
    pub hfov_deg: f64,
    pub vfov_deg: f64,
}

/// A tower camera.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    pub id: String,
    pub name: String,
    /// WGS84 position of the camera.
    pub lon: f64,
    pub lat: f64,
    pub height_m: f64,
    pub kind: CameraKind,
    /// Hikvision `/ISAPI/Streaming/channels/101/picture`, Dahua `/cgi-bin/snapshot.cgi`, …
    pub snapshot_url: String,
    #[serde(default)]
    pub auth: CameraAuth,
    pub username: Option<String>,
    /// Name of the environment variable holding the password.
    pub password_env: Option<String>,
    /// A fixed preset, or…
    pub preset: Option<CameraPreset>,
    /// …a URL answering the live pose: JSON `{pan_deg, tilt_deg, hfov_deg, vfov_deg}`, or
    /// Hikvision ISAPI `/ISAPI/PTZCtrl/channels/1/status` XML (azimuth, elevation, zoom).
    pub pose_url: Option<String>,
    /// The lens' field of view at a few zoom ratios, for a pose answer that gives a zoom (ISAPI):
    /// `[{ zoom = 1.0, hfov_deg = 58.0, vfov_deg = 33.0 }, …]`. Without it the camera is taken
    /// to have a fixed lens whose field of view is the preset's.
    #[serde(default)]
    pub zoom_fov: ZoomFovTable,
    #[serde(default = "default_camera_interval")]
    pub interval_secs: f64,
    #[serde(default = "default_camera_timeout")]
    pub timeout_secs: f64,
    /// Places that are always hot or bright (chimneys, lamps, a factory roof), in the frame's
    /// pixels: nothing found inside raises anything.
    #[serde(default)]
    pub masks: Vec<CameraMask>,
    /// A YOLO-format ONNX model description in `<detect.models_dir>/camera/` (e.g. "flame-yolov8")
    /// for visible frames; without one, visible frames go through the colour rules only.
    pub model: Option<String>,
    /// Accuracy of the pose's pan (bearing) and tilt (elevation), degrees, one sigma.
    #[serde(default = "default_pan_sigma")]
    pub pan_sigma_deg: f64,
    #[serde(default = "default_tilt_sigma")]
    pub tilt_sigma_deg: f64,
    /// Farthest a fire can be told at, km: bearings end here and ranges are capped here.
    #[serde(default = "default_max_range")]
    pub max_range_km: f64,
    /// The frame size the pose was calibrated for, [width, height]: any other size (a sub-stream,
    /// a thumbnail) is refused rather than located wrongly.
    pub frame_size: Option<[u32; 2]>,
    /// 16-bit radiometric frames: kelvin = count × scale + offset (0.01 K per count by default).
    #[serde(default = "default_radiometric_scale")]
    pub radiometric_scale_k: f64,
    #[serde(default)]
    pub radiometric_offset_k: f64,
}

/// One row of a lens' zoom table.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoomFov {
    /// Zoom ratio, 1.0 = the wide end (ISAPI `absoluteZoom` / 10).
    pub zoom: f64,
    pub hfov_deg: f64,
    pub vfov_deg: f64,
}

/// A lens' zoom → field-of-view table, zoom ratios rising. Between rows and beyond them the
/// focal length is taken linear in the zoom ratio (what a zoom ratio is), i.e. 1/tan(fov/2) is
/// interpolated linearly, and scaled in proportion past either end.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(try_from = "Vec<ZoomFov>")]
pub struct ZoomFovTable(Vec<ZoomFov>);

impl TryFrom<Vec<ZoomFov>> for ZoomFovTable {
    type Error = String;

    fn try_from(rows: Vec<ZoomFov>) -> Result<Self, String> {
        for r in &rows {
            if !(r.zoom.is_finite() && r.zoom > 0.0) {
                return Err(format!("zoom_fov: zoom {} is not a positive ratio", r.zoom));
            }
            for fov in [r.hfov_deg, r.vfov_deg] {
                if !(fov > 0.0 && fov < 180.0) {
                    return Err(format!(
                        "zoom_fov: field of view {fov}° at zoom {} is not between 0 and 180°",
                        r.zoom
                    ));
                }
            }
        }
        if rows.windows(2).any(|w| w[1].zoom <= w[0].zoom) {
            return Err("zoom_fov: zoom ratios must rise from row to row".into());
        }
        Ok(Self(rows))
    }
}

impl ZoomFovTable {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (hfov, vfov) in degrees at a zoom ratio; None for an empty table or a zoom ≤ 0.
    pub fn fov_at(&self, zoom: f64) -> Option<(f64, f64)> {
        let rows = &self.0;
        if rows.is_empty() || !(zoom.is_finite() && zoom > 0.0) {
            return None;
        }
        if let Some(r) = rows.iter().find(|r| r.zoom == zoom) {
            return Some((r.hfov_deg, r.vfov_deg));
        }
        // Focal length in units of half the frame: 1/tan(fov/2).
        let k = |fov: f64| 1.0 / (fov.to_radians() / 2.0).tan();
        let fov = |k: f64| 2.0 * (1.0 / k).atan().to_degrees();
        let i = rows.partition_point(|r| r.zoom <= zoom);
        let (kh, kv) = if i == 0 || i == rows.len() {
            let r = rows[i.saturating_sub(1)];
            let s = zoom / r.zoom;
            (k(r.hfov_deg) * s, k(r.vfov_deg) * s)
        } else {
            let (a, b) = (rows[i - 1], rows[i]);
            let t = (zoom - a.zoom) / (b.zoom - a.zoom);
            (
                k(a.hfov_deg) + t * (k(b.hfov_deg) - k(a.hfov_deg)),
                k(a.vfov_deg) + t * (k(b.vfov_deg) - k(a.vfov_deg)),
            )
        };
        Some((fov(kh), fov(kv)))
    }
}

/// An always-hot or always-bright region of one camera's view: a rectangle `[x0, y0, x1, y1]`
/// or a polygon `[[x, y], …]`, in pixels. With `pan_deg`/`tilt_deg` it applies only to frames
/// taken at that pose (±0.5°): at the next preset the chimney is elsewhere in the picture.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraMask {
    pub rect: Option<[f64; 4]>,
    pub polygon: Option<Vec<[f64; 2]>>,
    /// What is there: "chimney", "street lamp", …
    pub reason: Option<String>,
    pub pan_deg: Option<f64>,
    pub tilt_deg: Option<f64>,
}

fn default_pan_sigma() -> f64 {
    0.2
}
fn default_tilt_sigma() -> f64 {
    0.1
}
fn default_max_range() -> f64 {
    20.0
}
fn default_radiometric_scale() -> f64 {
    0.01
}

fn default_camera_interval() -> f64 {
    30.0
}
fn default_camera_timeout() -> f64 {
    10.0
}

/// Where camera frames are kept (one folder per camera), for the camera detector and audit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FramesConfig {
    #[serde(default = "default_frames")]
    pub dir: PathBuf,
    /// Thresholds of the thermal contextual test and of the colour rules: profile names in
    /// `<detect.models_dir>/camera/` (a folder of their own: the satellite profiles are every
    /// `.toml` directly in `models_dir`).
    #[serde(default = "default_thermal_profile")]
    pub thermal_profile: String,
    #[serde(default = "default_colour_profile")]
    pub colour_profile: String,
    /// A digital elevation model (any GDAL raster in lon/lat) for ranging with one camera;
    /// without it the ground is taken as flat at each camera's foot.
    pub dem: Option<PathBuf>,
    #[serde(default)]
    pub fusion: FusionConfig,
}

impl Default for FramesConfig {
    fn default() -> Self {
        Self {
            dir: default_frames(),
            thermal_profile: default_thermal_profile(),
            colour_profile: default_colour_profile(),
            dem: None,
            fusion: FusionConfig::default(),
        }
    }
}

impl FramesConfig {
    pub(crate) fn resolve_paths(&mut self, fix: &dyn Fn(&mut PathBuf)) {
        fix(&mut self.dir);
        if let Some(dem) = &mut self.dem {
            fix(dem);
        }
    }
}

fn default_thermal_profile() -> String {
    "thermal".into()
}
fn default_colour_profile() -> String {
    "colour".into()
}

/// How confirmed camera fires become located fires.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FusionConfig {
    /// Bearings of different cameras this close in time may be intersected, seconds.
    #[serde(default = "default_fusion_window")]
    pub window_secs: f64,
    /// A fire seen by one camera waits this long for a second camera before it is located by
    /// the ground intersection alone, seconds.
    #[serde(default = "default_fusion_hold")]
    pub hold_secs: f64,
    /// Cameras closer than this add no independent bearing, m.
    #[serde(default = "default_min_baseline")]
    pub min_baseline_m: f64,
    /// Bearings crossing at a smaller angle give no usable intersection, degrees.
    #[serde(default = "default_min_angle")]
    pub min_angle_deg: f64,
    /// Terrestrial refraction coefficient (ray curvature over earth curvature).
    #[serde(default = "default_refraction")]
    pub refraction_k: f64,
}

impl Default for FusionConfig {
    fn default() -> Self {
        Self {
            window_secs: default_fusion_window(),
            hold_secs: default_fusion_hold(),
            min_baseline_m: default_min_baseline(),
            min_angle_deg: default_min_angle(),
            refraction_k: default_refraction(),
        }
    }
}

fn default_fusion_window() -> f64 {
    1800.0
}
fn default_fusion_hold() -> f64 {
    120.0
}
fn default_min_baseline() -> f64 {
    100.0
}
fn default_min_angle() -> f64 {
    3.0
}
fn default_refraction() -> f64 {
    0.13
}

fn default_frames() -> PathBuf {
    PathBuf::from("var/frames")
}

#[cfg(test)]
mod camera_tests {
    use super::*;

    const CAMERA: &str = "id = \"t1\"\nname = \"塔1\"\nlon = 116.5\nlat = 35.1\nheight_m = 40\n\
        kind = \"dual\"\nsnapshot_url = \"http://cam/picture\"\n\
        preset = { pan_deg = 90.0, tilt_deg = -1.0, hfov_deg = 50.0, vfov_deg = 30.0 }\n";

    #[test]
    fn camera_masks_and_detection_settings_parse_with_defaults() {
        let c: CameraConfig = toml::from_str(&format!(
            "{CAMERA}model = \"flame-yolov8\"\nframe_size = [1920, 1080]\n\
             masks = [{{ rect = [10, 20, 30, 40], reason = \"chimney\" }},\n\
                      {{ polygon = [[0, 0], [5, 0], [5, 5]], pan_deg = 90.0, tilt_deg = -1.0 }}]\n"
        ))
        .unwrap();
        assert_eq!(c.masks.len(), 2);
        assert_eq!(c.masks[0].rect, Some([10.0, 20.0, 30.0, 40.0]));
        assert_eq!(c.masks[1].pan_deg, Some(90.0));
        assert_eq!(
            (c.pan_sigma_deg, c.tilt_sigma_deg, c.max_range_km),
            (0.2, 0.1, 20.0)
        );
        assert_eq!(c.radiometric_scale_k, 0.01);
        let f: FramesConfig =
            toml::from_str("dem = \"dem.tif\"\n[fusion]\nhold_secs = 30\n").unwrap();
        assert_eq!((f.fusion.hold_secs, f.fusion.min_baseline_m), (30.0, 100.0));
        assert_eq!(f.thermal_profile, "thermal");
    }

    #[test]
    fn misspelt_camera_keys_are_rejected() {
        let e = toml::from_str::<CameraConfig>(&format!(
            "{CAMERA}masks = [{{ rectangle = [1, 2, 3, 4] }}]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("rectangle"), "{e}");
        assert!(toml::from_str::<FramesConfig>("[fusion]\nhold = 3\n").is_err());
    }
}

#[cfg(test)]
mod zoom_tests {
    use super::*;

    fn table(text: &str) -> Result<ZoomFovTable, String> {
        #[derive(Deserialize)]
        struct T {
            zoom_fov: ZoomFovTable,
        }
        toml::from_str::<T>(text)
            .map(|t| t.zoom_fov)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn zoom_table_interpolates_focal_length_and_refuses_nonsense() {
        let t = table(
            "zoom_fov = [{ zoom = 1.0, hfov_deg = 60.0, vfov_deg = 34.0 },\n\
             { zoom = 4.0, hfov_deg = 16.0, vfov_deg = 9.0 }]",
        )
        .unwrap();
        assert_eq!(t.fov_at(1.0), Some((60.0, 34.0)));
        assert_eq!(t.fov_at(4.0), Some((16.0, 9.0)));
        // Just off a row, the interpolation meets it.
        let (h, v) = t.fov_at(4.0 - 1e-9).unwrap();
        assert!((h - 16.0).abs() < 1e-6 && (v - 9.0).abs() < 1e-6, "{h} {v}");
        // Past the long end the focal length grows with the zoom: 8× halves tan(fov/2) of 4×.
        let (h8, _) = t.fov_at(8.0).unwrap();
        let want = 2.0 * (8f64.to_radians().tan() / 2.0).atan().to_degrees();
        assert!((h8 - want).abs() < 1e-9, "{h8} {want}");
        // Between rows: narrower than the wide end, wider than the long end.
        let (h2, _) = t.fov_at(2.0).unwrap();
        assert!(h2 < 60.0 && h2 > 16.0, "{h2}");
        assert_eq!(t.fov_at(0.0), None);
        assert_eq!(ZoomFovTable::default().fov_at(1.0), None);
        let e = table(
            "zoom_fov = [{ zoom = 4.0, hfov_deg = 16.0, vfov_deg = 9.0 },\n\
             { zoom = 1.0, hfov_deg = 60.0, vfov_deg = 34.0 }]",
        )
        .unwrap_err();
        assert!(e.contains("rise"), "{e}");
        let e =
            table("zoom_fov = [{ zoom = 1.0, hfov_deg = 200.0, vfov_deg = 34.0 }]").unwrap_err();
        assert!(e.contains("200"), "{e}");
        let e = table("zoom_fov = [{ zoom = 1.0, hfov = 60.0, vfov_deg = 34.0 }]").unwrap_err();
        assert!(e.contains("hfov"), "{e}");
    }
}
