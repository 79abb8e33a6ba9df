//! Reading polygon layers through OGR, so any format a bureau hands over (GeoJSON, Shapefile,
//! GeoPackage, …) loads the same way.

use crate::index::region_contains;
use crate::{Level, Region, RegionError};
use burnwatch_core::config::LayerConfig;
use burnwatch_core::coords::InputCrs;
use gdal::errors::GdalError;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{
    geometry_type_flatten, geometry_type_to_name, Feature, FieldValue, Geometry, LayerAccess,
    OGRwkbGeometryType,
};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{BoundingRect, Coord, InteriorPoint, LineString, MultiPolygon, Polygon};

/// Loads every feature of one polygon layer as a [`Region`] of `level`, in WGS84 lon/lat.
///
/// When the layer declares a coordinate system, geometries are first transformed to EPSG:4326 in
/// traditional GIS order (x = lon, y = lat), whatever axis order or projection the source uses
/// (GDAL 3 would otherwise hand EPSG:4326 out lat/lon): a Gauss-Krüger Shapefile loads as well as
/// a GeoJSON. `cfg.crs` then says what those lon/lat values are: WGS84 and CGCS2000 are taken as
/// is, GCJ-02 is converted vertex by vertex (such files usually claim WGS84, wrongly).
///
/// A layer without features is an error: routing against it would silently call every fire
/// "outside".
pub fn load_layer(cfg: &LayerConfig, level: Level) -> Result<Vec<Region>, RegionError> {
    let path = cfg.path.as_path();
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        ..Default::default()
    };
    let dataset = Dataset::open_ex(path, options).map_err(|source| RegionError::Open {
        path: path.to_owned(),
        source: Box::new(source),
    })?;
    let no_layer = |name: &str| RegionError::NoLayer {
        path: path.to_owned(),
        layer: name.to_owned(),
    };
    let mut layer = match &cfg.layer {
        Some(name) => dataset.layer_by_name(name).map_err(|_| no_layer(name))?,
        None => dataset.layer(0).map_err(|_| no_layer("(first layer)"))?,
    };

    let field_names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let find_field = |name: &str| -> Result<usize, RegionError> {
        // Exact match first; OGR itself matches field names case-insensitively, so allow that too.
        field_names
            .iter()
            .position(|f| f == name)
            .or_else(|| {
                field_names
                    .iter()
                    .position(|f| f.eq_ignore_ascii_case(name))
            })
            .ok_or_else(|| RegionError::MissingField {
                path: path.to_owned(),
                field: name.to_owned(),
                available: field_names.join(", "),
            })
    };
    let id_idx = find_field(&cfg.id_field)?;
    let name_idx = cfg.name_field.as_deref().map(find_field).transpose()?;
    let parent_idx = cfg.parent_field.as_deref().map(find_field).transpose()?;

    let transform = match layer.spatial_ref() {
        Some(srs) => Some(to_wgs84(&srs).map_err(|source| RegionError::Crs {
            path: path.to_owned(),
            source: Box::new(source),
        })?),
        None => None,
    };

    let mut regions = Vec::new();
    for feature in layer.features() {
        let mut label = match feature.fid() {
            Some(fid) => format!("feature {fid}"),
            None => format!("feature #{}", regions.len()),
        };
        let read = |idx: usize, field: &str, label: &str| {
            field_string(&feature, idx).map_err(|source| RegionError::Field {
                path: path.to_owned(),
                feature: label.to_owned(),
                field: field.to_owned(),
                source: Box::new(source),
            })
        };
        let id = read(id_idx, &cfg.id_field, &label)?.unwrap_or_default();
        if id.is_empty() {
            return Err(RegionError::EmptyId {
                path: path.to_owned(),
                feature: label,
                field: cfg.id_field.clone(),
            });
        }
        label = format!("{label} (id {id})");
        let name = match (name_idx, cfg.name_field.as_deref()) {
            (Some(idx), Some(field)) => read(idx, field, &label)?.filter(|s| !s.is_empty()),
            _ => None,
        }
        .unwrap_or_else(|| id.clone());
        let parent_id = match (parent_idx, cfg.parent_field.as_deref()) {
            (Some(idx), Some(field)) => read(idx, field, &label)?.filter(|s| !s.is_empty()),
            _ => None,
        };
        let geometry = read_geometry(&feature, transform.as_ref(), cfg.crs).map_err(|reason| {
            RegionError::Geometry {
                path: path.to_owned(),
                feature: label.clone(),
                reason,
            }
        })?;
        regions.push(Region {
            id,
            name,
            level,
            parent_id,
            geometry,
        });
    }
    if regions.is_empty() {
        return Err(RegionError::EmptyLayer {
            path: path.to_owned(),
        });
    }
    Ok(regions)
}

/// For each child without a parent id, takes the first parent whose polygon contains the child's
/// interior point (a point guaranteed to lie inside the child, unlike its centroid).
pub fn link_parents(children: &mut [Region], parents: &[Region]) {
    let boxes: Vec<_> = parents.iter().map(|p| p.geometry.bounding_rect()).collect();
    for child in children.iter_mut().filter(|c| c.parent_id.is_none()) {
        let Some(point) = child.geometry.interior_point() else {
            continue;
        };
        let c = point.0;
        let parent = parents.iter().zip(&boxes).find(|(p, b)| {
            b.is_some_and(|b| b.min().x <= c.x && c.x <= b.max().x)
                && b.is_some_and(|b| b.min().y <= c.y && c.y <= b.max().y)
                && region_contains(&p.geometry, c)
        });
        if let Some((p, _)) = parent {
            child.parent_id = Some(p.id.clone());
        }
    }
}

