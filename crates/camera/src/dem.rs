//! A digital elevation model for single-camera ranging: any GDAL raster in lon/lat (SRTM,
//! ASTER GDEM, Copernicus DEM are distributed so), read once into memory for the area the
//! cameras can see, sampled bilinearly.

use crate::CameraError;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Dem {
    /// Geotransform of the window read: lon = gt0 + col·gt1, lat = gt3 + row·gt5 (pixel corners).
    gt: [f64; 6],
    cols: usize,
    rows: usize,
    heights: Vec<f32>,
}

impl Dem {
    /// Heights over a constant field (tests, or a plain without a DEM file).
    pub fn from_grid(gt: [f64; 6], cols: usize, rows: usize, heights: Vec<f32>) -> Self {
        assert_eq!(heights.len(), cols * rows, "grid size");
        Self {
            gt,
            cols,
            rows,
            heights,
        }
    }

    /// Reads the part of `path` covering `bbox` (west, south, east, north); heights in metres,
    /// nodata becomes NaN (no height there).
    pub fn load(path: &Path, bbox: [f64; 4]) -> Result<Self, CameraError> {
        let err = |reason: String| CameraError::Dem {
            path: path.to_owned(),
            reason,
        };
        let ds = gdal::Dataset::open(path).map_err(|e| err(e.to_string()))?;
        if let Ok(srs) = ds.spatial_ref() {
            if srs.is_projected() {
                return Err(err(
                    "the DEM is in a projected CRS; give it in lon/lat (e.g. gdalwarp -t_srs EPSG:4326)".into(),
                ));
            }
        }
        let gt = ds
            .geo_transform()
            .map_err(|e| err(format!("no geotransform: {e}")))?;
        if gt[2] != 0.0 || gt[4] != 0.0 || gt[1] <= 0.0 || gt[5] >= 0.0 {
            return Err(err("rotated or south-up rasters are not supported".into()));
        }
        let band = ds.rasterband(1).map_err(|e| err(e.to_string()))?;
        let (w, h) = ds.raster_size();
        let col = |lon: f64| ((lon - gt[0]) / gt[1]).floor() as i64;
        let row = |lat: f64| ((lat - gt[3]) / gt[5]).floor() as i64;
        let c0 = (col(bbox[0]) - 1).clamp(0, w as i64);
        let c1 = (col(bbox[2]) + 2).clamp(0, w as i64);
        let r0 = (row(bbox[3]) - 1).clamp(0, h as i64);
        let r1 = (row(bbox[1]) + 2).clamp(0, h as i64);
        if c1 <= c0 || r1 <= r0 {
            return Err(err(format!(
                "the DEM does not cover the cameras' area {bbox:?}"
            )));
        }
        let (cols, rows) = ((c1 - c0) as usize, (r1 - r0) as usize);
        let buf = band
            .read_as::<f32>((c0 as isize, r0 as isize), (cols, rows), (cols, rows), None)
            .map_err(|e| err(e.to_string()))?;
        let nodata = band.no_data_value();
        let heights = buf
            .data()
            .iter()
            .map(|&v| {
                if nodata.is_some_and(|nd| (v as f64 - nd).abs() < 1e-6) || v < -1000.0 {
                    f32::NAN
                } else {
                    v
                }
            })
            .collect();
        Ok(Self {
            gt: [
                gt[0] + c0 as f64 * gt[1],
                gt[1],
                0.0,
                gt[3] + r0 as f64 * gt[5],
                0.0,
                gt[5],
            ],
            cols,
            rows,
            heights,
        })
    }

    /// Pixel size along latitude, m (for the ray-marching step).
    pub fn pixel_m(&self) -> f64 {
        self.gt[5].abs() * 111_000.0
    }

    /// Height at a point (bilinear between pixel centres), or None outside or on nodata.
    pub fn height(&self, lon: f64, lat: f64) -> Option<f64> {
        let fx = (lon - self.gt[0]) / self.gt[1] - 0.5;
        let fy = (lat - self.gt[3]) / self.gt[5] - 0.5;
        if !(fx >= -0.5
            && fy >= -0.5
            && fx <= self.cols as f64 - 0.5
            && fy <= self.rows as f64 - 0.5)
        {
            return None;
        }
        let x0 = (fx.floor().max(0.0) as usize).min(self.cols - 1);
        let y0 = (fy.floor().max(0.0) as usize).min(self.rows - 1);
        let x1 = (x0 + 1).min(self.cols - 1);
        let y1 = (y0 + 1).min(self.rows - 1);
        let (wx, wy) = (
            (fx - x0 as f64).clamp(0.0, 1.0),
            (fy - y0 as f64).clamp(0.0, 1.0),
        );
        let at = |x: usize, y: usize| self.heights[y * self.cols + x] as f64;
        let v = (at(x0, y0) * (1.0 - wx) + at(x1, y0) * wx) * (1.0 - wy)
            + (at(x0, y1) * (1.0 - wx) + at(x1, y1) * wx) * wy;
        v.is_finite().then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_geotiff_dem_is_read_and_sampled_bilinearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dem.tif");
        {
            let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
            let mut ds = driver
                .create_with_band_type::<f32, _>(&path, 100, 80, 1)
                .unwrap();
            ds.set_geo_transform(&[116.0, 0.01, 0.0, 36.0, 0.0, -0.01])
                .unwrap();
            let srs = gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap();
            ds.set_spatial_ref(&srs).unwrap();
            // Height rises 1 m per column eastward.
            let data: Vec<f32> = (0..80 * 100).map(|i| (i % 100) as f32).collect();
            let mut buf = gdal::raster::Buffer::new((100, 80), data);
            ds.rasterband(1)
                .unwrap()
                .write((0, 0), (100, 80), &mut buf)
                .unwrap();
        }
        let dem = Dem::load(&path, [116.2, 35.5, 116.5, 35.8]).unwrap();
        // Column 30's centre is at lon 116.305: height 30; halfway to column 31: 30.5.
        assert!((dem.height(116.305, 35.6).unwrap() - 30.0).abs() < 1e-6);
        assert!((dem.height(116.31, 35.6).unwrap() - 30.5).abs() < 1e-6);
        assert!(dem.height(110.0, 35.6).is_none());
        assert!(Dem::load(&path, [100.0, 10.0, 101.0, 11.0]).is_err());
    }
}
