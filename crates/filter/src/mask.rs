//! The cropland mask: any raster GDAL reads, in whatever coordinate system it declares. A
//! detection whose point is off cropland is kept and routed, but classed "not_straw" so the
//! statistics can tell it apart from a possible straw fire.
//!
//! lon/lat are carried into the raster's frame through a control grid: exact GDAL
//! transformations at nodes every ~1 km, bilinear in between (what GDAL's own approximate warp
//! transformer does). Over 1 km the curvature of a mapping projection moves a point by about a
//! centimetre, far below any mask pixel, and the grid is plain data, so the mask can be shared
//! across threads and called from SQLite.

use crate::FilterError;
use burnwatch_core::filter_config::CroplandConfig;
use burnwatch_store::SqliteStore;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::Dataset;
use rusqlite::functions::FunctionFlags;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FireClass {
    /// On cropland: possibly a straw fire.
    Straw,
    /// Off cropland (a town, a factory, water, forest): kept, routed, but not straw.
    NotStraw,
}

impl FireClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FireClass::Straw => "straw",
            FireClass::NotStraw => "not_straw",
        }
    }
}

/// Control-grid spacing, degrees (about 1 km).
const GRID_STEP_DEG: f64 = 0.01;
/// Upper bound on control nodes per axis, so a continental raster stays cheap to open.
const MAX_NODES: usize = 2000;

/// lon/lat → raster frame by bilinear interpolation between exactly transformed nodes.
struct ControlGrid {
    lon0: f64,
    lat0: f64,
    step: f64,
    nx: usize,
    ny: usize,
    /// Raster-frame x, y per node, row-major from (lon0, lat0); NaN where GDAL failed.
    xy: Vec<(f64, f64)>,
}

impl ControlGrid {
    fn build(
        to_raster: &CoordTransform,
        bounds: (f64, f64, f64, f64),
    ) -> Result<Self, gdal::errors::GdalError> {
        let (w, s, e, n) = bounds;
        let span = (e - w).max(n - s);
        let step = GRID_STEP_DEG.max(span / (MAX_NODES - 1) as f64);
        let nx = ((e - w) / step).ceil() as usize + 2;
        let ny = ((n - s) / step).ceil() as usize + 2;
        let mut xs = Vec::with_capacity(nx * ny);
        let mut ys = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                xs.push(w + i as f64 * step);
                ys.push(s + j as f64 * step);
            }
        }
        let mut xy = Vec::with_capacity(nx * ny);
        // Row by row, so a node GDAL cannot transform spoils one row's call, not the grid.
        for j in 0..ny {
            let r = j * nx..(j + 1) * nx;
            let (mut x, mut y) = (xs[r.clone()].to_vec(), ys[r.clone()].to_vec());
            if to_raster.transform_coords(&mut x, &mut y, &mut []).is_ok() {
                xy.extend(x.into_iter().zip(y));
            } else {
                for k in r {
                    let (mut x, mut y) = ([xs[k]], [ys[k]]);
                    match to_raster.transform_coords(&mut x, &mut y, &mut []) {
                        Ok(()) => xy.push((x[0], y[0])),
                        Err(_) => xy.push((f64::NAN, f64::NAN)),
                    }
                }
            }
        }
        Ok(Self {
            lon0: w,
            lat0: s,
            step,
            nx,
            ny,
            xy,
        })
    }

    fn to_raster(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let fx = (lon - self.lon0) / self.step;
        let fy = (lat - self.lat0) / self.step;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (i, j) = (fx.floor() as usize, fy.floor() as usize);
        if i + 1 >= self.nx || j + 1 >= self.ny {
            return None;
        }
        let (u, v) = (fx - i as f64, fy - j as f64);
        let at = |i: usize, j: usize| self.xy[j * self.nx + i];
        let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1));
        let x = (1.0 - v) * ((1.0 - u) * a.0 + u * b.0) + v * ((1.0 - u) * c.0 + u * d.0);
        let y = (1.0 - v) * ((1.0 - u) * a.1 + u * b.1) + v * ((1.0 - u) * c.1 + u * d.1);
        (x.is_finite() && y.is_finite()).then_some((x, y))
    }
}