/// A transformation from the layer's frame to EPSG:4326 with x = lon, y = lat. The source keeps
/// the data-axis mapping OGR gave the layer, so lat/lon-ordered sources are swapped correctly.
fn to_wgs84(source: &SpatialRef) -> Result<CoordTransform, GdalError> {
    let mut target = SpatialRef::from_epsg(4326)?;
    target.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(source, &target)
}

/// A field as text: integers as written, whole reals without ".0" (a code stored as 370811.0 in a
/// Shapefile is still "370811"), other types as OGR formats them. Surrounding spaces are dropped.
fn field_string(feature: &Feature<'_>, idx: usize) -> Result<Option<String>, GdalError> {
    let value = match feature.field(idx) {
        Ok(v) => v,
        // Types the gdal crate does not map (binary, time, …): OGR's own text form.
        Err(_) => return Ok(feature.field_as_string(idx)?.map(|s| s.trim().to_owned())),
    };
    Ok(value.map(|v| match v {
        FieldValue::StringValue(s) => s.trim().to_owned(),
        FieldValue::IntegerValue(i) => i.to_string(),
        FieldValue::Integer64Value(i) => i.to_string(),
        FieldValue::RealValue(r) => real_to_string(r),
        FieldValue::DateValue(d) => d.to_string(),
        FieldValue::DateTimeValue(d) => d.to_rfc3339(),
        FieldValue::IntegerListValue(l) => join(l),
        FieldValue::Integer64ListValue(l) => join(l),
        FieldValue::RealListValue(l) => join(l.into_iter().map(real_to_string)),
        FieldValue::StringListValue(l) => l.join(","),
    }))
}

fn real_to_string(r: f64) -> String {
    // Below 2^53 a whole f64 is an exact integer, so printing it as i64 loses nothing.
    if r.fract() == 0.0 && r.abs() < 9_007_199_254_740_992.0 {
        (r as i64).to_string()
    } else {
        r.to_string()
    }
}

fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn read_geometry(
    feature: &Feature<'_>,
    transform: Option<&CoordTransform>,
    crs: InputCrs,
) -> Result<MultiPolygon<f64>, String> {
    let geometry = match feature.geometry() {
        // The gdal crate hands out a null geometry as Some(geometry wrapping a null pointer),
        // which every OGR call on it would report as an error.
        // SAFETY: only the pointer's value is read, nothing is dereferenced.
        Some(g) if !unsafe { g.c_geometry() }.is_null() && !g.is_empty() => g,
        _ => return Err("has no geometry".to_owned()),
    };
    let transformed;
    let geometry = match transform {
        Some(t) => {
            transformed = geometry
                .transform(t)
                .map_err(|e| format!("cannot transform to WGS84: {e}"))?;
            &transformed
        }
        None => geometry,
    };
    let kind = geometry_type_flatten(geometry.geometry_type());
    let polygons = match kind {
        OGRwkbGeometryType::wkbPolygon => vec![polygon(geometry, crs)?],
        OGRwkbGeometryType::wkbMultiPolygon => {
            let mut parts = Vec::with_capacity(geometry.geometry_count());
            for i in 0..geometry.geometry_count() {
                let part = geometry.get_geometry(i);
                if geometry_type_flatten(part.geometry_type()) != OGRwkbGeometryType::wkbPolygon {
                    return Err(format!("part {i} of the MultiPolygon is not a polygon"));
                }
                if !part.is_empty() {
                    parts.push(polygon(&part, crs)?);
                }
            }
            parts
        }
        other => {
            return Err(format!(
                "geometry type {} is not Polygon or MultiPolygon",
                geometry_type_to_name(other)
            ))
        }
    };
    if polygons.is_empty() {
        return Err("has an empty geometry".to_owned());
    }
    Ok(MultiPolygon(polygons))
}

fn polygon(geometry: &Geometry, crs: InputCrs) -> Result<Polygon<f64>, String> {
    let n = geometry.geometry_count();
    if n == 0 {
        return Err("has a polygon without rings".to_owned());
    }
    let mut rings = (0..n).map(|i| ring(&geometry.get_geometry(i), i, crs));
    let exterior = rings.next().unwrap_or_else(|| Ok(LineString(Vec::new())))?;
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

fn ring(geometry: &Geometry, index: usize, crs: InputCrs) -> Result<LineString<f64>, String> {
    let mut points = Vec::with_capacity(geometry.point_count());
    geometry.get_points(&mut points);
    // A ring needs three distinct corners plus the closing point.
    if points.len() < 4 {
        return Err(format!(
            "ring {index} has {} points, a polygon ring needs at least 4",
            points.len()
        ));
    }
    points
        .into_iter()
        .map(|(x, y, _)| {
            let (lon, lat) = crs.to_wgs84(x, y);
            if lon.is_finite()
                && lat.is_finite()
                && (-180.0..=180.0).contains(&lon)
                && (-90.0..=90.0).contains(&lat)
            {
                Ok(Coord { x: lon, y: lat })
            } else {
                Err(format!(
                    "ring {index} has a point ({x}, {y}) that is not a lon/lat in [-180, 180] x [-90, 90]"
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_reals_print_without_fraction() {
        assert_eq!(real_to_string(370811.0), "370811");
        assert_eq!(real_to_string(-3.0), "-3");
        assert_eq!(real_to_string(1.5), "1.5");
    }
}
