//! The industrial registry: import from CSV (lat/lon columns) or any OGR layer (points or
//! footprint polygons), and the filter that holds back detections at registered sites.

use crate::geom::{
    box_around, box_around_polygon, centroid, distance_to_polygon_km, polygon_from_geojson,
    polygon_to_geojson, valid_lon_lat,
};
use crate::FilterError;
use burnwatch_core::coords::InputCrs;
use burnwatch_core::filter_config::RegistryConfig;
use burnwatch_core::geodesy::haversine_km;
use burnwatch_core::Detection;
use burnwatch_pipeline::Filter;
use burnwatch_store::{IndustrialSource, NewIndustrialSource, SourceStore};
use geo::MultiPolygon;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::Serialize;
use std::path::Path;

/// One registered site as the filter sees it.
#[derive(Debug, Clone)]
struct Site {
    lon: f64,
    lat: f64,
    buffer_km: f64,
    footprint: Option<MultiPolygon<f64>>,
    reason: String,
}

impl Site {
    /// Distance from the site (its point, or its footprint's edge) to a point, km.
    fn distance_km(&self, lon: f64, lat: f64) -> f64 {
        match &self.footprint {
            Some(p) => distance_to_polygon_km(lon, lat, p),
            None => haversine_km(self.lon, self.lat, lon, lat),
        }
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Samples per pixel side when measuring how much of a pixel lies in a buffer.
const OVERLAP_SAMPLES: usize = 12;

/// Holds back detections at registered sites. The reported point is a pixel centre and the heat
/// may be anywhere in the pixel, so a detection is held back when its centre lies in a site's
/// buffer, or when at least `min_pixel_overlap` of its footprint does (a coarse MODIS pixel at
/// the scan edge can hold a plant 2 km from its centre). The footprint is taken as a rectangle,
/// scan along east–west: polar orbits cross these latitudes within about 15° of north–south.
/// The reason names the entry: `registry:12:华能曲阜电厂` (or `learned:…`, `feedback:…` for
/// approved candidates).
pub struct RegistryFilter {
    sites: Vec<Site>,
    tree: RTree<Entry>,
    min_overlap: f64,
}

impl RegistryFilter {
    pub fn new(sources: &[IndustrialSource], config: &RegistryConfig) -> Result<Self, FilterError> {
        let mut sites = Vec::with_capacity(sources.len());
        let mut entries = Vec::with_capacity(sources.len());
        for s in sources {
            let footprint = match &s.geometry {
                Some(text) => {
                    let bad = |message: String| FilterError::Site {
                        id: s.id,
                        name: s.name.clone(),
                        message,
                    };
                    let g: geojson::Geometry = text.parse().map_err(|e| bad(format!("{e}")))?;
                    Some(polygon_from_geojson(&g).map_err(bad)?)
                }
                None => None,
            };
            let bbox = match &footprint {
                Some(p) => box_around_polygon(p, s.buffer_km),
                None => Some(box_around(s.lon, s.lat, s.buffer_km)),
            };
            let Some((x0, y0, x1, y1)) = bbox else {
                continue;
            };
            entries.push(Entry::new(
                Rectangle::from_corners([x0, y0], [x1, y1]),
                sites.len(),
            ));
            sites.push(Site {
                lon: s.lon,
                lat: s.lat,
                buffer_km: s.buffer_km,
                footprint,
                reason: format!("{}:{}:{}", s.origin, s.id, s.name),
            });
        }
        Ok(Self {
            sites,
            tree: RTree::bulk_load(entries),
            min_overlap: config.min_pixel_overlap,
        })
    }

    fn near(&self, lon: f64, lat: f64, km: f64) -> impl Iterator<Item = usize> + '_ {
        let (x0, y0, x1, y1) = box_around(lon, lat, km);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners([x0, y0], [x1, y1]))
            .map(|e| e.data)
    }

    /// The site whose buffer contains the point; when several do, the one it is deepest inside.
    pub fn site_at(&self, lon: f64, lat: f64) -> Option<&str> {
        self.site_within(lon, lat, 0.0)
    }

