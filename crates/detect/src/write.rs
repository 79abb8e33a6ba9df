//! Writing granules and fire masks through GDAL, so the simulator's files and the masks are read
//! back by the same code (and by any GIS) as real ones.
//!
//! - GeoTIFF granule: one UInt16 band per input, scaled like level-1 products (scale/offset and a
//!   65535 fill in GDAL's band metadata), band descriptions = the profile's first band names,
//!   a WGS84 lon/lat geotransform, DEFLATE.
//! - NetCDF-4 granule: swath style, MIR/TIR as float32 radiances (W m⁻² sr⁻¹ µm⁻¹) with a fill
//!   value, 2-D latitude/longitude, byte masks; written through GDAL's multidimensional API (the
//!   safe crate cannot create it, hence the FFI).
//! - Fire mask: one Byte band with the VNP14IMG classes.

use crate::profile::SensorProfile;
use crate::scene::{Field, Geolocation, Scene};
use crate::worker::{last_gdal_error, on_gdal_thread, QuietGdal};
use crate::DetectError;
use gdal::cpl::CslStringList;
use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::{DriverManager, Metadata};
use gdal_sys::GDALDataType;
use ndarray::Array2;
use std::ffi::{c_void, CString};
use std::path::Path;
use std::ptr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GranuleFormat {
    GeoTiff,
    Netcdf,
}

impl GranuleFormat {
    /// From the file extension: `.nc`/`.nc4` → NetCDF, anything else GeoTIFF.
    pub fn from_path(path: &Path) -> Self {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("nc") | Some("nc4") | Some("netcdf") => GranuleFormat::Netcdf,
            _ => GranuleFormat::GeoTiff,
        }
    }
}

