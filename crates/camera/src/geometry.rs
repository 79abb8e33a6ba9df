//! Camera geometry: pixel ↔ direction with the exact pinhole model (pan and tilt applied), the
//! ground distance at which a ray meets the terrain (earth curvature and refraction, flat or DEM),
//! and ellipsoidal geodesy (Vincenty) to turn a bearing and a distance into lon/lat.
//!
//! Conventions: azimuth in degrees clockwise from true north, elevation in degrees above the
//! horizontal (negative = looking down); pixel (u, v) continuous with (0, 0) at the top-left
//! corner of the top-left pixel, so the image centre is (W/2, H/2).

use serde::{Deserialize, Serialize};

/// WGS84 semi-major axis, m, and flattening.
pub const WGS84_A: f64 = 6_378_137.0;
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Standard terrestrial refraction coefficient (ray curvature / earth curvature).
pub const DEFAULT_REFRACTION_K: f64 = 0.13;

/// Where a camera looks and how wide: the pose of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pose {
    /// Azimuth of the image centre, degrees clockwise from true north.
    pub pan_deg: f64,
    /// Elevation of the image centre, degrees (negative = looking down).
    pub tilt_deg: f64,
    pub hfov_deg: f64,
    pub vfov_deg: f64,
}

/// A direction from the camera.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Direction {
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
}

type V3 = [f64; 3];

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Camera axes in local east-north-up: forward, right, up.
fn axes(pose: &Pose) -> (V3, V3, V3) {
    let (sa, ca) = pose.pan_deg.to_radians().sin_cos();
    let (st, ct) = pose.tilt_deg.to_radians().sin_cos();
    let forward = [sa * ct, ca * ct, st];
    let right = [ca, -sa, 0.0];
    let up = [-sa * st, -ca * st, ct];
    (forward, right, up)
}

/// Focal lengths in pixels from the fields of view: fx = (W/2)/tan(hfov/2).
fn focal(width: u32, height: u32, pose: &Pose) -> (f64, f64) {
    (
        (width as f64 / 2.0) / (pose.hfov_deg.to_radians() / 2.0).tan(),
        (height as f64 / 2.0) / (pose.vfov_deg.to_radians() / 2.0).tan(),
    )
}

/// The direction of pixel (u, v) of a `width`×`height` frame taken with `pose`: the pinhole ray
/// x = (u − W/2)/fx, y = −(v − H/2)/fy rotated by tilt and pan. Unlike the linear approximation
/// pan + hfov·(u/W − ½), this stays exact to the frame's edge and off the horizon.
pub fn pixel_to_direction(u: f64, v: f64, width: u32, height: u32, pose: &Pose) -> Direction {
    let (fx, fy) = focal(width, height, pose);
    let x = (u - width as f64 / 2.0) / fx;
    let y = -(v - height as f64 / 2.0) / fy;
    let (f, r, up) = axes(pose);
    let d = [
        f[0] + x * r[0] + y * up[0],
        f[1] + x * r[1] + y * up[1],
        f[2] + x * r[2] + y * up[2],
    ];
    Direction {
        azimuth_deg: d[0].atan2(d[1]).to_degrees().rem_euclid(360.0),
        elevation_deg: d[2].atan2(d[0].hypot(d[1])).to_degrees(),
    }
}

/// The pixel where a direction appears, or None when it is behind the camera.
pub fn direction_to_pixel(
    dir: Direction,
    width: u32,
    height: u32,
    pose: &Pose,
) -> Option<(f64, f64)> {
    let (sa, ca) = dir.azimuth_deg.to_radians().sin_cos();
    let (se, ce) = dir.elevation_deg.to_radians().sin_cos();
    let d = [sa * ce, ca * ce, se];
    let (f, r, up) = axes(pose);
    let z = dot(d, f);
    if z <= 1e-9 {
        return None;
    }
    let (fx, fy) = focal(width, height, pose);
    Some((
        width as f64 / 2.0 + dot(d, r) / z * fx,
        height as f64 / 2.0 - dot(d, up) / z * fy,
    ))
}