/// How lon/lat reach the raster's frame.
enum Frame {
    /// The raster is lon/lat on WGS84 (or CGCS2000, the same here).
    LonLat,
    Projected(ControlGrid),
}

pub struct CroplandMask {
    path: PathBuf,
    dataset: Mutex<Dataset>,
    band: usize,
    crop_values: Vec<f64>,
    nodata: Option<f64>,
    size: (usize, usize),
    /// The raster's affine geotransform: column, row → frame x, y.
    forward: [f64; 6],
    /// Inverse of the raster's affine geotransform: frame x, y → column, row.
    inverse: [f64; 6],
    frame: Frame,
}

/// One region's share of the mask: the area its pixels cover and how much of it is cropland.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CroplandArea {
    pub cropland_ha: f64,
    /// Pixels with a value (not nodata) whose centre lies in the region.
    pub mapped_ha: f64,
}

impl CroplandMask {
    pub fn open(config: &CroplandConfig) -> Result<Self, FilterError> {
        let path = config.path.clone();
        let err = |message: String| FilterError::Mask {
            path: path.clone(),
            message,
        };
        let dataset = Dataset::open(&path).map_err(|e| err(format!("cannot open: {e}")))?;
        let band = dataset
            .rasterband(config.band)
            .map_err(|e| err(format!("no band {}: {e}", config.band)))?;
        let nodata = band.no_data_value();
        let size = dataset.raster_size();
        let gt = dataset
            .geo_transform()
            .map_err(|e| err(format!("has no geotransform: {e}")))?;
        let det = gt[1] * gt[5] - gt[2] * gt[4];
        if det == 0.0 || !det.is_finite() {
            return Err(err("its geotransform cannot be inverted".into()));
        }
        // (x - gt0, y - gt3) = [[gt1, gt2], [gt4, gt5]] · (col, row)
        let inverse = [
            gt[0],
            gt[3],
            gt[5] / det,
            -gt[2] / det,
            -gt[4] / det,
            gt[1] / det,
        ];
        let mut srs = dataset.spatial_ref().map_err(|_| {
            err(
                "declares no coordinate system; set one (e.g. gdal_edit.py -a_srs EPSG:32650)"
                    .into(),
            )
        })?;
        srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut wgs84 =
            SpatialRef::from_epsg(4326).map_err(|e| err(format!("cannot set up WGS84: {e}")))?;
        wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let lon_lat = srs.is_geographic()
            && matches!(
                (srs.auth_name().as_deref(), srs.auth_code().ok()),
                (Some("EPSG"), Some(4326 | 4490))
            );
        let frame = if lon_lat {
            Frame::LonLat
        } else {
            let to_raster = CoordTransform::new(&wgs84, &srs)
                .map_err(|e| err(format!("cannot transform WGS84 into its frame: {e}")))?;
            let to_wgs84 = CoordTransform::new(&srs, &wgs84)
                .map_err(|e| err(format!("cannot transform its frame to WGS84: {e}")))?;
            // The raster's outline in lon/lat, from points along its edges.
            let (w, h) = (size.0 as f64, size.1 as f64);
            let mut xs = Vec::new();
            let mut ys = Vec::new();
            for k in 0..=16 {
                let f = k as f64 / 16.0;
                for (c, r) in [(f * w, 0.0), (f * w, h), (0.0, f * h), (w, f * h)] {
                    xs.push(gt[0] + c * gt[1] + r * gt[2]);
                    ys.push(gt[3] + c * gt[4] + r * gt[5]);
                }
            }
            to_wgs84
                .transform_coords(&mut xs, &mut ys, &mut [])
                .map_err(|e| err(format!("its extent has no place in WGS84: {e}")))?;
            let fold =
                |v: &[f64], f: fn(f64, f64) -> f64, start: f64| v.iter().copied().fold(start, f);
            let bounds = (
                fold(&xs, f64::min, f64::INFINITY),
                fold(&ys, f64::min, f64::INFINITY),
                fold(&xs, f64::max, f64::NEG_INFINITY),
                fold(&ys, f64::max, f64::NEG_INFINITY),
            );
            Frame::Projected(
                ControlGrid::build(&to_raster, bounds)
                    .map_err(|e| err(format!("cannot build the control grid: {e}")))?,
            )
        };
        Ok(Self {
            path: path.clone(),
            dataset: Mutex::new(dataset),
            band: config.band,
            crop_values: config.crop_values.clone(),
            nodata,
            size,
            forward: gt,
            inverse,
            frame,
        })
    }