    /// The site whose buffer comes within `km` of the point; the deepest if several.
    pub fn site_within(&self, lon: f64, lat: f64, km: f64) -> Option<&str> {
        self.near(lon, lat, km)
            .filter_map(|i| {
                let site = &self.sites[i];
                let excess = site.distance_km(lon, lat) - site.buffer_km - km;
                (excess <= 0.0).then_some((excess, i))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, i)| self.sites[i].reason.as_str())
    }

    /// The site a pixel of `scan_km` × `track_km` centred on the point belongs to: one whose
    /// buffer holds the centre, else the one holding the largest share of the footprint, if that
    /// share reaches `min_pixel_overlap`.
    pub fn site_for_pixel(&self, lon: f64, lat: f64, scan_km: f64, track_km: f64) -> Option<&str> {
        if let Some(reason) = self.site_at(lon, lat) {
            return Some(reason);
        }
        let half_diagonal = 0.5 * (scan_km * scan_km + track_km * track_km).sqrt();
        let kx = 111.195 * lat.to_radians().cos();
        let n = OVERLAP_SAMPLES;
        self.near(lon, lat, half_diagonal)
            .filter_map(|i| {
                let site = &self.sites[i];
                if site.distance_km(lon, lat) > site.buffer_km + half_diagonal {
                    return None;
                }
                let mut inside = 0;
                for a in 0..n {
                    for b in 0..n {
                        let east = ((a as f64 + 0.5) / n as f64 - 0.5) * scan_km;
                        let north = ((b as f64 + 0.5) / n as f64 - 0.5) * track_km;
                        let (x, y) = (lon + east / kx, lat + north / 111.195);
                        inside += (site.distance_km(x, y) <= site.buffer_km) as usize;
                    }
                }
                let share = inside as f64 / (n * n) as f64;
                (inside > 0 && share >= self.min_overlap).then_some((share, i))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, i)| self.sites[i].reason.as_str())
    }
}

impl Filter for RegistryFilter {
    fn check(&self, d: &Detection) -> Option<String> {
        let nominal = burnwatch_core::detection::nominal_pixel_km(d.instrument);
        self.site_for_pixel(
            d.lon,
            d.lat,
            d.scan_km.unwrap_or(nominal),
            d.track_km.unwrap_or(nominal),
        )
        .map(str::to_owned)
    }
}

/// How to read a registry file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Type for rows (or features) without one.
    pub kind: Option<String>,
    /// Buffer for every row, km, instead of the per-type buffer.
    pub buffer_km: Option<f64>,
    /// Field names; by default the usual ones (name/名称, type/kind/类型, …) are looked for.
    pub name_field: Option<String>,
    pub kind_field: Option<String>,
    /// Layer of a multi-layer OGR source.
    pub layer: Option<String>,
    /// What the file's lon/lat are: GCJ-02 files (web maps) are converted to WGS84.
    pub crs: InputCrs,
}

/// A bad row or feature, kept out of the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowIssue {
    /// `file.csv:17` or `file.gpkg feature 4`.
    pub at: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Imported {
    pub at: String,
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub buffer_km: f64,
}

/// A row within `duplicate_km` of a site already known: one site, kept once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    pub at: String,
    pub name: String,
    pub of_id: i64,
    pub of_name: String,
    pub distance_km: f64,
    /// The kept entry's buffer after widening it to cover this row's position and buffer.
    pub buffer_km: f64,
    /// True when the kept entry was already in the registry before this import with the same
    /// name (a re-import), so nothing changed.
    pub already_registered: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub imported: Vec<Imported>,
    pub duplicates: Vec<Duplicate>,
    pub errors: Vec<RowIssue>,
}

/// A site read from a file, before duplicates are resolved.
struct Row {
    at: String,
    name: String,
    kind: String,
    lon: f64,
    lat: f64,
    buffer_km: Option<f64>,
    note: Option<String>,
    footprint: Option<MultiPolygon<f64>>,
}

