//! From a confirmed box to a bearing and, with one camera, a ground point: the box's bottom
//! centre (where a flame or a plume meets the ground) through the pinhole model, then the ray to
//! the ground with curvature and refraction (and the DEM when configured). The range is badly
//! conditioned — 0.1° of tilt at 50 m height is about a kilometre at 5 km — so the estimate
//! carries its interval: the reported point is the middle of what ±2σ of elevation allows.

use crate::boxes::{FireClass, FrameBox};
use crate::dem::Dem;
use crate::geometry::{destination, pixel_to_direction, Earth, Pose, RangeError};
use burnwatch_core::daemon_config::CameraConfig;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where a camera stands and how well its pose is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraSite {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    /// Height of the lens above the ground at the camera's foot, m.
    pub height_m: f64,
    pub pan_sigma_deg: f64,
    pub tilt_sigma_deg: f64,
    pub max_range_m: f64,
}

impl From<&CameraConfig> for CameraSite {
    fn from(c: &CameraConfig) -> Self {
        Self {
            id: c.id.clone(),
            lon: c.lon,
            lat: c.lat,
            height_m: c.height_m,
            pan_sigma_deg: c.pan_sigma_deg,
            tilt_sigma_deg: c.tilt_sigma_deg,
            max_range_m: c.max_range_km * 1000.0,
        }
    }
}

/// One camera's ground estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroundEstimate {
    /// Distance at the measured elevation, m.
    pub nominal_m: f64,
    /// What elevation ±2σ allows, m (the far end capped at the camera's range).
    pub near_m: f64,
    pub far_m: f64,
    /// The middle of [near, far] along the bearing: the point whose search radius covers it.
    pub lon: f64,
    pub lat: f64,
    /// Full extents of the area to search: along the bearing and across it at the far end, km.
    pub along_km: f64,
    pub across_km: f64,
}

/// A confirmed fire in one camera's frame, as a bearing (and, where the ray meets the ground
/// within range, a ground estimate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub camera: CameraSite,
    pub at: DateTime<Utc>,
    pub frame_sha256: String,
    pub class: FireClass,
    pub score: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_temp_k: Option<f32>,
    pub pose: Pose,
    pub frame_size: [u32; 2],
    pub pixel_box: [f32; 4],
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
    /// One-sigma bearing and elevation accuracy: the pose's, plus where in the box the fire is.
    pub sigma_az_deg: f64,
    pub sigma_el_deg: f64,
    pub ground: Option<GroundEstimate>,
    /// Why there is no ground estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground_error: Option<String>,
}

/// Turns boxes into observations for one camera.
#[derive(Debug, Clone)]
pub struct Geolocator {
    pub refraction_k: f64,
    pub dem: Option<Arc<Dem>>,
}

impl Geolocator {
    /// Ground distance along azimuth `az` for elevation `el` from `site`.
    pub fn range(&self, site: &CameraSite, az: f64, el: f64) -> Result<f64, RangeError> {
        let earth = Earth::along(site.lat, az, self.refraction_k);
        match &self.dem {
            None => earth.flat_range(site.height_m, el, site.max_range_m),
            Some(dem) => {
                let foot = dem
                    .height(site.lon, site.lat)
                    .ok_or(RangeError::NoTerrain { distance_m: 0.0 })?;
                let terrain = |s: f64| {
                    let (lon, lat) = destination(site.lon, site.lat, az, s);
                    dem.height(lon, lat)
                };
                let step = (dem.pixel_m() / 2.0).clamp(5.0, 50.0);
                earth.terrain_range(foot + site.height_m, el, site.max_range_m, step, &terrain)
            }
        }
    }