/// Meridional (M) and prime-vertical (N) radii of curvature at a latitude, m.
pub fn radii_of_curvature(lat_deg: f64) -> (f64, f64) {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let s = lat_deg.to_radians().sin();
    let w = 1.0 - e2 * s * s;
    (WGS84_A * (1.0 - e2) / (w * w.sqrt()), WGS84_A / w.sqrt())
}

/// Radius of the earth's normal section along an azimuth (Euler), m: the curvature a line of
/// sight along that azimuth sees.
pub fn section_radius(lat_deg: f64, azimuth_deg: f64) -> f64 {
    let (m, n) = radii_of_curvature(lat_deg);
    let (s, c) = azimuth_deg.to_radians().sin_cos();
    1.0 / (c * c / m + s * s / n)
}

/// Vincenty's direct problem on WGS84: the point `distance_m` from (lon, lat) along the initial
/// azimuth; sub-millimetre at the ranges a camera sees.
pub fn destination(lon_deg: f64, lat_deg: f64, azimuth_deg: f64, distance_m: f64) -> (f64, f64) {
    let (a, f) = (WGS84_A, WGS84_F);
    let b = a * (1.0 - f);
    let alpha1 = azimuth_deg.to_radians();
    let (sin_a1, cos_a1) = alpha1.sin_cos();
    let tan_u1 = (1.0 - f) * lat_deg.to_radians().tan();
    let cos_u1 = 1.0 / (1.0 + tan_u1 * tan_u1).sqrt();
    let sin_u1 = tan_u1 * cos_u1;
    let sigma1 = tan_u1.atan2(cos_a1);
    let sin_alpha = cos_u1 * sin_a1;
    let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
    let u2 = cos2_alpha * (a * a - b * b) / (b * b);
    let big_a = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)));
    let big_b = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)));
    let mut sigma = distance_m / (b * big_a);
    let (mut sin_s, mut cos_s, mut cos_2sm);
    let mut iterations = 0;
    loop {
        cos_2sm = (2.0 * sigma1 + sigma).cos();
        sin_s = sigma.sin();
        cos_s = sigma.cos();
        let delta = big_b
            * sin_s
            * (cos_2sm
                + big_b / 4.0
                    * (cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                        - big_b / 6.0
                            * cos_2sm
                            * (-3.0 + 4.0 * sin_s * sin_s)
                            * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
        let next = distance_m / (b * big_a) + delta;
        iterations += 1;
        if (next - sigma).abs() < 1e-12 || iterations > 200 {
            sigma = next;
            break;
        }
        sigma = next;
    }
    cos_2sm = (2.0 * sigma1 + sigma).cos();
    sin_s = sigma.sin();
    cos_s = sigma.cos();
    let tmp = sin_u1 * sin_s - cos_u1 * cos_s * cos_a1;
    let lat2 = (sin_u1 * cos_s + cos_u1 * sin_s * cos_a1)
        .atan2((1.0 - f) * (sin_alpha * sin_alpha + tmp * tmp).sqrt());
    let lambda = (sin_s * sin_a1).atan2(cos_u1 * cos_s - sin_u1 * sin_s * cos_a1);
    let c = f / 16.0 * cos2_alpha * (4.0 + f * (4.0 - 3.0 * cos2_alpha));
    let l = lambda
        - (1.0 - c)
            * f
            * sin_alpha
            * (sigma + c * sin_s * (cos_2sm + c * cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
    let lon2 = (lon_deg.to_radians() + l).to_degrees();
    ((lon2 + 540.0).rem_euclid(360.0) - 180.0, lat2.to_degrees())
}

/// Vincenty's inverse problem on WGS84: (distance m, initial azimuth °, final azimuth °) from
/// point 1 to point 2. Points closer than a millimetre give (0, 0, 0).
pub fn inverse(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> (f64, f64, f64) {
    let (a, f) = (WGS84_A, WGS84_F);
    let b = a * (1.0 - f);
    let l = (lon2 - lon1).to_radians();
    let u1 = ((1.0 - f) * lat1.to_radians().tan()).atan();
    let u2 = ((1.0 - f) * lat2.to_radians().tan()).atan();
    let (sin_u1, cos_u1) = u1.sin_cos();
    let (sin_u2, cos_u2) = u2.sin_cos();
    let mut lambda = l;
    let (mut sin_s, mut cos_s, mut sigma, mut cos2_alpha, mut cos_2sm);
    let mut iterations = 0;
    loop {
        let (sin_l, cos_l) = lambda.sin_cos();
        let t1 = cos_u2 * sin_l;
        let t2 = cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_l;
        sin_s = (t1 * t1 + t2 * t2).sqrt();
        if sin_s < 1e-15 {
            return (0.0, 0.0, 0.0);
        }
        cos_s = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_l;
        sigma = sin_s.atan2(cos_s);
        let sin_alpha = cos_u1 * cos_u2 * sin_l / sin_s;
        cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        cos_2sm = if cos2_alpha.abs() > 1e-15 {
            cos_s - 2.0 * sin_u1 * sin_u2 / cos2_alpha
        } else {
            0.0
        };
        let c = f / 16.0 * cos2_alpha * (4.0 + f * (4.0 - 3.0 * cos2_alpha));
        let prev = lambda;
        lambda = l
            + (1.0 - c)
                * f
                * sin_alpha
                * (sigma + c * sin_s * (cos_2sm + c * cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        iterations += 1;
        if (lambda - prev).abs() < 1e-13 || iterations > 200 {
            break;
        }
    }
    let u2sq = cos2_alpha * (a * a - b * b) / (b * b);
    let big_a = 1.0 + u2sq / 16384.0 * (4096.0 + u2sq * (-768.0 + u2sq * (320.0 - 175.0 * u2sq)));
    let big_b = u2sq / 1024.0 * (256.0 + u2sq * (-128.0 + u2sq * (74.0 - 47.0 * u2sq)));
    let delta = big_b
        * sin_s
        * (cos_2sm
            + big_b / 4.0
                * (cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                    - big_b / 6.0
                        * cos_2sm
                        * (-3.0 + 4.0 * sin_s * sin_s)
                        * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
    let s = b * big_a * (sigma - delta);
    let (sin_l, cos_l) = lambda.sin_cos();
    let az1 = (cos_u2 * sin_l).atan2(cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_l);
    let az2 = (cos_u1 * sin_l).atan2(-sin_u1 * cos_u2 + cos_u1 * sin_u2 * cos_l);
    (
        s,
        az1.to_degrees().rem_euclid(360.0),
        az2.to_degrees().rem_euclid(360.0),
    )
}

/// Why a ray gives no ground point.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum RangeError {
    #[error("the ray at {elevation_deg:.3}° elevation does not reach the ground (it is above the horizon)")]
    AboveHorizon { elevation_deg: f64 },
    #[error("the ray meets the ground beyond the {max_range_m:.0} m the camera can see")]
    BeyondRange { max_range_m: f64 },
    #[error("the terrain model has no height at {distance_m:.0} m along the ray")]
    NoTerrain { distance_m: f64 },
}

/// The earth a line of sight crosses: refraction bends the ray down, which is the same as a
/// straight ray over an earth of radius R/(1 − k).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Earth {
    /// Radius of the normal section along the ray's azimuth, m.
    pub radius_m: f64,
    pub refraction_k: f64,
}

impl Earth {
    pub fn along(lat_deg: f64, azimuth_deg: f64, refraction_k: f64) -> Self {
        Self {
            radius_m: section_radius(lat_deg, azimuth_deg),
            refraction_k,
        }
    }

    fn effective_radius(&self) -> f64 {
        self.radius_m / (1.0 - self.refraction_k)
    }

    /// Height of the ray above the reference surface at ground distance `s`, for a ray leaving
    /// height `h0` with elevation `el` (radians): in polar form a straight line is
    /// r(φ) = (R'+h0)·cos ε / cos(φ + ε). None past the ray's tangent-to-vertical point.
    pub fn ray_height(&self, h0: f64, el: f64, s: f64) -> Option<f64> {
        let r = self.effective_radius();
        let c = (s / r + el).cos();
        (c > 1e-9).then(|| (r + h0) * el.cos() / c - r)
    }

    /// Ground distance where the ray from height `h0` (above a flat reference surface at height
    /// 0, e.g. the camera's own ground) with elevation `el_deg` meets that surface: closed form,
    /// cos(φ + ε) = (R'+h0)·cos ε / R'.
    pub fn flat_range(&self, h0: f64, el_deg: f64, max_range_m: f64) -> Result<f64, RangeError> {
        let r = self.effective_radius();
        let el = el_deg.to_radians();
        let arg = (r + h0) * el.cos() / r;
        if el >= 0.0 || arg >= 1.0 {
            return Err(RangeError::AboveHorizon {
                elevation_deg: el_deg,
            });
        }
        // The first crossing, still descending: φ + ε = −acos(arg).
        let s = r * (-el - arg.acos());
        if s > max_range_m {
            return Err(RangeError::BeyondRange { max_range_m });
        }
        Ok(s)
    }

    /// Elevation (degrees) under which a point at ground distance `s` and height `z` is seen from
    /// height `h0`: the inverse of [`Earth::flat_range`] and [`Earth::terrain_range`],
    /// tan ε = (r·cos φ − (R'+h0)) / (r·sin φ) with r = R' + z, φ = s/R'.
    pub fn elevation_to(&self, h0: f64, s: f64, z: f64) -> f64 {
        let big_r = self.effective_radius();
        let phi = s / big_r;
        let r = big_r + z;
        (r * phi.cos() - (big_r + h0))
            .atan2(r * phi.sin())
            .to_degrees()
    }

    /// Ground distance where the ray meets a terrain of height `terrain(s)` (same datum as `h0`),
    /// marching in `step_m` steps and then bisecting to a centimetre: the first crossing is the
    /// one seen, so a ridge hides what lies behind it.
    pub fn terrain_range(
        &self,
        h0: f64,
        el_deg: f64,
        max_range_m: f64,
        step_m: f64,
        terrain: &dyn Fn(f64) -> Option<f64>,
    ) -> Result<f64, RangeError> {
        let el = el_deg.to_radians();
        let above = |s: f64| -> Result<Option<f64>, RangeError> {
            let z = terrain(s).ok_or(RangeError::NoTerrain { distance_m: s })?;
            Ok(self.ray_height(h0, el, s).map(|h| h - z))
        };
        let mut prev = 0.0;
        let mut s = step_m.min(max_range_m);
        loop {
            match above(s)? {
                Some(d) if d > 0.0 => {}
                // Below the terrain (or past the vertical, which only a ray looking down reaches
                // after hitting the ground): bisect between the last point above and here.
                _ => {
                    let (mut lo, mut hi) = (prev, s);
                    while hi - lo > 0.01 {
                        let mid = 0.5 * (lo + hi);
                        match above(mid)? {
                            Some(d) if d > 0.0 => lo = mid,
                            _ => hi = mid,
                        }
                    }
                    return Ok(0.5 * (lo + hi));
                }
            }
            if s >= max_range_m {
                return Err(if el >= 0.0 {
                    RangeError::AboveHorizon {
                        elevation_deg: el_deg,
                    }
                } else {
                    RangeError::BeyondRange { max_range_m }
                });
            }
            prev = s;
            s = (s + step_m).min(max_range_m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pose() -> Pose {
        Pose {
            pan_deg: 135.0,
            tilt_deg: -2.0,
            hfov_deg: 54.0,
            vfov_deg: 31.0,
        }
    }

    #[test]
    fn pixel_and_direction_round_trip_to_the_frame_edges() {
        let p = pose();
        for &(u, v) in &[(0.0, 0.0), (960.0, 540.0), (1919.5, 3.0), (12.0, 1079.0)] {
            let d = pixel_to_direction(u, v, 1920, 1080, &p);
            let (u2, v2) = direction_to_pixel(d, 1920, 1080, &p).unwrap();
            assert!(
                (u - u2).abs() < 1e-7 && (v - v2).abs() < 1e-7,
                "{u},{v} → {u2},{v2}"
            );
        }
        let c = pixel_to_direction(960.0, 540.0, 1920, 1080, &p);
        assert!((c.azimuth_deg - 135.0).abs() < 1e-9 && (c.elevation_deg + 2.0).abs() < 1e-9);
    }

    #[test]
    fn the_linear_approximation_is_off_at_the_edge_and_atan_is_not() {
        // Level camera, 54° lens: the edge pixel is exactly hfov/2 off axis; a pixel a quarter
        // of the way is atan(tan(27°)/2) = 14.3°, not 13.5° (the linear guess).
        let p = Pose {
            pan_deg: 0.0,
            tilt_deg: 0.0,
            hfov_deg: 54.0,
            vfov_deg: 31.0,
        };
        let edge = pixel_to_direction(1920.0, 540.0, 1920, 1080, &p);
        assert!((edge.azimuth_deg - 27.0).abs() < 1e-9);
        let quarter = pixel_to_direction(1440.0, 540.0, 1920, 1080, &p);
        let exact = (27f64.to_radians().tan() / 2.0).atan().to_degrees();
        assert!((quarter.azimuth_deg - exact).abs() < 1e-9);
        assert!((quarter.azimuth_deg - 13.5).abs() > 0.7);
    }

    #[test]
    fn vincenty_direct_and_inverse_agree() {
        let (lon, lat) = destination(116.5, 35.1, 37.0, 12_345.678);
        let (s, az, _) = inverse(116.5, 35.1, lon, lat);
        assert!((s - 12_345.678).abs() < 1e-4, "{s}");
        assert!((az - 37.0).abs() < 1e-8, "{az}");
        // One degree of latitude at 35° is 110.95 km on WGS84.
        let (s, _, _) = inverse(116.0, 34.5, 116.0, 35.5);
        assert!((s - 110_950.0).abs() < 30.0, "{s}");
    }

    #[test]
    fn flat_range_inverts_the_elevation_with_curvature_and_refraction() {
        let e = Earth::along(35.1, 80.0, DEFAULT_REFRACTION_K);
        for &s in &[300.0, 2_000.0, 8_000.0, 19_000.0] {
            let el = e.elevation_to(45.0, s, 0.0);
            let back = e.flat_range(45.0, el, 30_000.0).unwrap();
            assert!((back - s).abs() < 1e-3, "{s} → {back}");
        }
        // The curvature drop s²(1−k)/2R at 10 km is about 6.8 m: the ray must dip that much more.
        let flat_el = (-45f64 / 10_000.0).atan().to_degrees();
        let el = e.elevation_to(45.0, 10_000.0, 0.0);
        let drop = ((flat_el - el).to_radians()) * 10_000.0;
        let expected = 10_000f64.powi(2) * (1.0 - DEFAULT_REFRACTION_K) / (2.0 * e.radius_m);
        assert!((drop - expected).abs() < 0.05, "{drop} vs {expected}");
        assert!(matches!(
            e.flat_range(45.0, 0.5, 30_000.0),
            Err(RangeError::AboveHorizon { .. })
        ));
        assert!(matches!(
            e.flat_range(45.0, e.elevation_to(45.0, 25_000.0, 0.0), 20_000.0),
            Err(RangeError::BeyondRange { .. })
        ));
    }

    #[test]
    fn terrain_range_stops_at_the_first_ridge() {
        let e = Earth::along(35.1, 0.0, DEFAULT_REFRACTION_K);
        // A 30 m ridge between 3 and 3.2 km hides the flat ground the ray would reach at 6 km.
        let el = e.elevation_to(40.0, 6_000.0, 0.0);
        let ridge = |s: f64| {
            Some(if (3_000.0..3_200.0).contains(&s) {
                30.0
            } else {
                0.0
            })
        };
        let flat = |_s: f64| Some(0.0);
        let on_flat = e.terrain_range(40.0, el, 20_000.0, 25.0, &flat).unwrap();
        assert!((on_flat - 6_000.0).abs() < 0.05, "{on_flat}");
        let hit = e.terrain_range(40.0, el, 20_000.0, 25.0, &ridge).unwrap();
        assert!((2_999.9..3_000.1).contains(&hit), "{hit}");
    }
}
