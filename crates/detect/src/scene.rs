//! A granule in memory: brightness temperatures (K, f32, NaN = invalid), optional reflectances,
//! masks and angles, all `[rows, cols]`, plus where each pixel is and when the scene was taken.

use chrono::{DateTime, Utc};
use ndarray::Array2;

/// Pixel → lon/lat.
#[derive(Debug, Clone)]
pub enum Geolocation {
    /// GDAL geotransform of a WGS84 lon/lat grid (x = lon, y = lat, pixel corners).
    Grid([f64; 6]),
    /// Per-pixel latitude/longitude arrays (swath data), degrees.
    Swath { lat: Array2<f32>, lon: Array2<f32> },
    /// A geotransform in a projected CRS (WKT): positions go through GDAL/PROJ to WGS84.
    Projected { gt: [f64; 6], wkt: String },
}

impl Geolocation {
    /// Lon/lat of the centre of pixel (row, col).
    pub fn lon_lat(&self, row: usize, col: usize) -> (f64, f64) {
        match self {
            Geolocation::Grid(gt) => {
                let (x, y) = (col as f64 + 0.5, row as f64 + 0.5);
                (gt[0] + x * gt[1] + y * gt[2], gt[3] + x * gt[4] + y * gt[5])
            }
            Geolocation::Swath { lat, lon } => (lon[[row, col]] as f64, lat[[row, col]] as f64),
            Geolocation::Projected { gt, wkt } => {
                let (x, y) = (col as f64 + 0.5, row as f64 + 0.5);
                let mut xs = [gt[0] + x * gt[1] + y * gt[2]];
                let mut ys = [gt[3] + x * gt[4] + y * gt[5]];
                to_wgs84(wkt, &mut xs, &mut ys).map_or((f64::NAN, f64::NAN), |_| (xs[0], ys[0]))
            }
        }
    }

    /// Pixel size of a lon/lat grid at (row, col), km along x and y.
    pub fn grid_pixel_km(&self, row: usize, col: usize) -> Option<(f64, f64)> {
        match self {
            Geolocation::Grid(gt) => {
                let (_, lat) = self.lon_lat(row, col);
                let km_per_deg = 111.32;
                let dx =
                    (gt[1].powi(2) + gt[4].powi(2)).sqrt() * km_per_deg * lat.to_radians().cos();
                let dy = (gt[2].powi(2) + gt[5].powi(2)).sqrt() * km_per_deg;
                Some((dx, dy))
            }
            Geolocation::Swath { .. } | Geolocation::Projected { .. } => None,
        }
    }
}

/// Projected x/y → WGS84 lon/lat in place. Both ends use the traditional GIS axis order: GDAL 3
/// otherwise honours EPSG:4326's authority order and hands back (lat, lon).
fn to_wgs84(wkt: &str, xs: &mut [f64], ys: &mut [f64]) -> Option<()> {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    let mut src = SpatialRef::from_wkt(wkt).ok()?;
    src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut dst = SpatialRef::from_epsg(4326).ok()?;
    dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let t = CoordTransform::new(&src, &dst).ok()?;
    t.transform_coords(xs, ys, &mut []).ok()
}

/// An angle field: per pixel, one value for the scene, or absent.
#[derive(Debug, Clone, Default)]
pub enum Field {
    PerPixel(Array2<f32>),
    Constant(f32),
    #[default]
    Absent,
}

impl Field {
    #[inline]
    pub fn at(&self, row: usize, col: usize) -> Option<f32> {
        match self {
            Field::PerPixel(a) => Some(a[[row, col]]),
            Field::Constant(v) => Some(*v),
            Field::Absent => None,
        }
    }

    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Absent)
    }

    pub fn row(&self, row: usize) -> Option<&[f32]> {
        match self {
            Field::PerPixel(a) => a.row(row).to_slice(),
            _ => None,
        }
    }
}

/// A band whose shape differs from the MIR band's: (name, its shape, the MIR shape).
pub type ShapeMismatch = (String, (usize, usize), (usize, usize));