    /// The observation of one confirmed box.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &self,
        site: &CameraSite,
        at: DateTime<Utc>,
        frame_sha256: &str,
        pose: Pose,
        (width, height): (u32, u32),
        b: &FrameBox,
    ) -> Observation {
        let cx = 0.5 * (b.x0 + b.x1) as f64;
        // The bottom edge is where the fire meets the ground; the bottom pixel's centre.
        let bottom = (b.y1 as f64 - 0.5).max(b.y0 as f64);
        let dir = pixel_to_direction(cx, bottom, width, height, &pose);
        let deg_per_px_x = pose.hfov_deg / width as f64;
        let deg_per_px_y = pose.vfov_deg / height as f64;
        // The fire may be anywhere across the box (uniform: width/√12); its foot is known to a
        // pixel for a flame, to the plume's height for smoke, whose base may be hidden.
        let bw = (b.x1 - b.x0) as f64 * deg_per_px_x;
        let bh = match b.class {
            FireClass::Fire => deg_per_px_y,
            FireClass::Smoke => (b.y1 - b.y0) as f64 * deg_per_px_y,
        };
        let sigma_az = (site.pan_sigma_deg.powi(2) + bw * bw / 12.0).sqrt();
        let sigma_el = (site.tilt_sigma_deg.powi(2) + bh * bh / 12.0).sqrt();
        let (ground, ground_error) =
            match self.ground(site, dir.azimuth_deg, dir.elevation_deg, sigma_az, sigma_el) {
                Ok(g) => (Some(g), None),
                Err(e) => (None, Some(e.to_string())),
            };
        Observation {
            camera: site.clone(),
            at,
            frame_sha256: frame_sha256.to_owned(),
            class: b.class,
            score: b.score,
            max_temp_k: b.max_temp_k,
            pose,
            frame_size: [width, height],
            pixel_box: [b.x0, b.y0, b.x1, b.y1],
            azimuth_deg: dir.azimuth_deg,
            elevation_deg: dir.elevation_deg,
            sigma_az_deg: sigma_az,
            sigma_el_deg: sigma_el,
            ground,
            ground_error,
        }
    }

    fn ground(
        &self,
        site: &CameraSite,
        az: f64,
        el: f64,
        sigma_az: f64,
        sigma_el: f64,
    ) -> Result<GroundEstimate, RangeError> {
        let nominal = self.range(site, az, el)?;
        // Steeper is nearer; a shallower ray may miss the ground within range: then the far
        // end is the range limit.
        let near = self
            .range(site, az, el - 2.0 * sigma_el)
            .unwrap_or(nominal)
            .min(nominal);
        let far = match self.range(site, az, el + 2.0 * sigma_el) {
            Ok(f) => f.max(nominal),
            Err(_) => site.max_range_m,
        };
        let mid = 0.5 * (near + far);
        let (lon, lat) = destination(site.lon, site.lat, az, mid);
        let across = 2.0 * far * (2.0 * sigma_az).to_radians().tan();
        Ok(GroundEstimate {
            nominal_m: nominal,
            near_m: near,
            far_m: far,
            lon,
            lat,
            along_km: (far - near) / 1000.0,
            across_km: across / 1000.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{direction_to_pixel, inverse, Direction, WGS84_A, WGS84_F};

    fn site() -> CameraSite {
        CameraSite {
            id: "a".into(),
            lon: 116.52,
            lat: 35.08,
            height_m: 45.0,
            pan_sigma_deg: 0.2,
            tilt_sigma_deg: 0.1,
            max_range_m: 20_000.0,
        }
    }

    /// Geodetic → ECEF.
    fn ecef(lon: f64, lat: f64, h: f64) -> [f64; 3] {
        let e2 = WGS84_F * (2.0 - WGS84_F);
        let (sl, cl) = lat.to_radians().sin_cos();
        let (so, co) = lon.to_radians().sin_cos();
        let n = WGS84_A / (1.0 - e2 * sl * sl).sqrt();
        [
            (n + h) * cl * co,
            (n + h) * cl * so,
            (n * (1.0 - e2) + h) * sl,
        ]
    }

    /// Azimuth and elevation of the straight line from (lon, lat, h) to a target, in the local
    /// east-north-up frame: an independent ground truth (3-D vectors, no spherical model).
    fn look(lon: f64, lat: f64, h: f64, target: [f64; 3]) -> Direction {
        let c = ecef(lon, lat, h);
        let d = [target[0] - c[0], target[1] - c[1], target[2] - c[2]];
        let (sl, cl) = lat.to_radians().sin_cos();
        let (so, co) = lon.to_radians().sin_cos();
        let e = -so * d[0] + co * d[1];
        let n = -sl * co * d[0] - sl * so * d[1] + cl * d[2];
        let u = cl * co * d[0] + cl * so * d[1] + sl * d[2];
        Direction {
            azimuth_deg: e.atan2(n).to_degrees().rem_euclid(360.0),
            elevation_deg: u.atan2(e.hypot(n)).to_degrees(),
        }
    }

    #[test]
    fn pixel_to_bearing_to_ground_lands_within_a_metre_of_the_truth() {
        // Without refraction the line of sight is straight, so the ECEF vector from the lens to
        // a point on the ellipsoid gives the exact pixel; the inverse path (pinhole → Earth
        // section radius → Vincenty) must land on that point.
        let s = site();
        let geo = Geolocator {
            refraction_k: 0.0,
            dem: None,
        };
        let pose = Pose {
            pan_deg: 120.0,
            tilt_deg: -1.5,
            hfov_deg: 54.0,
            vfov_deg: 31.0,
        };
        for &(az, dist) in &[
            (120.0, 1_500.0),
            (100.0, 4_000.0),
            (141.0, 9_000.0),
            (125.0, 16_000.0),
        ] {
            let truth = destination(s.lon, s.lat, az, dist);
            let dir = look(s.lon, s.lat, s.height_m, ecef(truth.0, truth.1, 0.0));
            let (u, v) = direction_to_pixel(dir, 1920, 1080, &pose).unwrap();
            assert!(
                (0.0..1920.0).contains(&u) && (0.0..1080.0).contains(&v),
                "{u},{v}"
            );
            let back = pixel_to_direction(u, v, 1920, 1080, &pose);
            let range = geo.range(&s, back.azimuth_deg, back.elevation_deg).unwrap();
            let found = destination(s.lon, s.lat, back.azimuth_deg, range);
            let (miss, _, _) = inverse(truth.0, truth.1, found.0, found.1);
            assert!(miss < 1.0, "at {dist} m: {miss} m off");
        }
    }

    #[test]
    fn the_search_area_covers_what_the_elevation_error_allows() {
        let s = site();
        let geo = Geolocator {
            refraction_k: 0.13,
            dem: None,
        };
        let pose = Pose {
            pan_deg: 90.0,
            tilt_deg: -0.5,
            hfov_deg: 54.0,
            vfov_deg: 31.0,
        };
        let b = FrameBox {
            class: FireClass::Fire,
            x0: 950.0,
            y0: 530.0,
            x1: 970.0,
            y1: 548.0,
            score: 0.8,
            max_temp_k: None,
        };
        let o = geo.observe(&s, Utc::now(), "ab", pose, (1920, 1080), &b);
        let g = o.ground.expect("the ray meets the ground");
        assert!(g.near_m < g.nominal_m && g.nominal_m < g.far_m);
        // 0.1° of tilt at 45 m: kilometres of range at a few km — the interval must show it.
        assert!(g.nominal_m > 3_000.0 && g.along_km > 1.0, "{g:?}");
        let (d, _, _) = inverse(s.lon, s.lat, g.lon, g.lat);
        assert!((d - 0.5 * (g.near_m + g.far_m)).abs() < 0.01);
        // A box above the horizon gives a bearing only.
        let sky = FrameBox {
            y0: 100.0,
            y1: 120.0,
            ..b
        };
        let o = geo.observe(&s, Utc::now(), "ab", pose, (1920, 1080), &sky);
        assert!(o.ground.is_none() && o.ground_error.unwrap().contains("horizon"));
    }

    #[test]
    fn a_hill_in_the_dem_shortens_the_range() {
        let s = site();
        let flat = Geolocator {
            refraction_k: 0.13,
            dem: None,
        };
        // 0.001° grid around the camera, flat at 40 m, with a 60 m rise 2–3 km east.
        let (cols, rows) = (400, 200);
        let gt = [116.40, 0.001, 0.0, 35.18, 0.0, -0.001];
        let heights = (0..cols * rows)
            .map(|i| {
                let lon = gt[0] + ((i % cols) as f64 + 0.5) * gt[1];
                let (d, _, _) = inverse(s.lon, s.lat, lon, s.lat);
                if lon > s.lon && (2_000.0..3_000.0).contains(&d) {
                    100.0
                } else {
                    40.0
                }
            })
            .collect();
        let dem = Geolocator {
            refraction_k: 0.13,
            dem: Some(Arc::new(Dem::from_grid(gt, cols, rows, heights))),
        };
        let el = -0.35;
        let far = flat.range(&s, 90.0, el).unwrap();
        let near = dem.range(&s, 90.0, el).unwrap();
        assert!(far > 5_000.0, "{far}");
        assert!((1_900.0..2_100.0).contains(&near), "{near}");
    }
}