fn write_err(path: &Path, reason: impl std::fmt::Display) -> DetectError {
    DetectError::Write {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// One layer to write: name, values, how to pack them into UInt16 (scale, offset).
struct Layer {
    name: String,
    values: Array2<f32>,
    scale: f64,
    offset: f64,
    unit: &'static str,
}

fn layers(scene: &Scene, profile: &SensorProfile) -> Vec<Layer> {
    let p = profile;
    let first = |v: &[String]| v.first().cloned().unwrap_or_default();
    let mut out = vec![
        Layer {
            name: first(&p.bands.mir.names),
            values: scene.mir.clone(),
            scale: 0.01,
            offset: 0.0,
            unit: "K",
        },
        Layer {
            name: first(&p.bands.tir.names),
            values: scene.tir.clone(),
            scale: 0.01,
            offset: 0.0,
            unit: "K",
        },
    ];
    let mut opt_bt = |band: &Option<crate::profile::Band>, a: &Option<Array2<f32>>| {
        if let (Some(b), Some(a)) = (band, a) {
            out.push(Layer {
                name: first(&b.names),
                values: a.clone(),
                scale: 0.01,
                offset: 0.0,
                unit: "K",
            });
        }
    };
    opt_bt(&p.bands.mir_high, &scene.mir_high);
    opt_bt(&p.bands.tir12, &scene.tir12);
    let i = &p.inputs;
    for (names, a) in [
        (&i.red, &scene.red),
        (&i.nir, &scene.nir),
        (&i.swir, &scene.swir),
    ] {
        if let Some(a) = a {
            out.push(Layer {
                name: first(names),
                values: a.clone(),
                scale: 1.0e-4,
                offset: 0.0,
                unit: "1",
            });
        }
    }
    for (names, a) in [(&i.cloud_mask, &scene.cloud), (&i.water_mask, &scene.water)] {
        if let Some(a) = a {
            out.push(Layer {
                name: first(names),
                values: a.mapv(f32::from),
                scale: 1.0,
                offset: 0.0,
                unit: "1",
            });
        }
    }
    for (names, f, offset) in [
        (&i.solar_zenith, &scene.solar_zenith, 0.0),
        (&i.view_zenith, &scene.view_zenith, 0.0),
        (&i.solar_azimuth, &scene.solar_azimuth, -180.0),
        (&i.view_azimuth, &scene.view_azimuth, -180.0),
    ] {
        if let Field::PerPixel(a) = f {
            out.push(Layer {
                name: first(names),
                values: a.clone(),
                scale: 0.01,
                offset,
                unit: "degree",
            });
        }
    }
    out
}

fn metadata(scene: &Scene, profile: &SensorProfile) -> Vec<(String, String)> {
    let mut m = vec![
        ("SENSOR_PROFILE".to_string(), profile.name.clone()),
        ("INSTRUMENT".to_string(), profile.instrument.clone()),
        (
            "PLATFORM".to_string(),
            scene
                .meta
                .satellite
                .clone()
                .unwrap_or_else(|| profile.default_satellite.clone()),
        ),
    ];
    if let Some(t) = scene.meta.start {
        m.push((
            "START_TIME".to_string(),
            t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        ));
    }
    if let Field::Constant(v) = scene.solar_zenith {
        m.push(("SOLAR_ZENITH".to_string(), format!("{v}")));
    }
    m
}

/// Writes `scene` as a granule `profile` can read back (GeoTIFF or NetCDF by `format`).
pub fn write_granule(
    path: &Path,
    scene: &Scene,
    profile: &SensorProfile,
    format: GranuleFormat,
) -> Result<(), DetectError> {
    let layers = layers(scene, profile);
    let meta = metadata(scene, profile);
    let geo = scene.geo.clone();
    let path = path.to_path_buf();
    match format {
        GranuleFormat::GeoTiff => {
            on_gdal_thread(move || write_geotiff(&path, &layers, &meta, &geo))
        }
        GranuleFormat::Netcdf => {
            let planck = (profile.bands.mir.planck(), profile.bands.tir.planck());
            on_gdal_thread(move || write_netcdf(&path, &layers, &meta, &geo, planck))
        }
    }
}

fn write_geotiff(
    path: &Path,
    layers: &[Layer],
    meta: &[(String, String)],
    geo: &Geolocation,
) -> Result<(), DetectError> {
    let _quiet = QuietGdal::push();
    let gt = match geo {
        Geolocation::Grid(gt) => *gt,
        _ => {
            return Err(write_err(
                path,
                "a GeoTIFF granule needs a lon/lat grid; write swath scenes as NetCDF",
            ))
        }
    };
    let (rows, cols) = layers[0].values.dim();
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(|e| write_err(path, e))?;
    let mut opts = RasterCreationOptions::new();
    for (k, v) in [
        ("COMPRESS", "DEFLATE"),
        ("PREDICTOR", "2"),
        ("INTERLEAVE", "BAND"),
    ] {
        opts.set_name_value(k, v).map_err(|e| write_err(path, e))?;
    }
    let mut ds = driver
        .create_with_band_type_with_options::<u16, _>(path, cols, rows, layers.len(), &opts)
        .map_err(|e| write_err(path, format!("{e}: {}", last_gdal_error())))?;
    ds.set_geo_transform(&gt).map_err(|e| write_err(path, e))?;
    let srs = SpatialRef::from_epsg(4326).map_err(|e| write_err(path, e))?;
    ds.set_spatial_ref(&srs).map_err(|e| write_err(path, e))?;
    for (k, v) in meta {
        ds.set_metadata_item(k, v, "")
            .map_err(|e| write_err(path, e))?;
    }
    for (n, layer) in layers.iter().enumerate() {
        let mut band = ds.rasterband(n + 1).map_err(|e| write_err(path, e))?;
        band.set_description(&layer.name)
            .map_err(|e| write_err(path, e))?;
        band.set_no_data_value(Some(65535.0))
            .map_err(|e| write_err(path, e))?;
        band.set_scale(layer.scale)
            .map_err(|e| write_err(path, e))?;
        band.set_offset(layer.offset)
            .map_err(|e| write_err(path, e))?;
        set_unit(&band, layer.unit);
        let packed: Vec<u16> = layer
            .values
            .iter()
            .map(|&v| {
                let q = ((v as f64 - layer.offset) / layer.scale).round();
                if v.is_finite() && (0.0..65535.0).contains(&q) {
                    q as u16
                } else {
                    65535
                }
            })
            .collect();
        let mut buf = Buffer::new((cols, rows), packed);
        band.write((0, 0), (cols, rows), &mut buf)
            .map_err(|e| write_err(path, format!("band {}: {e}", layer.name)))?;
    }
    ds.close().map_err(|e| write_err(path, e))
}

fn set_unit(band: &gdal::raster::RasterBand, unit: &str) {
    if let Ok(u) = CString::new(unit) {
        // SAFETY: a valid band handle and a NUL-terminated string that outlives the call.
        unsafe { gdal_sys::GDALSetRasterUnitType(band.c_rasterband(), u.as_ptr()) };
    }
}

/// Writes a fire mask (VNP14IMG classes) as a one-band Byte GeoTIFF, georeferenced like the scene
/// when it is a grid.
pub fn write_fire_mask(path: &Path, mask: &Array2<u8>, scene: &Scene) -> Result<(), DetectError> {
    let (path, mask, geo) = (path.to_path_buf(), mask.clone(), scene.geo.clone());
    on_gdal_thread(move || {
        let _quiet = QuietGdal::push();
        let (rows, cols) = mask.dim();
        let driver = DriverManager::get_driver_by_name("GTiff").map_err(|e| write_err(&path, e))?;
        let mut opts = RasterCreationOptions::new();
        opts.set_name_value("COMPRESS", "DEFLATE")
            .map_err(|e| write_err(&path, e))?;
        let mut ds = driver
            .create_with_band_type_with_options::<u8, _>(&path, cols, rows, 1, &opts)
            .map_err(|e| write_err(&path, format!("{e}: {}", last_gdal_error())))?;
        match &geo {
            Geolocation::Grid(gt) => {
                ds.set_geo_transform(gt).map_err(|e| write_err(&path, e))?;
                let srs = SpatialRef::from_epsg(4326).map_err(|e| write_err(&path, e))?;
                ds.set_spatial_ref(&srs).map_err(|e| write_err(&path, e))?;
            }
            Geolocation::Projected { gt, wkt } => {
                ds.set_geo_transform(gt).map_err(|e| write_err(&path, e))?;
                let srs = SpatialRef::from_wkt(wkt).map_err(|e| write_err(&path, e))?;
                ds.set_spatial_ref(&srs).map_err(|e| write_err(&path, e))?;
            }
            Geolocation::Swath { .. } => {
                ds.set_metadata_item(
                    "GEOLOCATION",
                    "swath: use the granule's latitude/longitude datasets",
                    "",
                )
                .map_err(|e| write_err(&path, e))?;
            }
        }
        ds.set_metadata_item(
            "FIRE_MASK_CLASSES",
            "0 not processed, 1 bow-tie deletion, 2 glint, 3 water, 4 cloud, 5 land, 6 unclassified, 7 low, 8 nominal, 9 high confidence fire",
            "",
        )
        .map_err(|e| write_err(&path, e))?;
        let mut band = ds.rasterband(1).map_err(|e| write_err(&path, e))?;
        band.set_description("fire mask")
            .map_err(|e| write_err(&path, e))?;
        let mut buf = Buffer::new((cols, rows), mask.iter().copied().collect());
        band.write((0, 0), (cols, rows), &mut buf)
            .map_err(|e| write_err(&path, e))?;
        ds.close().map_err(|e| write_err(&path, e))
    })
}

/// Owns a GDAL handle and releases it on every exit path.
struct Handle<T: Copy>(T, unsafe extern "C" fn(T));

impl<T: Copy> Drop for Handle<T> {
    fn drop(&mut self) {
        // SAFETY: built only from a non-NULL handle and its matching release function.
        unsafe { (self.1)(self.0) }
    }
}

fn non_null<T>(p: *mut T, path: &Path, what: &str) -> Result<*mut T, DetectError> {
    if p.is_null() {
        Err(write_err(path, format!("{what}: {}", last_gdal_error())))
    } else {
        Ok(p)
    }
}

fn cstr(path: &Path, s: &str) -> Result<CString, DetectError> {
    CString::new(s).map_err(|_| write_err(path, format!("{s:?} contains a NUL byte")))
}

/// Fill value of the float arrays of a NetCDF granule.
const NC_FILL: f32 = -999.0;

fn write_netcdf(
    path: &Path,
    layers: &[Layer],
    meta: &[(String, String)],
    geo: &Geolocation,
    (mir_planck, tir_planck): (crate::planck::BandPlanck, crate::planck::BandPlanck),
) -> Result<(), DetectError> {
    let _quiet = QuietGdal::push();
    let (rows, cols) = layers[0].values.dim();
    let (lat, lon) = match geo {
        Geolocation::Swath { lat, lon } => (lat.clone(), lon.clone()),
        other => {
            let mut lat = Array2::<f32>::zeros((rows, cols));
            let mut lon = Array2::<f32>::zeros((rows, cols));
            for ((r, c), v) in lat.indexed_iter_mut() {
                let (x, y) = other.lon_lat(r, c);
                *v = y as f32;
                lon[[r, c]] = x as f32;
            }
            (lat, lon)
        }
    };
    let path_c = cstr(path, &path.to_string_lossy())?;
    // SAFETY: every handle is checked for NULL and released by a guard declared after its
    // parent's, so children go before the dataset is closed (which flushes the file). Buffers
    // outlive the calls that read them and hold exactly the elements the array's shape needs.
    unsafe {
        let driver = DriverManager::get_driver_by_name("netCDF")
            .map_err(|e| write_err(path, format!("GDAL has no netCDF driver: {e}")))?;
        let mut opts = CslStringList::new();
        opts.set_name_value("FORMAT", "NC4")
            .map_err(|e| write_err(path, e))?;
        let ds = non_null(
            gdal_sys::GDALCreateMultiDimensional(
                driver.c_driver(),
                path_c.as_ptr(),
                ptr::null_mut(),
                opts.as_ptr(),
            ),
            path,
            "creating the NetCDF file",
        )?;
        let ds = Handle(ds, gdal_sys::GDALClose);
        let root = Handle(
            non_null(gdal_sys::GDALDatasetGetRootGroup(ds.0), path, "root group")?,
            gdal_sys::GDALGroupRelease,
        );
        for (k, v) in meta {
            set_attr(path, root.0, k, v)?;
        }
        set_attr(path, root.0, "title", "burnwatch simulated granule")?;
        let dim =
            |name: &str, size: usize| -> Result<Handle<gdal_sys::GDALDimensionH>, DetectError> {
                let n = cstr(path, name)?;
                let d = gdal_sys::GDALGroupCreateDimension(
                    root.0,
                    n.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    size as u64,
                    ptr::null_mut(),
                );
                Ok(Handle(
                    non_null(d, path, name)?,
                    gdal_sys::GDALDimensionRelease,
                ))
            };
        let y = dim("number_of_lines", rows)?;
        let x = dim("number_of_pixels", cols)?;
        let mut dims = [y.0, x.0];
        let mut put_f32 = |name: &str, unit: &str, v: &[f32]| {
            write_md(
                path,
                root.0,
                name,
                &mut dims,
                GDALDataType::GDT_Float32,
                v,
                unit,
                Some(NC_FILL as f64),
            )
        };
        for (n, layer) in layers.iter().enumerate() {
            let values: Vec<f32> = if n < 2 {
                // The emissive bands as level-1 radiances: the reader must invert Planck.
                let planck = if n == 0 { mir_planck } else { tir_planck };
                layer
                    .values
                    .iter()
                    .map(|&t| {
                        if t.is_finite() {
                            planck.radiance(t as f64) as f32
                        } else {
                            NC_FILL
                        }
                    })
                    .collect()
            } else {
                layer
                    .values
                    .iter()
                    .map(|&v| if v.is_finite() { v } else { NC_FILL })
                    .collect()
            };
            let unit = if n < 2 { "W m-2 sr-1 um-1" } else { layer.unit };
            put_f32(&layer.name, unit, &values)?;
        }
        put_f32(
            "latitude",
            "degrees_north",
            lat.as_slice().expect("fresh array"),
        )?;
        put_f32(
            "longitude",
            "degrees_east",
            lon.as_slice().expect("fresh array"),
        )?;
        drop(y);
        drop(x);
        drop(root);
        gdal_sys::CPLErrorReset();
        drop(ds);
        if gdal_sys::CPLGetLastErrorType() >= gdal_sys::CPLErr::CE_Failure {
            return Err(write_err(path, format!("closing: {}", last_gdal_error())));
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
unsafe fn write_md(
    path: &Path,
    group: gdal_sys::GDALGroupH,
    name: &str,
    dims: &mut [gdal_sys::GDALDimensionH],
    stored: GDALDataType::Type,
    values: &[f32],
    unit: &str,
    fill: Option<f64>,
) -> Result<(), DetectError> {
    let name_c = cstr(path, name)?;
    let t = Handle(
        non_null(
            gdal_sys::GDALExtendedDataTypeCreate(stored),
            path,
            "data type",
        )?,
        gdal_sys::GDALExtendedDataTypeRelease,
    );
    let arr = gdal_sys::GDALGroupCreateMDArray(
        group,
        name_c.as_ptr(),
        dims.len(),
        dims.as_mut_ptr(),
        t.0,
        ptr::null_mut(),
    );
    let arr = Handle(non_null(arr, path, name)?, gdal_sys::GDALMDArrayRelease);
    let unit_c = cstr(path, unit)?;
    gdal_sys::GDALMDArraySetUnit(arr.0, unit_c.as_ptr());
    if let Some(fill) = fill {
        gdal_sys::GDALMDArraySetNoDataValueAsDouble(arr.0, fill);
    }
    let count: Vec<usize> = dims
        .iter()
        .map(|d| gdal_sys::GDALDimensionGetSize(*d) as usize)
        .collect();
    if count.iter().product::<usize>() != values.len() {
        return Err(write_err(
            path,
            format!("{name}: {} values for a {count:?} array", values.len()),
        ));
    }
    let start = vec![0u64; dims.len()];
    let buf_t = Handle(
        non_null(
            gdal_sys::GDALExtendedDataTypeCreate(GDALDataType::GDT_Float32),
            path,
            "data type",
        )?,
        gdal_sys::GDALExtendedDataTypeRelease,
    );
    let ok = gdal_sys::GDALMDArrayWrite(
        arr.0,
        start.as_ptr(),
        count.as_ptr(),
        ptr::null(),
        ptr::null(),
        buf_t.0,
        values.as_ptr() as *const c_void,
        values.as_ptr() as *const c_void,
        std::mem::size_of_val(values),
    );
    if ok == 0 {
        return Err(write_err(
            path,
            format!("writing {name}: {}", last_gdal_error()),
        ));
    }
    Ok(())
}

unsafe fn set_attr(
    path: &Path,
    group: gdal_sys::GDALGroupH,
    name: &str,
    value: &str,
) -> Result<(), DetectError> {
    let (n, v) = (cstr(path, name)?, cstr(path, value)?);
    let t = Handle(
        non_null(
            gdal_sys::GDALExtendedDataTypeCreateString(0),
            path,
            "string type",
        )?,
        gdal_sys::GDALExtendedDataTypeRelease,
    );
    let attr =
        gdal_sys::GDALGroupCreateAttribute(group, n.as_ptr(), 0, ptr::null(), t.0, ptr::null_mut());
    let attr = Handle(non_null(attr, path, name)?, gdal_sys::GDALAttributeRelease);
    if gdal_sys::GDALAttributeWriteString(attr.0, v.as_ptr()) == 0 {
        return Err(write_err(
            path,
            format!("attribute {name}: {}", last_gdal_error()),
        ));
    }
    Ok(())
}
