//! Two or more bearings to one fire: the weighted least-squares intersection on the ellipsoid.
//! A planar solution starts Gauss–Newton on the true geodesic azimuths (so meridian convergence
//! between cameras kilometres apart costs nothing); the covariance (JᵀWJ)⁻¹ gives the
//! uncertainty, which for two bearings is the familiar r·σ/sin γ: wide where they cross at a
//! shallow angle.

use crate::geometry::{destination, inverse};

/// A bearing from a camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bearing {
    pub lon: f64,
    pub lat: f64,
    pub azimuth_deg: f64,
    /// One-sigma accuracy of the azimuth, degrees.
    pub sigma_deg: f64,
    pub max_range_m: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Intersection {
    pub lon: f64,
    pub lat: f64,
    /// Distance from each camera, m.
    pub ranges_m: Vec<f64>,
    /// The widest crossing angle between two of the bearings, degrees (0–90): 90 is ideal.
    pub angle_deg: f64,
    /// One-sigma semi-axes of the error ellipse, m, and the major axis' azimuth.
    pub sigma_major_m: f64,
    pub sigma_minor_m: f64,
    pub major_azimuth_deg: f64,
    /// Each bearing's miss, degrees.
    pub residuals_deg: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TriangulationError {
    #[error("need at least two bearings, got {0}")]
    TooFew(usize),
    #[error("the bearings cross at only {angle_deg:.2}° (< {min_deg}°): no usable intersection")]
    Shallow { angle_deg: f64, min_deg: f64 },
    #[error("the bearings meet behind camera {0}")]
    Behind(usize),
    #[error("the intersection is {range_m:.0} m from camera {camera}, beyond its {max_m:.0} m")]
    BeyondRange {
        camera: usize,
        range_m: f64,
        max_m: f64,
    },
    #[error("bearing {camera} misses the intersection by {miss_deg:.2}°: not the same fire")]
    Inconsistent { camera: usize, miss_deg: f64 },
}

fn wrap_deg(a: f64) -> f64 {
    (a + 540.0).rem_euclid(360.0) - 180.0
}

/// Angle between two lines of the given azimuths, folded to 0–90°.
pub fn crossing_angle(az1: f64, az2: f64) -> f64 {
    let d = wrap_deg(az1 - az2).abs();
    if d > 90.0 {
        180.0 - d
    } else {
        d
    }
}

/// Solves the 2×2 system [[a, b], [b, c]]·x = r; None when singular.
fn solve2(a: f64, b: f64, c: f64, r: [f64; 2]) -> Option<[f64; 2]> {
    let det = a * c - b * b;
    if det.abs() < 1e-18 * (a * c).abs().max(1e-300) || det == 0.0 {
        return None;
    }
    Some([(c * r[0] - b * r[1]) / det, (a * r[1] - b * r[0]) / det])
}

/// How far (in σ) a bearing may miss the solution before it is taken for another fire.
const CONSISTENCY_SIGMAS: f64 = 5.0;

pub fn triangulate(
    bearings: &[Bearing],
    min_angle_deg: f64,
) -> Result<Intersection, TriangulationError> {
    if bearings.len() < 2 {
        return Err(TriangulationError::TooFew(bearings.len()));
    }
    // Planar start: cameras on an azimuthal-equidistant plane around the first one.
    let o = bearings[0];
    let (mut a, mut b, mut c, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for bg in bearings {
        let (d, az, _) = inverse(o.lon, o.lat, bg.lon, bg.lat);
        let p = [d * az.to_radians().sin(), d * az.to_radians().cos()];
        let t = bg.azimuth_deg.to_radians();
        let n = [t.cos(), -t.sin()];
        let w = 1.0 / bg.sigma_deg.to_radians().powi(2);
        let k = n[0] * p[0] + n[1] * p[1];
        a += w * n[0] * n[0];
        b += w * n[0] * n[1];
        c += w * n[1] * n[1];
        r0 += w * n[0] * k;
        r1 += w * n[1] * k;
    }
    let best_angle = {
        let mut best: f64 = 0.0;
        for i in 0..bearings.len() {
            for j in i + 1..bearings.len() {
                best = best.max(crossing_angle(
                    bearings[i].azimuth_deg,
                    bearings[j].azimuth_deg,
                ));
            }
        }
        best
    };
    if best_angle < min_angle_deg {
        return Err(TriangulationError::Shallow {
            angle_deg: best_angle,
            min_deg: min_angle_deg,
        });
    }
    let [e, n] = solve2(a, b, c, [r0, r1]).ok_or(TriangulationError::Shallow {
        angle_deg: best_angle,
        min_deg: min_angle_deg,
    })?;
    // A solution behind a camera is no fire of its bearing; on the plane this is a sign test.
    for (i, bg) in bearings.iter().enumerate() {
        let (d, az, _) = inverse(o.lon, o.lat, bg.lon, bg.lat);
        let p = [d * az.to_radians().sin(), d * az.to_radians().cos()];
        let t = bg.azimuth_deg.to_radians();
        if (e - p[0]) * t.sin() + (n - p[1]) * t.cos() <= 0.0 {
            return Err(TriangulationError::Behind(i));
        }
    }
    let dist = e.hypot(n);
    let (mut lon, mut lat) = destination(o.lon, o.lat, e.atan2(n).to_degrees(), dist);

    // Gauss–Newton on the geodesic azimuths, in metres east/north of the current point.
    let mut cov = [0.0; 3];
    for _ in 0..20 {
        let (e1, n1) = (
            destination(lon, lat, 90.0, 1.0),
            destination(lon, lat, 0.0, 1.0),
        );
        let (mut a, mut b, mut c, mut g0, mut g1) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for bg in bearings {
            let az = inverse(bg.lon, bg.lat, lon, lat).1;
            let res = wrap_deg(az - bg.azimuth_deg).to_radians();
            let je = wrap_deg(inverse(bg.lon, bg.lat, e1.0, e1.1).1 - az).to_radians();
            let jn = wrap_deg(inverse(bg.lon, bg.lat, n1.0, n1.1).1 - az).to_radians();
            let w = 1.0 / bg.sigma_deg.to_radians().powi(2);
            a += w * je * je;
            b += w * je * jn;
            c += w * jn * jn;
            g0 += w * je * res;
            g1 += w * jn * res;
        }
        let Some([de, dn]) = solve2(a, b, c, [-g0, -g1]) else {
            break;
        };
        let det = a * c - b * b;
        cov = [c / det, -b / det, a / det];
        let step = de.hypot(dn);
        if step > 0.0 {
            (lon, lat) = destination(lon, lat, de.atan2(dn).to_degrees(), step);
        }
        if step < 1e-4 {
            break;
        }
    }

    let mut ranges = Vec::with_capacity(bearings.len());
    let mut residuals = Vec::with_capacity(bearings.len());
    for (i, bg) in bearings.iter().enumerate() {
        let (d, az, _) = inverse(bg.lon, bg.lat, lon, lat);
        let miss = wrap_deg(az - bg.azimuth_deg);
        if miss.abs() > 90.0 {
            return Err(TriangulationError::Behind(i));
        }
        if miss.abs() > CONSISTENCY_SIGMAS * bg.sigma_deg + 0.5 {
            return Err(TriangulationError::Inconsistent {
                camera: i,
                miss_deg: miss,
            });
        }
        if d > bg.max_range_m {
            return Err(TriangulationError::BeyondRange {
                camera: i,
                range_m: d,
                max_m: bg.max_range_m,
            });
        }
        ranges.push(d);
        residuals.push(miss);
    }
    // Eigen-decomposition of the 2×2 covariance [[ee, en], [en, nn]].
    let [ee, en, nn] = cov;
    let tr = ee + nn;
    let disc = ((ee - nn).powi(2) / 4.0 + en * en).sqrt();
    let (l1, l2) = (tr / 2.0 + disc, (tr / 2.0 - disc).max(0.0));
    let major = 0.5 * (2.0 * en).atan2(ee - nn);
    Ok(Intersection {
        lon,
        lat,
        ranges_m: ranges,
        angle_deg: best_angle,
        sigma_major_m: l1.sqrt(),
        sigma_minor_m: l2.sqrt(),
        // atan2 gave the angle from east; azimuths count from north.
        major_azimuth_deg: (90.0 - major.to_degrees()).rem_euclid(180.0),
        residuals_deg: residuals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn bearing_to(cam: (f64, f64), fire: (f64, f64), noise_deg: f64) -> Bearing {
        Bearing {
            lon: cam.0,
            lat: cam.1,
            azimuth_deg: inverse(cam.0, cam.1, fire.0, fire.1).1 + noise_deg,
            sigma_deg: 0.3,
            max_range_m: 30_000.0,
        }
    }

    #[test]
    fn exact_bearings_meet_at_the_fire_to_the_millimetre() {
        let fire = (116.61, 35.13);
        let bs = [
            bearing_to((116.52, 35.08), fire, 0.0),
            bearing_to((116.66, 35.05), fire, 0.0),
            bearing_to((116.60, 35.21), fire, 0.0),
        ];
        let x = triangulate(&bs, 3.0).unwrap();
        let (miss, _, _) = inverse(fire.0, fire.1, x.lon, x.lat);
        assert!(miss < 1e-3, "{miss} m");
        assert!(x.residuals_deg.iter().all(|r| r.abs() < 1e-7));
    }

    #[test]
    fn noisy_pairs_stay_within_r_sigma_over_sin_gamma() {
        // ±0.3° uniform bearing noise on two cameras: the error is at most
        // (r1·|δ1| + r2·|δ2|)/sin γ, and its RMS stays below r·σ/sin γ with σ = 0.3°.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let sigma = 0.3f64;
        for &(cam_b, fire) in &[
            ((116.70, 35.08), (116.61, 35.16)), // wide angle
            ((116.56, 35.07), (116.61, 35.19)), // shallow angle
        ] {
            let cam_a = (116.52, 35.08);
            let (r1, az1, _) = inverse(cam_a.0, cam_a.1, fire.0, fire.1);
            let (r2, az2, _) = inverse(cam_b.0, cam_b.1, fire.0, fire.1);
            let gamma = crossing_angle(az1, az2).to_radians();
            let mut sq = 0.0;
            let trials = 200;
            for _ in 0..trials {
                let (d1, d2) = (
                    rng.random_range(-sigma..sigma),
                    rng.random_range(-sigma..sigma),
                );
                let x = triangulate(
                    &[bearing_to(cam_a, fire, d1), bearing_to(cam_b, fire, d2)],
                    3.0,
                )
                .unwrap();
                let (err, _, _) = inverse(fire.0, fire.1, x.lon, x.lat);
                // X lies on each noisy bearing, r'ᵢ from camera i, so it is r'ᵢ·sin|δᵢ| from the
                // true bearing; two lines crossing at γ bound it to (d₁ + d₂)/sin γ.
                let r1x = inverse(cam_a.0, cam_a.1, x.lon, x.lat).0;
                let r2x = inverse(cam_b.0, cam_b.1, x.lon, x.lat).0;
                let bound = (r1x * d1.to_radians().sin().abs() + r2x * d2.to_radians().sin().abs())
                    / gamma.sin();
                assert!(err <= bound * 1.01 + 0.01, "{err} > {bound}");
                sq += err * err;
            }
            let rms = (sq / trials as f64).sqrt();
            let r = r1.max(r2);
            let scale = r * sigma.to_radians() / gamma.sin();
            assert!(rms <= scale, "rms {rms} > r·σ/sin γ = {scale}");
            // The reported uncertainty is of that order too.
            let x = triangulate(
                &[bearing_to(cam_a, fire, 0.0), bearing_to(cam_b, fire, 0.0)],
                3.0,
            )
            .unwrap();
            assert!(
                x.sigma_major_m <= 1.5 * scale && x.sigma_major_m >= 0.3 * scale,
                "{} vs {scale}",
                x.sigma_major_m
            );
        }
    }

    #[test]
    fn parallel_behind_and_inconsistent_bearings_are_refused() {
        let a = Bearing {
            lon: 116.5,
            lat: 35.1,
            azimuth_deg: 0.0,
            sigma_deg: 0.3,
            max_range_m: 30_000.0,
        };
        let b = Bearing {
            lon: 116.6,
            azimuth_deg: 1.0,
            ..a
        };
        assert!(matches!(
            triangulate(&[a, b], 3.0),
            Err(TriangulationError::Shallow { .. })
        ));
        // Looking away from each other: the lines cross behind both.
        let b = Bearing {
            lon: 116.6,
            azimuth_deg: 45.0,
            ..a
        };
        let a2 = Bearing {
            azimuth_deg: 315.0,
            ..a
        };
        assert!(matches!(
            triangulate(&[a2, b], 3.0),
            Err(TriangulationError::Behind(_))
        ));
        assert!(matches!(
            triangulate(&[a], 3.0),
            Err(TriangulationError::TooFew(1))
        ));
        // A third camera looking at something else.
        let fire = (116.55, 35.2);
        let c = bearing_to((116.45, 35.15), fire, 0.0);
        let d = bearing_to((116.65, 35.15), fire, 0.0);
        let e = bearing_to((116.55, 35.30), (116.7, 35.25), 0.0);
        assert!(matches!(
            triangulate(&[c, d, e], 3.0),
            Err(TriangulationError::Inconsistent { .. })
        ));
    }
}
