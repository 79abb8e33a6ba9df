//! Administrative polygons and the routing of a fire point to the region that owns it.
//!
//! - [`load_layer`] reads any polygon layer OGR can open (GeoJSON, Shapefile, GeoPackage, …) into
//!   [`Region`]s in WGS84 lon/lat, converting GCJ-02 boundary files on the way in.
//! - [`RegionIndex`] answers "which region contains this point" ([`RegionIndex::locate`], a grid
//!   over an R-tree, provably identical to [`RegionIndex::locate_exact`]) and "which other regions
//!   are within a few hundred metres" ([`RegionIndex::neighbours_within`]).
//! - [`route_csv`] appends `region_id,region_name` to every row of a CSV of points.
//!
//! A point on a region's border belongs to that region (geo's `Intersects`: polygons are closed);
//! where several regions claim a point (a shared border, overlapping data) the one listed first in
//! the index wins, so the answer never depends on the query path.

mod index;
mod load;
mod route;
pub mod synthetic;

pub use index::{IndexStats, RegionIndex};
pub use load::{link_parents, load_layer};
pub use route::{route_csv, RouteStats};

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// The administrative level of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    County,
    Township,
    Village,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One administrative area, in WGS84 lon/lat (x = lon, y = lat).
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub parent_id: Option<String>,
    pub geometry: geo::MultiPolygon<f64>,
}

#[derive(Debug, Error)]
pub enum RegionError {
    #[error("cannot open {path} as a vector layer: {source}")]
    Open {
        path: PathBuf,
        source: Box<gdal::errors::GdalError>,
    },
    #[error("{path}: no layer {layer:?}")]
    NoLayer { path: PathBuf, layer: String },
    #[error("{path}: the layer has no features")]
    EmptyLayer { path: PathBuf },
    #[error("{path}: layer has no field {field:?} (fields: {available})")]
    MissingField {
        path: PathBuf,
        field: String,
        available: String,
    },
    #[error("{path}: {feature}: field {field:?} cannot be read: {source}")]
    Field {
        path: PathBuf,
        feature: String,
        field: String,
        source: Box<gdal::errors::GdalError>,
    },
    #[error("{path}: {feature}: empty id in field {field:?}")]
    EmptyId {
        path: PathBuf,
        feature: String,
        field: String,
    },
    #[error("{path}: {feature}: {reason}")]
    Geometry {
        path: PathBuf,
        feature: String,
        reason: String,
    },
    #[error("{path}: cannot convert the layer's coordinate system to WGS84: {source}")]
    Crs {
        path: PathBuf,
        source: Box<gdal::errors::GdalError>,
    },
    #[error("CSV has no lon/lat or longitude/latitude columns (header: {header})")]
    MissingLonLat { header: String },
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