/// Imports a registry file: a `.csv`/`.txt` with latitude/longitude columns, or any layer OGR
/// reads. Bad rows are reported with their line and kept out; the good ones go in. A row within
/// `duplicate_km` of a site already known (from this file or before) is the same site: the kept
/// entry's buffer grows to cover it and the pair is reported.
pub fn import_sources<S: SourceStore>(
    store: &mut S,
    path: &Path,
    options: &ImportOptions,
    config: &RegistryConfig,
) -> Result<ImportReport, FilterError> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt"));
    let mut report = ImportReport::default();
    let rows = if is_csv {
        read_csv(path, options, &mut report)?
    } else {
        read_layer(path, options, &mut report)?
    };
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let existing = store.industrial_sources()?;
    // (id, name, lon, lat, buffer, note if in the registry before this import)
    let mut known: Vec<(i64, String, f64, f64, f64, Option<String>)> = existing
        .iter()
        .map(|s| {
            let note = Some(s.note.clone().unwrap_or_default());
            (s.id, s.name.clone(), s.lon, s.lat, s.buffer_km, note)
        })
        .collect();
    for row in rows {
        let buffer = row
            .buffer_km
            .or(options.buffer_km)
            .unwrap_or_else(|| config.buffer_for(&row.kind));
        let nearest = known
            .iter_mut()
            .map(|k| (haversine_km(k.2, k.3, row.lon, row.lat), k))
            .filter(|(d, _)| *d <= config.duplicate_km)
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((distance_km, k)) = nearest {
            // A re-import: the same row met the same entry before (by name, or as its
            // recorded duplicate), so nothing changes.
            let already_registered = k.5.as_deref().is_some_and(|note| {
                normalise(&k.1) == normalise(&row.name)
                    || note.contains(&format!("also listed as {:?}", row.name))
            });
            if !already_registered {
                // Either position may be the true one: the kept entry must cover both.
                let widened = k.4.max(distance_km + buffer);
                store.widen_industrial_source(
                    k.0,
                    widened,
                    &format!(
                        "also listed as {:?} at {:.6},{:.6} ({}), {:.2} km away",
                        row.name, row.lat, row.lon, row.at, distance_km
                    ),
                )?;
                k.4 = widened;
            }
            report.duplicates.push(Duplicate {
                at: row.at,
                name: row.name,
                of_id: k.0,
                of_name: k.1.clone(),
                distance_km,
                buffer_km: k.4,
                already_registered,
            });
            continue;
        }
        let source = NewIndustrialSource {
            name: row.name.clone(),
            kind: row.kind.clone(),
            lon: row.lon,
            lat: row.lat,
            buffer_km: buffer,
            origin: "registry".into(),
            note: row.note,
            geometry: row.footprint.as_ref().map(polygon_to_geojson),
            source_ref: Some(if row.at.starts_with(&file) {
                row.at.clone()
            } else {
                format!("{file} {}", row.at)
            }),
        };
        let id = store.insert_industrial_source(&source)?;
        known.push((id, row.name.clone(), row.lon, row.lat, buffer, None));
        report.imported.push(Imported {
            at: row.at,
            id,
            name: row.name,
            kind: row.kind,
            buffer_km: buffer,
        });
    }
    Ok(report)
}

fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

const NAME_FIELDS: [&str; 4] = ["name", "名称", "site", "plant"];
const KIND_FIELDS: [&str; 4] = ["type", "kind", "类型", "category"];
const LAT_FIELDS: [&str; 4] = ["lat", "latitude", "纬度", "y"];
const LON_FIELDS: [&str; 6] = ["lon", "lng", "long", "longitude", "经度", "x"];

fn find(headers: &[String], wanted: Option<&str>, defaults: &[&str]) -> Option<usize> {
    let norm = |s: &str| s.trim().trim_start_matches('\u{feff}').to_lowercase();
    match wanted {
        Some(w) => headers.iter().position(|h| norm(h) == norm(w)),
        None => defaults
            .iter()
            .find_map(|d| headers.iter().position(|h| norm(h) == *d)),
    }
}