/// Facts about the granule as a whole.
#[derive(Debug, Clone)]
pub struct SceneMeta {
    /// Platform ("Suomi NPP", "Aqua", "Himawari-9"); the profile's default when the file is silent.
    pub satellite: Option<String>,
    /// Acquisition start, UTC.
    pub start: Option<DateTime<Utc>>,
    /// The sensor profile the granule names (`SENSOR_PROFILE` metadata), if any.
    pub profile: Option<String>,
    /// The instrument the granule names, if any (used to pick a profile).
    pub instrument: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Scene {
    /// Middle-infrared brightness temperature T4, K.
    pub mir: Array2<f32>,
    /// Thermal-infrared brightness temperature T11, K.
    pub tir: Array2<f32>,
    /// Low-gain MIR (MODIS band 21), used where `mir` is saturated.
    pub mir_high: Option<Array2<f32>>,
    /// ~12 µm brightness temperature for the cloud test.
    pub tir12: Option<Array2<f32>>,
    /// Reflectances (0–1).
    pub red: Option<Array2<f32>>,
    pub nir: Option<Array2<f32>>,
    pub swir: Option<Array2<f32>>,
    /// 1 = cloud.
    pub cloud: Option<Array2<u8>>,
    /// 1 = water.
    pub water: Option<Array2<u8>>,
    /// Degrees.
    pub solar_zenith: Field,
    pub view_zenith: Field,
    pub solar_azimuth: Field,
    pub view_azimuth: Field,
    pub geo: Geolocation,
    pub meta: SceneMeta,
}

impl Scene {
    /// A scene of the two required bands only; the rest is absent.
    pub fn new(mir: Array2<f32>, tir: Array2<f32>, geo: Geolocation) -> Self {
        Self {
            mir,
            tir,
            mir_high: None,
            tir12: None,
            red: None,
            nir: None,
            swir: None,
            cloud: None,
            water: None,
            solar_zenith: Field::Absent,
            view_zenith: Field::Absent,
            solar_azimuth: Field::Absent,
            view_azimuth: Field::Absent,
            geo,
            meta: SceneMeta {
                satellite: None,
                start: None,
                profile: None,
                instrument: None,
            },
        }
    }

    pub fn rows(&self) -> usize {
        self.mir.nrows()
    }

    pub fn cols(&self) -> usize {
        self.mir.ncols()
    }

    /// Bytes of the arrays the scene holds (for memory accounting).
    pub fn input_bytes(&self) -> usize {
        let f = |a: &Option<Array2<f32>>| a.as_ref().map_or(0, |a| a.len() * 4);
        let b = |a: &Option<Array2<u8>>| a.as_ref().map_or(0, |a| a.len());
        let field = |x: &Field| match x {
            Field::PerPixel(a) => a.len() * 4,
            _ => 0,
        };
        let geo = match &self.geo {
            Geolocation::Swath { lat, lon } => (lat.len() + lon.len()) * 4,
            Geolocation::Grid(_) | Geolocation::Projected { .. } => 0,
        };
        (self.mir.len() + self.tir.len()) * 4
            + f(&self.mir_high)
            + f(&self.tir12)
            + f(&self.red)
            + f(&self.nir)
            + f(&self.swir)
            + b(&self.cloud)
            + b(&self.water)
            + field(&self.solar_zenith)
            + field(&self.view_zenith)
            + field(&self.solar_azimuth)
            + field(&self.view_azimuth)
            + geo
    }

    /// Checks that every array has the MIR band's shape; names the first one that does not.
    pub fn check_shapes(&self) -> Result<(), ShapeMismatch> {
        let want = self.mir.dim();
        let check = |name: &str, dim: Option<(usize, usize)>| match dim {
            Some(d) if d != want => Err((name.to_string(), d, want)),
            _ => Ok(()),
        };
        let f = |a: &Option<Array2<f32>>| a.as_ref().map(|a| a.dim());
        let field = |x: &Field| match x {
            Field::PerPixel(a) => Some(a.dim()),
            _ => None,
        };
        check("tir", Some(self.tir.dim()))?;
        check("mir_high", f(&self.mir_high))?;
        check("tir12", f(&self.tir12))?;
        check("red", f(&self.red))?;
        check("nir", f(&self.nir))?;
        check("swir", f(&self.swir))?;
        check("cloud_mask", self.cloud.as_ref().map(|a| a.dim()))?;
        check("water_mask", self.water.as_ref().map(|a| a.dim()))?;
        check("solar_zenith", field(&self.solar_zenith))?;
        check("view_zenith", field(&self.view_zenith))?;
        check("solar_azimuth", field(&self.solar_azimuth))?;
        check("view_azimuth", field(&self.view_azimuth))?;
        if let Geolocation::Swath { lat, lon } = &self.geo {
            check("latitude", Some(lat.dim()))?;
            check("longitude", Some(lon.dim()))?;
        }
        Ok(())
    }
}
