//! Coordinate frames met at burnwatch's edges. Inside, everything is WGS84; these conversions are
//! used only when importing a GCJ-02 file or building a map-app link.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The frame an imported file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InputCrs {
    /// WGS84 lon/lat (satellite products, GPS).
    #[default]
    Wgs84,
    /// China's official frame; within centimetres of WGS84 at this scale, so taken as is.
    Cgcs2000,
    /// The offset frame of Amap, DataV and Tencent maps; converted to WGS84 on import.
    Gcj02,
}

impl InputCrs {
    /// Converts a point in this frame to WGS84 lon/lat.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            InputCrs::Wgs84 | InputCrs::Cgcs2000 => (lon, lat),
            InputCrs::Gcj02 => gcj02_to_wgs84(lon, lat),
        }
    }
}

impl FromStr for InputCrs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "epsg:4326" => Ok(Self::Wgs84),
            "cgcs2000" | "epsg:4490" => Ok(Self::Cgcs2000),
            "gcj02" | "gcj-02" => Ok(Self::Gcj02),
            other => Err(format!(
                "unknown crs {other:?}: expected wgs84, cgcs2000 or gcj02"
            )),
        }
    }
}

impl fmt::Display for InputCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputCrs::Wgs84 => "wgs84",
            InputCrs::Cgcs2000 => "cgcs2000",
            InputCrs::Gcj02 => "gcj02",
        })
    }
}

pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    coordtransform::wgs84_to_gcj02(lon, lat)
}

/// The exact (iterative) inverse, good to well under a metre; the one-step approximation can be
/// several metres off, which is too much for a border point.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    coordtransform::gcj02_to_wgs84(lon, lat)
}

pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    coordtransform::wgs84_to_bd09(lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::haversine_km;

    #[test]
    fn gcj02_offset_near_jining_is_a_few_hundred_metres_and_inverts() {
        let (lon, lat) = (116.587, 35.415);
        let (glon, glat) = wgs84_to_gcj02(lon, lat);
        let offset_m = haversine_km(lon, lat, glon, glat) * 1000.0;
        assert!((300.0..700.0).contains(&offset_m), "offset {offset_m} m");
        assert!(glon > lon, "GCJ-02 lies east of WGS84 here");
        let (blon, blat) = gcj02_to_wgs84(glon, glat);
        let back_m = haversine_km(lon, lat, blon, blat) * 1000.0;
        assert!(back_m < 1.0, "round trip off by {back_m} m");
    }

    #[test]
    fn cgcs2000_is_taken_as_wgs84() {
        assert_eq!(InputCrs::Cgcs2000.to_wgs84(116.0, 35.0), (116.0, 35.0));
        assert_eq!("GCJ02".parse::<InputCrs>().unwrap(), InputCrs::Gcj02);
        assert!("utm".parse::<InputCrs>().is_err());
    }
}
