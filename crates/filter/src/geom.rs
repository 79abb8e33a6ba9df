//! Small-area geometry in kilometres: sites, buffers and silence areas span a few km, where a
//! local equirectangular projection errs by far less than a pixel.

use burnwatch_core::geodesy::{haversine_km, km_to_degrees, EARTH_RADIUS_KM};
use geo::{Contains, Coord, Intersects, LineString, MultiPolygon, Point, Polygon};

/// Kilometres per degree of latitude.
const KM_PER_DEG: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// Distance from a point to a footprint, km; zero inside it.
pub fn distance_to_polygon_km(lon: f64, lat: f64, footprint: &MultiPolygon<f64>) -> f64 {
    if footprint.contains(&Point::new(lon, lat)) {
        return 0.0;
    }
    let kx = KM_PER_DEG * lat.to_radians().cos();
    let to_km = |c: &Coord<f64>| ((c.x - lon) * kx, (c.y - lat) * KM_PER_DEG);
    let mut best = f64::INFINITY;
    for polygon in footprint {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for seg in ring.lines() {
                best = best.min(segment_to_origin(to_km(&seg.start), to_km(&seg.end)));
            }
        }
    }
    best
}

/// Distance from the origin to the segment a–b.
fn segment_to_origin(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    (x * x + y * y).sqrt()
}

/// lon/lat box: (min_lon, min_lat, max_lon, max_lat).
pub type LonLatBox = (f64, f64, f64, f64);

/// A box around a point that contains every point within `km` of it.
pub fn box_around(lon: f64, lat: f64, km: f64) -> LonLatBox {
    let (dlon, dlat) = km_to_degrees(km, lat);
    (lon - dlon, lat - dlat, lon + dlon, lat + dlat)
}

/// A box around a footprint widened by `km` on every side.
pub fn box_around_polygon(footprint: &MultiPolygon<f64>, km: f64) -> Option<LonLatBox> {
    use geo::BoundingRect;
    let r = footprint.bounding_rect()?;
    let worst = r.min().y.abs().max(r.max().y.abs());
    let (dlon, dlat) = km_to_degrees(km, worst);
    Some((
        r.min().x - dlon,
        r.min().y - dlat,
        r.max().x + dlon,
        r.max().y + dlat,
    ))
}

/// Where a silence applies.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    Circle { lon: f64, lat: f64, radius_km: f64 },
    Polygon(MultiPolygon<f64>),
}

impl Area {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        match self {
            Area::Circle {
                lon: clon,
                lat: clat,
                radius_km,
            } => haversine_km(*clon, *clat, lon, lat) <= *radius_km,
            Area::Polygon(p) => p.contains(&Point::new(lon, lat)),
        }
    }

    /// Whether two areas share any ground.
    pub fn overlaps(&self, other: &Area) -> bool {
        match (self, other) {
            (
                Area::Circle {
                    lon: a,
                    lat: b,
                    radius_km: r,
                },
                Area::Circle {
                    lon: c,
                    lat: d,
                    radius_km: s,
                },
            ) => haversine_km(*a, *b, *c, *d) < r + s,
            (
                Area::Circle {
                    lon,
                    lat,
                    radius_km,
                },
                Area::Polygon(p),
            )
            | (
                Area::Polygon(p),
                Area::Circle {
                    lon,
                    lat,
                    radius_km,
                },
            ) => distance_to_polygon_km(*lon, *lat, p) < *radius_km,
            (Area::Polygon(p), Area::Polygon(q)) => p.intersects(q),
        }
    }
}

/// Checks a polygon's coordinates are lon/lat and its rings can enclose anything.
pub fn check_polygon(p: &MultiPolygon<f64>) -> Result<(), String> {
    if p.0.is_empty() {
        return Err("the polygon is empty".into());
    }
    for polygon in p {
        check_ring(polygon.exterior())?;
        for hole in polygon.interiors() {
            check_ring(hole)?;
        }
    }
    Ok(())
}

fn check_ring(ring: &LineString<f64>) -> Result<(), String> {
    if ring.0.len() < 4 {
        return Err(format!(
            "a ring has {} points; a closed ring needs at least 4",
            ring.0.len()
        ));
    }
    for c in ring.coords() {
        if !valid_lon_lat(c.x, c.y) {
            return Err(format!(
                "point ({}, {}) is not a lon/lat in [-180, 180] x [-90, 90]",
                c.x, c.y
            ));
        }
    }
    Ok(())
}

pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
}

/// A GeoJSON Polygon or MultiPolygon geometry as a footprint.
pub fn polygon_from_geojson(g: &geojson::Geometry) -> Result<MultiPolygon<f64>, String> {
    let geometry: geo::Geometry<f64> = g
        .clone()
        .try_into()
        .map_err(|e| format!("not a usable GeoJSON geometry: {e}"))?;
    let mp = match geometry {
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(mp) => mp,
        other => {
            return Err(format!(
                "a {} is not an area: give a Polygon or MultiPolygon",
                geometry_name(&other)
            ))
        }
    };
    check_polygon(&mp)?;
    Ok(mp)
}

fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) => "Line",
        geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::Polygon(_) => "Polygon",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        geo::Geometry::Rect(_) => "Rect",
        geo::Geometry::Triangle(_) => "Triangle",
    }
}

/// A footprint as GeoJSON geometry text.
pub fn polygon_to_geojson(p: &MultiPolygon<f64>) -> String {
    geojson::Geometry::from(p).to_string()
}

/// The centroid of a footprint (the site's point for listings and duplicates).
pub fn centroid(p: &MultiPolygon<f64>) -> Option<(f64, f64)> {
    use geo::Centroid;
    p.centroid().map(|c| (c.x(), c.y()))
}

/// Wraps a ring of lon/lat pairs into a footprint (used by tests and the simulator's truth).
pub fn polygon_from_ring(points: &[(f64, f64)]) -> MultiPolygon<f64> {
    let ring: Vec<Coord<f64>> = points.iter().map(|&(x, y)| Coord { x, y }).collect();
    MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_to_a_square_footprint() {
        // About 1.1 km on a side at 35°N.
        let sq = polygon_from_ring(&[
            (116.0, 35.0),
            (116.012, 35.0),
            (116.012, 35.01),
            (116.0, 35.01),
            (116.0, 35.0),
        ]);
        assert_eq!(distance_to_polygon_km(116.006, 35.005, &sq), 0.0);
        let d = distance_to_polygon_km(116.006, 35.02, &sq);
        assert!(
            (d - haversine_km(116.006, 35.01, 116.006, 35.02)).abs() < 0.005,
            "{d}"
        );
    }

    #[test]
    fn circles_and_polygons_overlap_when_they_share_ground() {
        let a = Area::Circle {
            lon: 116.0,
            lat: 35.0,
            radius_km: 1.0,
        };
        let b = Area::Circle {
            lon: 116.02,
            lat: 35.0,
            radius_km: 1.0,
        };
        // 1.82 km apart: two 1 km circles overlap.
        assert!(a.overlaps(&b));
        let far = Area::Circle {
            lon: 116.05,
            lat: 35.0,
            radius_km: 1.0,
        };
        assert!(!a.overlaps(&far));
        let sq = Area::Polygon(polygon_from_ring(&[
            (116.005, 34.99),
            (116.03, 34.99),
            (116.03, 35.01),
            (116.005, 35.01),
            (116.005, 34.99),
        ]));
        assert!(
            a.overlaps(&sq) && sq.overlaps(&a) && sq.overlaps(&far.clone()) == far.overlaps(&sq)
        );
    }
}
