//! Pixel footprint (along-scan × along-track, km) from the viewing geometry: it grows off nadir,
//! and its area is what FRP is integrated over.
//!
//! For a sensor at radius r = Rₑ + h looking at scan angle θ, the view zenith is
//! Z = asin((r/Rₑ)·sin θ) and the slant range d = r·cos θ − Rₑ·cos Z. An angular sample w maps to
//! d·w along track and d·w/cos Z along scan (the beam meets the ground obliquely). At nadir both
//! are h·w. This is the MOD14/FIRMS pixel-size formula written without its rounded constants.

use crate::profile::{Geometry, SensorProfile};
use crate::scene::Scene;

/// Mean Earth radius, km.
const EARTH_RADIUS_KM: f64 = 6371.0;

#[derive(Debug, Clone)]
pub struct Footprint {
    geometry: Geometry,
    /// Angular size of one native detector sample along scan, rad.
    sample_rad: f64,
    /// Angular size of a pixel along track, rad.
    track_rad: f64,
    /// Per column scan angle (rad) when the granule is a full swath line and has no view zenith.
    column_scan: Option<Vec<f64>>,
}

impl Footprint {
    pub fn new(profile: &SensorProfile, cols: usize) -> Self {
        let g = profile.geometry.clone();
        let first_zone = g.aggregation.first().map_or(1, |z| z.samples.max(1)) as f64;
        let sample_rad = g.nadir_scan_km / g.altitude_km / first_zone;
        let track_rad = g.nadir_track_km / g.altitude_km;
        let mut fp = Self {
            geometry: g,
            sample_rad,
            track_rad,
            column_scan: None,
        };
        if fp.geometry.swath_samples > 0 && cols == fp.geometry.swath_samples {
            fp.column_scan = Some(fp.column_scan_angles(cols));
        }
        fp
    }

    /// Scan angle of the centre of every column of a full swath line, walking out from nadir
    /// through the aggregation zones once (each pixel is as wide as its zone's samples).
    fn column_scan_angles(&self, cols: usize) -> Vec<f64> {
        let centre = (cols as f64 - 1.0) / 2.0;
        let mut out = vec![0.0; cols];
        // Offsets from the centre come in steps of 1 (odd cols) or start at 0.5 (even cols).
        let first = centre.fract();
        let mut theta = first * self.samples_at(0.0) * self.sample_rad;
        let mut offset = first;
        loop {
            for col in [centre - offset, centre + offset] {
                if col >= 0.0 && (col as usize) < cols && col.fract() == 0.0 {
                    out[col as usize] = theta.copysign(col - centre);
                }
            }
            offset += 1.0;
            if offset > centre + 0.5 {
                break;
            }
            theta += self.samples_at(theta.to_degrees()) * self.sample_rad;
        }
        out
    }

    /// Native samples per pixel at scan angle `theta` (aggregation zones), 1 without zones.
    fn samples_at(&self, theta_deg: f64) -> f64 {
        self.geometry
            .aggregation
            .iter()
            .find(|z| theta_deg.abs() < z.below_scan_deg)
            .map_or(1.0, |z| z.samples.max(1) as f64)
    }

    /// (along-scan, along-track) km of pixel (row, col) of `scene`.
    pub fn at(&self, scene: &Scene, row: usize, col: usize) -> (f64, f64) {
        let r = EARTH_RADIUS_KM + self.geometry.altitude_km;
        let theta = match scene.view_zenith.at(row, col) {
            Some(vza) if vza.is_finite() => {
                let z = (vza as f64).to_radians().abs().min(89.0_f64.to_radians());
                (EARTH_RADIUS_KM / r * z.sin()).asin()
            }
            _ => match &self.column_scan {
                Some(c) => c[col].abs(),
                // A subset or a grid without angles: only the nadir size is known.
                None => 0.0,
            },
        };
        self.size_at_scan(theta)
    }

    /// (along-scan, along-track) km at scan angle `theta` (rad).
    pub fn size_at_scan(&self, theta: f64) -> (f64, f64) {
        let re = EARTH_RADIUS_KM;
        let r = re + self.geometry.altitude_km;
        let z = ((r / re) * theta.sin()).clamp(-1.0, 1.0).asin();
        let d = r * theta.cos() - re * z.cos();
        let w_scan = self.samples_at(theta.to_degrees()) * self.sample_rad;
        (d * w_scan / z.cos(), d * self.track_rad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn profile(name: &str) -> SensorProfile {
        SensorProfile::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
            name,
        )
        .unwrap()
    }

    #[test]
    fn nadir_is_the_nominal_pixel_and_the_edge_grows_as_published() {
        let modis = Footprint::new(&profile("modis-c6"), 1354);
        let (s, t) = modis.size_at_scan(0.0);
        assert!((s - 1.0).abs() < 1e-9 && (t - 1.0).abs() < 1e-9);
        // MODIS at the 55° scan edge: about 4.8 km × 2.0 km (FIRMS FAQ: "2 km × 4.8 km").
        let (s, t) = modis.size_at_scan(55f64.to_radians());
        assert!((s - 4.8).abs() < 0.25 && (t - 2.0).abs() < 0.1, "{s} {t}");
        // VIIRS I-band: aggregation keeps the pixel near 0.375 km and ~0.8 km at the edge.
        let viirs = Footprint::new(&profile("viirs-375m"), 6400);
        let (s, t) = viirs.size_at_scan(56.0f64.to_radians());
        assert!((s - 0.8).abs() < 0.05 && (t - 0.8).abs() < 0.05, "{s} {t}");
        let (s, _) = viirs.size_at_scan(31.0f64.to_radians());
        assert!(s < 0.6, "{s}");
    }

    #[test]
    fn column_mapping_reaches_the_swath_edge() {
        let viirs = Footprint::new(&profile("viirs-375m"), 6400);
        let edge = viirs.column_scan.as_ref().unwrap()[6399].to_degrees();
        assert!((edge - 56.28).abs() < 1.5, "{edge}");
        let modis = Footprint::new(&profile("modis-c6"), 1354);
        let edge = modis.column_scan.as_ref().unwrap()[0].to_degrees();
        assert!((edge + 55.0).abs() < 1.0, "{edge}");
    }
}