    /// The raster value under a lon/lat point; `None` outside the raster or on nodata.
    pub fn value_at(&self, lon: f64, lat: f64) -> Option<f64> {
        let (x, y) = match &self.frame {
            Frame::LonLat => (lon, lat),
            Frame::Projected(grid) => grid.to_raster(lon, lat)?,
        };
        let [x0, y0, a, b, c, d] = self.inverse;
        let col = a * (x - x0) + b * (y - y0);
        let row = c * (x - x0) + d * (y - y0);
        if !(col >= 0.0 && row >= 0.0 && col < self.size.0 as f64 && row < self.size.1 as f64) {
            return None;
        }
        let dataset = self.dataset.lock().unwrap_or_else(|p| p.into_inner());
        let band = dataset.rasterband(self.band).ok()?;
        let v = band
            .read_as::<f64>((col as isize, row as isize), (1, 1), (1, 1), None)
            .ok()?
            .data()[0];
        match self.nodata {
            Some(nd) if v == nd || (nd.is_nan() && v.is_nan()) => None,
            _ => Some(v),
        }
    }

    /// Straw (on cropland) or not; `None` where the mask says nothing.
    pub fn class_at(&self, lon: f64, lat: f64) -> Option<FireClass> {
        self.value_at(lon, lat).map(|v| {
            if self.crop_values.contains(&v) {
                FireClass::Straw
            } else {
                FireClass::NotStraw
            }
        })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Zonal statistics over the pixels inside `bounds` (west, south, east, north in lon/lat):
    /// a pixel whose centre `locate` places in region `i` adds its ground area to entry `i`,
    /// and to its cropland when its value is a crop value. The raster is read a row at a time,
    /// so a 10 m national mask costs no more memory than one row of it.
    pub fn measure(
        &self,
        bounds: [f64; 4],
        regions: usize,
        locate: impl Fn(f64, f64) -> Option<usize>,
    ) -> Result<Vec<CroplandArea>, FilterError> {
        let err = |message: String| FilterError::Mask {
            path: self.path.clone(),
            message,
        };
        let dataset = self.dataset.lock().unwrap_or_else(|p| p.into_inner());
        let to_wgs84 = match self.frame {
            Frame::LonLat => None,
            Frame::Projected(_) => {
                let mut srs = dataset
                    .spatial_ref()
                    .map_err(|e| err(format!("no coordinate system: {e}")))?;
                srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
                let mut wgs84 = SpatialRef::from_epsg(4326)
                    .map_err(|e| err(format!("cannot set up WGS84: {e}")))?;
                wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
                Some(
                    CoordTransform::new(&srs, &wgs84)
                        .map_err(|e| err(format!("cannot transform its frame to WGS84: {e}")))?,
                )
            }
        };
        // The pixel window that covers the bounds: their outline carried into the raster.
        let [w, s, e, n] = bounds;
        let (mut c0, mut r0, mut c1, mut r1) = (f64::INFINITY, f64::INFINITY, 0.0f64, 0.0f64);
        for k in 0..=32 {
            let f = k as f64 / 32.0;
            for (lon, lat) in [
                (w + f * (e - w), s),
                (w + f * (e - w), n),
                (w, s + f * (n - s)),
                (e, s + f * (n - s)),
            ] {
                let (x, y) = match &self.frame {
                    Frame::LonLat => (lon, lat),
                    Frame::Projected(grid) => match grid.to_raster(lon, lat) {
                        Some(xy) => xy,
                        None => continue,
                    },
                };
                let [x0, y0, a, b, c, d] = self.inverse;
                let col = a * (x - x0) + b * (y - y0);
                let row = c * (x - x0) + d * (y - y0);
                (c0, r0, c1, r1) = (c0.min(col), r0.min(row), c1.max(col), r1.max(row));
            }
        }
        let clamp = |v: f64, max: usize| (v.max(0.0) as usize).min(max);
        let (c0, c1) = (
            clamp(c0.floor() - 1.0, self.size.0),
            clamp(c1.ceil() + 1.0, self.size.0),
        );
        let (r0, r1) = (
            clamp(r0.floor() - 1.0, self.size.1),
            clamp(r1.ceil() + 1.0, self.size.1),
        );
        let mut out = vec![CroplandArea::default(); regions];
        if c0 >= c1 || r0 >= r1 {
            return Ok(out);
        }
        let band = dataset
            .rasterband(self.band)
            .map_err(|e| err(format!("no band {}: {e}", self.band)))?;
        let width = c1 - c0;
        let [g0, g1, g2, g3, g4, g5] = self.forward;
        let frame_xy = |col: f64, row: f64| (g0 + col * g1 + row * g2, g3 + col * g4 + row * g5);
        let to_lon_lat = |xs: &mut [f64], ys: &mut [f64]| -> Result<(), FilterError> {
            match &to_wgs84 {
                None => Ok(()),
                Some(t) => t
                    .transform_coords(xs, ys, &mut [])
                    .map_err(|e| err(format!("cannot carry pixels to WGS84: {e}"))),
            }
        };
        for row in r0..r1 {
            let values = band
                .read_as::<f64>((c0 as isize, row as isize), (width, 1), (width, 1), None)
                .map_err(|e| err(format!("cannot read row {row}: {e}")))?;
            // A pixel's ground area, from the middle pixel of the row: exact along a row of a
            // lon/lat raster, and within a fraction of a per cent across a province-sized row of
            // a conformal projection.
            let mid = (c0 + c1) as f64 / 2.0;
            let (mut qx, mut qy): (Vec<f64>, Vec<f64>) =
                [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
                    .iter()
                    .map(|(dc, dr)| frame_xy(mid.floor() + dc, row as f64 + dr))
                    .unzip();
            to_lon_lat(&mut qx, &mut qy)?;
            let quad = geo::Polygon::new(
                geo::LineString::from(
                    qx.iter()
                        .copied()
                        .zip(qy.iter().copied())
                        .collect::<Vec<_>>(),
                ),
                vec![],
            );
            let pixel_ha =
                geo::ChamberlainDuquetteArea::chamberlain_duquette_unsigned_area(&quad) / 10_000.0;
            let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = (c0..c1)
                .map(|col| frame_xy(col as f64 + 0.5, row as f64 + 0.5))
                .unzip();
            to_lon_lat(&mut xs, &mut ys)?;
            for (k, v) in values.data().iter().enumerate() {
                let nodata = match self.nodata {
                    Some(nd) => *v == nd || (nd.is_nan() && v.is_nan()),
                    None => false,
                };
                if nodata {
                    continue;
                }
                if let Some(i) = locate(xs[k], ys[k]).filter(|i| *i < regions) {
                    out[i].mapped_ha += pixel_ha;
                    if self.crop_values.contains(v) {
                        out[i].cropland_ha += pixel_ha;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Makes this store connection write the cropland class of every detection it inserts, inside
/// the insert's own transaction: a SQL function backed by the mask, and a TEMP trigger (it lives
/// and dies with this connection, so a store opened without a mask classes nothing).
pub fn install_classifier(store: &SqliteStore, mask: Arc<CroplandMask>) -> Result<(), FilterError> {
    let conn = store.connection();
    conn.create_scalar_function(
        "burnwatch_fire_class",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            let lon: f64 = ctx.get(0)?;
            let lat: f64 = ctx.get(1)?;
            Ok(mask.class_at(lon, lat).map(FireClass::as_str))
        },
    )?;
    conn.execute_batch(
        "CREATE TEMP TRIGGER IF NOT EXISTS burnwatch_fire_class
         AFTER INSERT ON main.detections WHEN NEW.fire_class IS NULL
         BEGIN
             UPDATE detections SET fire_class = burnwatch_fire_class(NEW.lon, NEW.lat)
             WHERE id = NEW.id;
         END;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdal::raster::Buffer;
    use gdal::DriverManager;

    /// A 0/1 raster in UTM 50N (EPSG:32650), 100 m pixels, cropland except one block.
    fn utm_mask(dir: &std::path::Path) -> (PathBuf, (f64, f64)) {
        let path = dir.join("mask_utm.tif");
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver
            .create_with_band_type::<u8, _>(&path, 200, 200, 1)
            .unwrap();
        // Upper-left corner near 116.3E 35.2N.
        let (e0, n0) = (436_000.0, 3_896_000.0);
        ds.set_geo_transform(&[e0, 100.0, 0.0, n0, 0.0, -100.0])
            .unwrap();
        ds.set_spatial_ref(&SpatialRef::from_epsg(32650).unwrap())
            .unwrap();
        let mut data = vec![1u8; 200 * 200];
        // Columns 50..60, rows 50..60 are a town (0).
        for r in 50..60 {
            for c in 50..60 {
                data[r * 200 + c] = 0;
            }
        }
        let mut buf = Buffer::new((200, 200), data);
        let mut band = ds.rasterband(1).unwrap();
        band.set_no_data_value(Some(255.0)).unwrap();
        band.write((0, 0), (200, 200), &mut buf).unwrap();
        // Closing the dataset writes the file.
        drop(ds);
        (path, (e0, n0))
    }

    fn utm_to_lonlat(e: f64, n: f64) -> (f64, f64) {
        let mut src = SpatialRef::from_epsg(32650).unwrap();
        src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut dst = SpatialRef::from_epsg(4326).unwrap();
        dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let t = CoordTransform::new(&src, &dst).unwrap();
        let (mut x, mut y) = ([e], [n]);
        t.transform_coords(&mut x, &mut y, &mut []).unwrap();
        (x[0], y[0])
    }

    #[test]
    fn a_projected_mask_is_read_where_the_point_really_is() {
        let dir = tempfile::tempdir().unwrap();
        let (path, (e0, n0)) = utm_mask(dir.path());
        let mask = CroplandMask::open(&CroplandConfig {
            path,
            band: 1,
            crop_values: vec![1.0],
        })
        .unwrap();
        // Centre of the town block, and 30 m inside each of its edges.
        let town = utm_to_lonlat(e0 + 5_500.0, n0 - 5_500.0);
        assert_eq!(mask.class_at(town.0, town.1), Some(FireClass::NotStraw));
        let inside_edge = utm_to_lonlat(e0 + 5_030.0, n0 - 5_500.0);
        assert_eq!(
            mask.class_at(inside_edge.0, inside_edge.1),
            Some(FireClass::NotStraw)
        );
        let outside_edge = utm_to_lonlat(e0 + 4_970.0, n0 - 5_500.0);
        assert_eq!(
            mask.class_at(outside_edge.0, outside_edge.1),
            Some(FireClass::Straw)
        );
        // Far outside the raster: no class.
        assert_eq!(mask.class_at(118.0, 35.0), None);
    }

    #[test]
    fn the_control_grid_matches_gdal_to_centimetres() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = utm_mask(dir.path());
        let mask = CroplandMask::open(&CroplandConfig {
            path,
            band: 1,
            crop_values: vec![1.0],
        })
        .unwrap();
        let Frame::Projected(grid) = &mask.frame else {
            panic!("a UTM raster needs a control grid");
        };
        let mut src = SpatialRef::from_epsg(4326).unwrap();
        src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut dst = SpatialRef::from_epsg(32650).unwrap();
        dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let exact = CoordTransform::new(&src, &dst).unwrap();
        for k in 0..50 {
            let lon = 116.31 + 0.0037 * k as f64;
            let lat = 35.04 + 0.0029 * k as f64;
            let (x, y) = grid.to_raster(lon, lat).unwrap();
            let (mut ex, mut ey) = ([lon], [lat]);
            exact.transform_coords(&mut ex, &mut ey, &mut []).unwrap();
            let err = ((x - ex[0]).powi(2) + (y - ey[0]).powi(2)).sqrt();
            assert!(err < 0.05, "{err} m at {lon},{lat}");
        }
    }

    #[test]
    fn a_mask_without_a_coordinate_system_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nocrs.asc");
        std::fs::write(
            &path,
            "ncols 2\nnrows 2\nxllcorner 116\nyllcorner 35\ncellsize 0.01\n1 1\n1 0\n",
        )
        .unwrap();
        let e = CroplandMask::open(&CroplandConfig {
            path,
            band: 1,
            crop_values: vec![1.0],
        })
        .err()
        .expect("refused")
        .to_string();
        assert!(e.contains("no coordinate system"), "{e}");
    }
}
