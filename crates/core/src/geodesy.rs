//! Small-distance geodesy on WGS84 lon/lat: enough for clustering radii and border distances of a
//! few kilometres, where the spherical model errs by well under 0.5 %.

/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance between two lon/lat points, km.
pub fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// Degrees of latitude and of longitude (at `lat`) that span `km`; used to build search boxes that
/// are guaranteed to contain every point within `km`.
pub fn km_to_degrees(km: f64, lat: f64) -> (f64, f64) {
    let dlat = (km / EARTH_RADIUS_KM).to_degrees();
    // Use the cosine at the box's pole-ward edge so the box never comes out too narrow.
    let worst_lat = (lat.abs() + dlat).min(89.9);
    let dlon = dlat / worst_lat.to_radians().cos();
    (dlon, dlat)
}

/// Initial bearing from point 1 to point 2, degrees clockwise from true north in [0, 360).
pub fn bearing_deg(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = haversine_km(116.0, 35.0, 116.0, 36.0);
        assert!((d - 111.195).abs() < 0.01, "{d}");
    }

    #[test]
    fn degree_box_contains_the_circle() {
        let (dlon, dlat) = km_to_degrees(0.8, 35.4);
        assert!(haversine_km(116.0, 35.4, 116.0 + dlon, 35.4) >= 0.8);
        assert!(haversine_km(116.0, 35.4, 116.0, 35.4 + dlat) >= 0.799_999);
    }

    #[test]
    fn bearing_east_is_ninety() {
        let b = bearing_deg(116.0, 35.0, 116.1, 35.0);
        assert!((b - 90.0).abs() < 0.1, "{b}");
    }
}