fn read_csv(
    path: &Path,
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<Vec<Row>, FilterError> {
    let file_err = |message: String| FilterError::File {
        path: path.to_owned(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|source| FilterError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| file_err(format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let (lat_i, lon_i) = match (
        find(&headers, None, &LAT_FIELDS),
        find(&headers, None, &LON_FIELDS),
    ) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(file_err(format!(
                "no latitude/longitude columns (looked for lat/latitude/纬度 and lon/lng/longitude/经度; the header has: {})",
                headers.join(", ")
            )))
        }
    };
    let name_i = find(&headers, options.name_field.as_deref(), &NAME_FIELDS);
    if name_i.is_none() {
        return Err(file_err(format!(
            "no name column{} (the header has: {})",
            options
                .name_field
                .as_deref()
                .map(|n| format!(" {n:?}"))
                .unwrap_or_default(),
            headers.join(", ")
        )));
    }
    let kind_i = find(&headers, options.kind_field.as_deref(), &KIND_FIELDS);
    if let (Some(k), None) = (&options.kind_field, kind_i) {
        return Err(file_err(format!("no type column {k:?}")));
    }
    let buffer_i = find(&headers, None, &["buffer_km"]);
    let note_i = find(&headers, None, &["note", "备注"]);
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                report.rows += 1;
                report.errors.push(RowIssue {
                    at: format!("{label}:{line}"),
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let at = format!("{label}:{line}");
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        report.rows += 1;
        let parsed = (|| -> Result<Row, String> {
            let name = get(name_i).ok_or("no name")?.to_owned();
            let (lon, lat) = coordinates(get(Some(lat_i)), get(Some(lon_i)))?;
            let (lon, lat) = options.crs.to_wgs84(lon, lat);
            let buffer_km = match get(buffer_i) {
                Some(b) => Some(
                    b.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v >= 0.0)
                        .ok_or_else(|| format!("buffer_km {b:?} is not a non-negative number"))?,
                ),
                None => None,
            };
            Ok(Row {
                at: at.clone(),
                kind: get(kind_i)
                    .map(str::to_owned)
                    .or_else(|| options.kind.clone())
                    .unwrap_or_else(|| "unknown".into()),
                name,
                lon,
                lat,
                buffer_km,
                note: get(note_i).map(str::to_owned),
                footprint: None,
            })
        })();
        match parsed {
            Ok(row) => rows.push(row),
            Err(message) => report.errors.push(RowIssue { at, message }),
        }
    }
    Ok(rows)
}

/// Latitude and longitude text to a WGS84 point, or why not.
fn coordinates(lat: Option<&str>, lon: Option<&str>) -> Result<(f64, f64), String> {
    let (lat, lon) = match (lat, lon) {
        (None, None) => return Err("no coordinates (latitude and longitude are empty)".into()),
        (None, Some(_)) => return Err("no latitude".into()),
        (Some(_), None) => return Err("no longitude".into()),
        (Some(a), Some(b)) => (a, b),
    };
    let num = |what: &str, s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{what} {s:?} is not a number in decimal degrees"))
    };
    let (y, x) = (num("latitude", lat)?, num("longitude", lon)?);
    if y == 0.0 && x == 0.0 {
        return Err("coordinates 0,0 are a placeholder, not a site".into());
    }
    if !valid_lon_lat(x, y) {
        let hint = if valid_lon_lat(y, x) {
            " (latitude and longitude swapped?)"
        } else {
            ""
        };
        return Err(format!(
            "impossible coordinates: latitude {y} must be within ±90 and longitude {x} within ±180{hint}"
        ));
    }
    Ok((x, y))
}

fn read_layer(
    path: &Path,
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<Vec<Row>, FilterError> {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    use gdal::vector::{geometry_type_flatten, LayerAccess, OGRwkbGeometryType};
    use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

    let file_err = |message: String| FilterError::File {
        path: path.to_owned(),
        message,
    };
    let dataset = Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            ..Default::default()
        },
    )
    .map_err(|e| file_err(format!("not a vector layer OGR can read: {e}")))?;
    let mut layer = match &options.layer {
        Some(name) => dataset
            .layer_by_name(name)
            .map_err(|_| file_err(format!("no layer {name:?}")))?,
        None => dataset
            .layer(0)
            .map_err(|_| file_err("has no layer".into()))?,
    };
    let fields: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let name_i = find(&fields, options.name_field.as_deref(), &NAME_FIELDS).ok_or_else(|| {
        file_err(format!(
            "no name field (the layer has: {})",
            fields.join(", ")
        ))
    })?;
    let kind_i = find(&fields, options.kind_field.as_deref(), &KIND_FIELDS);
    let buffer_i = find(&fields, None, &["buffer_km"]);
    let note_i = find(&fields, None, &["note", "备注"]);
    // Whatever the layer's frame, geometries come out as lon/lat WGS84 in x/y order.
    let transform = match layer.spatial_ref() {
        Some(srs) => {
            let mut target = SpatialRef::from_epsg(4326)
                .map_err(|e| file_err(format!("cannot set up WGS84: {e}")))?;
            target.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
            Some(
                CoordTransform::new(&srs, &target)
                    .map_err(|e| file_err(format!("cannot transform to WGS84: {e}")))?,
            )
        }
        None => None,
    };
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for (n, feature) in layer.features().enumerate() {
        report.rows += 1;
        let at = format!("{label} feature {}", feature.fid().unwrap_or(n as u64));
        let text = |i: Option<usize>| {
            i.and_then(|i| feature.field_as_string(i).ok().flatten())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let parsed = (|| -> Result<Row, String> {
            let name = text(Some(name_i)).ok_or("no name")?;
            let geometry = match feature.geometry() {
                // SAFETY: only the pointer's value is read (the gdal crate wraps a missing
                // geometry as a null pointer), nothing is dereferenced.
                Some(g) if !unsafe { g.c_geometry() }.is_null() && !g.is_empty() => g,
                _ => return Err("no geometry (no coordinates)".into()),
            };
            let owned;
            let geometry = match &transform {
                Some(t) => {
                    owned = geometry
                        .transform(t)
                        .map_err(|e| format!("cannot transform to WGS84: {e}"))?;
                    &owned
                }
                None => geometry,
            };
            let convert = |x: f64, y: f64| -> Result<(f64, f64), String> {
                let (lon, lat) = options.crs.to_wgs84(x, y);
                if valid_lon_lat(lon, lat) && !(lon == 0.0 && lat == 0.0) {
                    Ok((lon, lat))
                } else {
                    Err(format!(
                        "impossible coordinates ({x}, {y}): not a lon/lat in [-180, 180] x [-90, 90]"
                    ))
                }
            };
            let (lon, lat, footprint) = match geometry_type_flatten(geometry.geometry_type()) {
                OGRwkbGeometryType::wkbPoint => {
                    let (x, y, _) = geometry.get_point(0);
                    let (lon, lat) = convert(x, y)?;
                    (lon, lat, None)
                }
                OGRwkbGeometryType::wkbPolygon | OGRwkbGeometryType::wkbMultiPolygon => {
                    let g: geo::Geometry<f64> = geometry
                        .to_geo()
                        .map_err(|e| format!("unreadable footprint: {e}"))?;
                    let mp = match g {
                        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                        geo::Geometry::MultiPolygon(mp) => mp,
                        _ => return Err("unreadable footprint".into()),
                    };
                    use geo::MapCoords;
                    let mp =
                        mp.try_map_coords(|c| convert(c.x, c.y).map(|(x, y)| geo::Coord { x, y }))?;
                    crate::geom::check_polygon(&mp)?;
                    let (lon, lat) = centroid(&mp).ok_or("the footprint has no area")?;
                    (lon, lat, Some(mp))
                }
                other => {
                    return Err(format!(
                        "a {} is not a site: give points or polygons",
                        gdal::vector::geometry_type_to_name(other)
                    ))
                }
            };
            let buffer_km = match text(buffer_i) {
                Some(b) => Some(
                    b.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v >= 0.0)
                        .ok_or_else(|| format!("buffer_km {b:?} is not a non-negative number"))?,
                ),
                None => None,
            };
            Ok(Row {
                at: at.clone(),
                name,
                kind: text(kind_i)
                    .or_else(|| options.kind.clone())
                    .unwrap_or_else(|| "unknown".into()),
                lon,
                lat,
                buffer_km,
                note: text(note_i),
                footprint,
            })
        })();
        match parsed {
            Ok(row) => rows.push(row),
            Err(message) => report.errors.push(RowIssue { at, message }),
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_core::{ConfidenceClass, Instrument, SourceKind};
    use chrono::Utc;

    fn source(id: i64, name: &str, lon: f64, lat: f64, buffer_km: f64) -> IndustrialSource {
        IndustrialSource {
            id,
            name: name.into(),
            kind: "coal power plant".into(),
            lon,
            lat,
            buffer_km,
            origin: "registry".into(),
            note: None,
            geometry: None,
            source_ref: None,
            created_at: Utc::now(),
        }
    }

    fn viirs(lon: f64, lat: f64) -> Detection {
        Detection {
            source: SourceKind::FirmsViirs,
            instrument: Instrument::Viirs,
            satellite: "Suomi NPP".into(),
            acq_time: Utc::now(),
            lon,
            lat,
            frp_mw: Some(10.0),
            confidence: ConfidenceClass::High,
            confidence_raw: None,
            day_night: None,
            scan_km: Some(0.4),
            track_km: Some(0.4),
            firms_type: None,
            bright_t4_k: None,
            bright_t11_k: None,
        }
    }

    #[test]
    fn a_detection_in_the_buffer_names_the_entry() {
        let cfg = RegistryConfig::default();
        let f = RegistryFilter::new(
            &[
                source(12, "华能曲阜电厂", 116.9338, 35.6078, 1.2),
                source(13, "other", 116.95, 35.6078, 1.2),
            ],
            &cfg,
        )
        .unwrap();
        // 0.9 km north of site 12, 1.7 km from site 13.
        let d = viirs(116.9338, 35.6159);
        assert_eq!(f.check(&d).as_deref(), Some("registry:12:华能曲阜电厂"));
        // 1.5 km away from both: outside both buffers.
        assert_eq!(f.check(&viirs(116.9338, 35.6213)), None);
    }

    #[test]
    fn a_coarse_pixel_reaching_into_the_buffer_is_held_back() {
        let site = [source(1, "p", 116.0, 35.0, 1.0)];
        let strict = RegistryFilter::new(
            &site,
            &RegistryConfig {
                min_pixel_overlap: 0.0,
                ..Default::default()
            },
        )
        .unwrap();
        let default = RegistryFilter::new(&site, &RegistryConfig::default()).unwrap();
        // 2 km east of the site: a 4.8 km MODIS edge pixel reaches 1.4 km into the buffer
        // (about a quarter of the pixel), a 0.4 km VIIRS pixel nowhere near it.
        let (lon, lat) = (116.0 + 2.0 / (111.195 * 35f64.to_radians().cos()), 35.0);
        let mut d = viirs(lon, lat);
        assert_eq!(default.check(&d), None);
        d.scan_km = Some(4.8);
        d.track_km = Some(2.0);
        assert!(default.check(&d).is_some());
        // 3.15 km east: the edge pixel just grazes the buffer; only the strict setting holds it.
        let (lon, _) = (116.0 + 3.15 / (111.195 * 35f64.to_radians().cos()), 35.0);
        d.lon = lon;
        assert_eq!(default.check(&d), None);
        assert!(strict.check(&d).is_some());
    }

    #[test]
    fn a_footprint_holds_back_what_falls_inside_it_or_its_buffer() {
        let mut s = source(3, "大型电厂", 116.51, 35.105, 0.3);
        s.geometry = Some(crate::geom::polygon_to_geojson(
            &crate::geom::polygon_from_ring(&[
                (116.50, 35.10),
                (116.52, 35.10),
                (116.52, 35.11),
                (116.50, 35.11),
                (116.50, 35.10),
            ]),
        ));
        let f = RegistryFilter::new(&[s], &RegistryConfig::default()).unwrap();
        // A corner of the 1.8 × 1.1 km footprint is 1 km from its centroid: held back.
        assert!(f.check(&viirs(116.5005, 35.1005)).is_some());
        // 0.2 km east of the footprint: inside the buffer.
        assert!(f.check(&viirs(116.5222, 35.105)).is_some());
        // 0.8 km east: outside, even with the pixel's reach.
        assert_eq!(f.check(&viirs(116.5288, 35.105)), None);
    }

    #[test]
    fn impossible_coordinates_say_why() {
        assert!(coordinates(None, None)
            .unwrap_err()
            .contains("no coordinates"));
        assert!(coordinates(Some("35.1"), None)
            .unwrap_err()
            .contains("no longitude"));
        let swapped = coordinates(Some("116.9"), Some("35.6")).unwrap_err();
        assert!(swapped.contains("swapped"), "{swapped}");
        assert!(coordinates(Some("0"), Some("0"))
            .unwrap_err()
            .contains("placeholder"));
        assert!(coordinates(Some("35°36'"), Some("116.9"))
            .unwrap_err()
            .contains("not a number"));
        assert!(coordinates(Some("NaN"), Some("116.9")).is_err());
        assert_eq!(
            coordinates(Some("35.6"), Some("116.9")).unwrap(),
            (116.9, 35.6)
        );
    }
}
