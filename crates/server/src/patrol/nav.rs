//! Navigation links to an alert. The point is stored in WGS84; Amap wants GCJ-02 and Baidu BD-09,
//! and a link left in WGS84 sends the patrol about half a kilometre off near Jining. The
//! conversion happens here, on the server, so every client gets the same numbers.

use burnwatch_core::coords::{wgs84_to_bd09, wgs84_to_gcj02};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Links {
    /// Amap (高德) marker URI, GCJ-02.
    pub amap: String,
    /// Baidu marker URI, BD-09 (`coord_type=bd09ll`).
    pub baidu: String,
    /// RFC 5870 `geo:` URI, WGS84, for any other map app.
    pub geo: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nav {
    pub alert_id: i64,
    pub wgs84: LonLat,
    pub gcj02: LonLat,
    pub bd09: LonLat,
    pub search_radius_km: f64,
    pub links: Links,
}

/// Six decimals: about 0.1 m, finer than any of these frames is good for.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn point((lon, lat): (f64, f64)) -> LonLat {
    LonLat {
        lon: round6(lon),
        lat: round6(lat),
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn nav(alert_id: i64, lon: f64, lat: f64, search_radius_km: f64, name: &str) -> Nav {
    let wgs84 = point((lon, lat));
    let gcj02 = point(wgs84_to_gcj02(lon, lat));
    let bd09 = point(wgs84_to_bd09(lon, lat));
    let label = encode(name);
    Nav {
        alert_id,
        wgs84,
        gcj02,
        bd09,
        search_radius_km,
        links: Links {
            amap: format!(
                "https://uri.amap.com/marker?position={},{}&name={label}&coordinate=gaode&callnative=1",
                gcj02.lon, gcj02.lat
            ),
            baidu: format!(
                "https://api.map.baidu.com/marker?location={},{}&title={label}&content={label}&output=html&coord_type=bd09ll&src=burnwatch",
                bd09.lat, bd09.lon
            ),
            geo: format!(
                "geo:{},{}?q={},{}({label})",
                wgs84.lat, wgs84.lon, wgs84.lat, wgs84.lon
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_core::geodesy::haversine_km;

    #[test]
    fn links_carry_the_converted_points() {
        let n = nav(7, 116.587, 35.415, 0.4, "火点 7 柳林街道");
        // GCJ-02 lies a few hundred metres east-north-east of WGS84 here; BD-09 further still.
        let off = haversine_km(n.wgs84.lon, n.wgs84.lat, n.gcj02.lon, n.gcj02.lat);
        assert!((0.3..0.7).contains(&off), "{off}");
        assert!(n.gcj02.lon > n.wgs84.lon && n.bd09.lon > n.gcj02.lon);
        assert!(n
            .links
            .amap
            .contains(&format!("position={},{}", n.gcj02.lon, n.gcj02.lat)));
        assert!(n
            .links
            .baidu
            .contains(&format!("location={},{}", n.bd09.lat, n.bd09.lon)));
        assert!(n.links.baidu.contains("coord_type=bd09ll"));
        assert!(n.links.geo.starts_with("geo:35.415,116.587?"));
        assert!(n.links.amap.contains("name=%E7%81%AB%E7%82%B9%207"));
    }
}
