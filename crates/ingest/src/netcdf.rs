//! VIIRS VNP14IMG / VJ114IMG / VJ214IMG active-fire NetCDF, through GDAL's multidimensional API.
//!
//! Read: the per-fire 1-D arrays `FP_latitude`, `FP_longitude`, `FP_T4`, `FP_T5`, `FP_power`,
//! `FP_confidence` (7/8/9), `FP_day` (1 day / 0 night). The time is the granule start, from a
//! global attribute (`PGE_StartTime`, `StartTime`, `time_coverage_start`, …) else from the file
//! name (`VNP14IMG.A2025322.0512.002….nc`: year, day of year, HHMM). The footprint is the
//! nominal 0.375 km I-band pixel unless `FP_along_scan` / `FP_along_track` arrays are present.
//!
//! Write: [`write_vnp14img_netcdf`] makes a small file of the same shape, so the simulator and the
//! tests exercise the reader on files GDAL itself wrote. The safe `gdal` crate cannot create
//! multidimensional datasets, hence the FFI below.

use crate::fields::{self, show};
use crate::{IngestError, ParsedFile, ProductFormat, RowError};
use burnwatch_core::{ConfidenceClass, DayNight, Detection, Instrument, SourceKind};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use gdal::cpl::CslStringList;
use gdal::raster::Group;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use gdal_sys::GDALDataType;
use std::ffi::{c_void, CStr, CString};
use std::path::Path;
use std::ptr;
use std::sync::{mpsc, OnceLock};

/// Nominal VIIRS I-band pixel at nadir, km.
const NOMINAL_PIXEL_KM: f64 = 0.375;

/// A granule never holds anywhere near this many fire pixels; a larger array means a corrupt
/// file, and reading it would allocate gigabytes.
const MAX_FIRES: usize = 10_000_000;

/// Time attributes tried in order; real granules carry the first two, CF files the third.
const TIME_ATTRS: [&str; 4] = [
    "PGE_StartTime",
    "StartTime",
    "time_coverage_start",
    "RangeBeginningDateTime",
];
const PLATFORM_ATTRS: [&str; 3] = ["PlatformShortName", "platform", "Platform"];

/// One fire pixel to write with [`write_vnp14img_netcdf`].
///
/// Stored as the real product stores them: lat/lon/temperatures/FRP as float32,
/// confidence and day flag as bytes. Read back, values are the float32 ones widened to f64,
/// so compare with `(x as f32) as f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vnp14imgFire {
    pub lat: f64,
    pub lon: f64,
    /// I4 (3.7 µm) brightness temperature, K.
    pub t4_k: f64,
    /// I5 (11 µm) brightness temperature, K.
    pub t5_k: f64,
    pub frp_mw: f64,
    /// 7 low, 8 nominal, 9 high. Any byte is written, so tests can write bad ones.
    pub confidence: u8,
    pub day: bool,
}

/// Silences GDAL's default stderr error printer while we probe optional attributes and
/// arrays; GDAL still records the last error, which we put in our own messages. The handler
/// stack is thread-local in GDAL, so this does not affect other threads.
struct QuietGdal;

impl QuietGdal {
    fn push() -> Self {
        // SAFETY: pushes a GDAL-provided handler; popped in Drop on the same thread.
        unsafe { gdal_sys::CPLPushErrorHandler(Some(gdal_sys::CPLQuietErrorHandler)) };
        QuietGdal
    }
}

impl Drop for QuietGdal {
    fn drop(&mut self) {
        // SAFETY: balances the push above.
        unsafe { gdal_sys::CPLPopErrorHandler() };
    }
}

fn nc_err(what: impl std::fmt::Display) -> IngestError {
    IngestError::Netcdf {
        reason: what.to_string(),
    }
}

fn last_gdal_error() -> String {
    // SAFETY: CPLGetLastErrorMsg returns a pointer to a thread-local, NUL-terminated buffer
    // (never NULL); we copy it immediately.
    let msg = unsafe { CStr::from_ptr(gdal_sys::CPLGetLastErrorMsg()) };
    let msg = msg.to_string_lossy();
    if msg.is_empty() {
        "no GDAL error message".into()
    } else {
        msg.into_owned()
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `f` on one long-lived thread that does all of this crate's NetCDF work.
///
/// Why: netCDF-C turns off HDF5's error printing only on the thread that first initialised it
/// (HDF5's error stack is per-thread), so from any other thread every internal probe prints a
/// screenful of "HDF5-DIAG" to stderr; and HDF5 is not safe for concurrent use anyway. NetCDF
/// fire files are small, so serialising them costs nothing that matters. Public so that every
/// crate doing HDF5/netCDF work through GDAL (burnwatch-detect's granules) shares this thread.
pub fn on_netcdf_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, IngestError> + Send + 'static,
) -> Result<T, IngestError> {
    static WORKER: OnceLock<Option<mpsc::Sender<Job>>> = OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("burnwatch-netcdf".into())
            .spawn(move || rx.into_iter().for_each(|job| job()))
            .ok()
            .map(|_| tx)
    });
    let (result_tx, result_rx) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        // The caller may have gone away; nothing to report to then.
        let _ = result_tx.send(f());
    });
    match worker {
        Some(tx) => {
            if let Err(mpsc::SendError(job)) = tx.send(job) {
                job(); // The worker is gone (it cannot panic on our code, but be safe): run here.
            }
        }
        None => job(), // No thread could be spawned: run here, noisier but correct.
    }
    result_rx
        .recv()
        .map_err(|_| nc_err("the NetCDF worker thread stopped before answering"))?
}

pub(crate) fn parse(path: &Path) -> Result<ParsedFile, IngestError> {
    let path = path.to_path_buf();
    on_netcdf_thread(move || parse_vnp14img(&path))
}

fn parse_vnp14img(path: &Path) -> Result<ParsedFile, IngestError> {
    let _quiet = QuietGdal::push();
    let ds = Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_MULTIDIM_RASTER | GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&["netCDF", "HDF5"]),
            ..Default::default()
        },
    )
    .map_err(|e| nc_err(format!("cannot open {}: {e}", path.display())))?;
    let root = ds
        .root_group()
        .map_err(|e| nc_err(format!("no root group: {e}")))?;
    let names = root.array_names(CslStringList::new());
    let has = |n: &str| names.iter().any(|x| x == n);

    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let start = TIME_ATTRS
        .iter()
        .find_map(|a| string_attr(&root, a).and_then(|v| parse_time_attr(&v)))
        .or_else(|| time_from_name(&name))
        .ok_or_else(|| IngestError::Malformed {
            reason: format!(
                "VNP14IMG file has no start time: no {} attribute and no .AYYYYDDD.HHMM. in the name {}",
                TIME_ATTRS.join("/"),
                show(&name)
            ),
        })?;
    let satellite = PLATFORM_ATTRS
        .iter()
        .find_map(|a| string_attr(&root, a).and_then(|v| fields::viirs_platform(&v)))
        .or_else(|| platform_from_name(&name))
        .ok_or_else(|| IngestError::Malformed {
            reason: format!(
                "VNP14IMG file does not say its platform: no {} attribute and the name {} is not VNP/VJ1/VJ2",
                PLATFORM_ATTRS.join("/"),
                show(&name)
            ),
        })?;

    let mut out = ParsedFile {
        format: ProductFormat::Vnp14imgNetcdf,
        rows_read: 0,
        detections: Vec::new(),
        rejected: Vec::new(),
    };
    if !has("FP_latitude") {
        // A granule without fires may omit the FP_ arrays but still has its fire mask.
        if has("fire mask") || has("fire_mask") {
            return Ok(out);
        }
        return Err(IngestError::Malformed {
            reason: "no FP_latitude array (nor a fire mask): not a VNP14IMG/VJ114IMG fire product"
                .into(),
        });
    }
    let lat = read_1d(&root, "FP_latitude")?;
    let n = lat.len();
    let need = |name: &str| -> Result<Vec<f64>, IngestError> {
        let v = read_1d(&root, name)?;
        if v.len() != n {
            return Err(IngestError::Malformed {
                reason: format!("{name} has {} values but FP_latitude has {n}", v.len()),
            });
        }
        Ok(v)
    };
    let optional = |name: &str| -> Result<Option<Vec<f64>>, IngestError> {
        if has(name) {
            need(name).map(Some)
        } else {
            Ok(None)
        }
    };
    let lon = need("FP_longitude")?;
    let conf = need("FP_confidence")?;
    let t4 = optional("FP_T4")?;
    let t5 = optional("FP_T5")?;
    let power = optional("FP_power")?;
    let day = optional("FP_day")?;
    let scan = optional("FP_along_scan")?;
    let track = optional("FP_along_track")?;

    let at = |v: &Option<Vec<f64>>, i: usize| v.as_ref().map(|v| v[i]);
    for i in 0..n {
        out.rows_read += 1;
        let fire = (|| -> Result<Detection, String> {
            let lat = check_range("FP_latitude", lat[i], 90.0)?;
            let lon = check_range("FP_longitude", lon[i], 180.0)?;
            let c = conf[i];
            let confidence = (c.fract() == 0.0)
                .then(|| ConfidenceClass::from_mask_class(c as i64))
                .flatten()
                .ok_or_else(|| format!("FP_confidence {c} is not 7/8/9"))?;
            let day_night = match at(&day, i) {
                None => None,
                Some(1.0) => Some(DayNight::Day),
                Some(0.0) => Some(DayNight::Night),
                Some(v) => return Err(format!("FP_day {v} is not 0/1")),
            };
            let finite = |name: &str, v: Option<f64>| match v {
                Some(x) if !x.is_finite() => Err(format!("{name} {x} is not a finite number")),
                _ => Ok(v),
            };
            Ok(Detection {
                source: SourceKind::Vnp14img,
                instrument: Instrument::Viirs,
                satellite: satellite.to_owned(),
                acq_time: start,
                lon,
                lat,
                frp_mw: finite("FP_power", at(&power, i))?,
                confidence,
                confidence_raw: Some(format!("{}", c as i64)),
                day_night,
                scan_km: finite("FP_along_scan", at(&scan, i))?.or(Some(NOMINAL_PIXEL_KM)),
                track_km: finite("FP_along_track", at(&track, i))?.or(Some(NOMINAL_PIXEL_KM)),
                firms_type: None,
                bright_t4_k: finite("FP_T4", at(&t4, i))?,
                bright_t11_k: finite("FP_T5", at(&t5, i))?,
            })
        })();
        match fire {
            Ok(d) => out.detections.push(d),
            Err(message) => out.rejected.push(RowError {
                line: i + 1,
                message,
            }),
        }
    }
    Ok(out)
}

fn check_range(name: &str, v: f64, limit: f64) -> Result<f64, String> {
    if !v.is_finite() {
        Err(format!("{name} {v} is not a finite number"))
    } else if v.abs() > limit {
        Err(format!("{name} {v} is out of range -{limit}..{limit}"))
    } else {
        Ok(v)
    }
}

/// A 1-D numeric array as f64 (GDAL converts from the stored type).
fn read_1d(root: &Group, name: &str) -> Result<Vec<f64>, IngestError> {
    let arr = root
        .open_md_array(name, CslStringList::new())
        .map_err(|e| nc_err(format!("cannot open array {name}: {e}")))?;
    if arr.num_dimensions() != 1 {
        return Err(IngestError::Malformed {
            reason: format!(
                "{name} has {} dimensions, expected 1 (nfire)",
                arr.num_dimensions()
            ),
        });
    }
    let n = usize::try_from(arr.num_elements()).unwrap_or(usize::MAX);
    if n > MAX_FIRES {
        return Err(IngestError::Malformed {
            reason: format!("{name} has {n} values: more than any granule holds ({MAX_FIRES})"),
        });
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    arr.read_as::<f64>(vec![0], vec![n])
        .map_err(|e| nc_err(format!("cannot read {name}: {e}")))
}

fn string_attr(group: &Group, name: &str) -> Option<String> {
    let attr = group.attribute(name).ok()?;
    let v = attr.read_as_string();
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// "2025-11-18 05:12:00.000", "2025-11-18T05:12:00.000Z", "2025-11-18T05:12:00Z", …
fn parse_time_attr(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_end_matches('Z').replace('T', " ");
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .map(|t| t.and_utc())
}

/// `VNP14IMG.A2025322.0512.002.2025322120000.nc` → 2025, day 322, 05:12 UTC.
fn time_from_name(name: &str) -> Option<DateTime<Utc>> {
    let parts: Vec<&str> = name.split('.').collect();
    parts.windows(2).find_map(|w| {
        let yd = w[0].strip_prefix('A').filter(|d| d.len() == 7)?;
        let hm = Some(w[1]).filter(|d| d.len() == 4)?;
        let date = NaiveDate::parse_from_str(yd, "%Y%j").ok()?;
        let time = NaiveTime::parse_from_str(hm, "%H%M").ok()?;
        Some(fields::utc(date, time))
    })
}

fn platform_from_name(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    ["VNP", "VJ1", "VJ2"]
        .into_iter()
        .find(|p| upper.starts_with(p))
        .and_then(fields::viirs_platform)
}

/// Writes a small VNP14IMG-shaped NetCDF-4 file through GDAL: the `FP_*` arrays along an `nfire`
/// dimension, and the granule start and platform as global attributes (`PGE_StartTime`,
/// `time_coverage_start`, `PlatformShortName`). `platform` is any spelling
/// [`parse_file`](crate::parse_file) understands ("NOAA-20", "N20", "Suomi NPP", …).
pub fn write_vnp14img_netcdf(
    path: &Path,
    start: DateTime<Utc>,
    platform: &str,
    fires: &[Vnp14imgFire],
) -> Result<(), IngestError> {
    let platform = fields::viirs_platform(platform).ok_or_else(|| IngestError::Unsupported {
        reason: format!("{} is not a VIIRS platform", show(platform)),
    })?;
    let (path, fires) = (path.to_path_buf(), fires.to_vec());
    on_netcdf_thread(move || write_file(&path, start, platform, &fires, None))
}

/// Owns a GDAL handle and releases it on every exit path.
struct Handle<T: Copy>(T, unsafe extern "C" fn(T));

impl<T: Copy> Drop for Handle<T> {
    fn drop(&mut self) {
        // SAFETY: constructed only from a non-NULL handle and its matching release function.
        unsafe { (self.1)(self.0) }
    }
}

fn non_null<T>(p: *mut T, what: &str) -> Result<*mut T, IngestError> {
    if p.is_null() {
        Err(nc_err(format!("{what} failed: {}", last_gdal_error())))
    } else {
        Ok(p)
    }
}

fn cstr(s: &str) -> Result<CString, IngestError> {
    CString::new(s).map_err(|_| nc_err(format!("{} contains a NUL byte", show(s))))
}

fn write_file(
    path: &Path,
    start: DateTime<Utc>,
    platform: &str,
    fires: &[Vnp14imgFire],
    // (along-scan, along-track) km per fire: real granules have no such arrays, so only the
    // reader's support for them is tested with this.
    footprints: Option<&[(f64, f64)]>,
) -> Result<(), IngestError> {
    let _quiet = QuietGdal::push();
    let path_c = cstr(path.to_str().ok_or_else(|| IngestError::Unsupported {
        reason: format!("path {} is not UTF-8", path.display()),
    })?)?;
    let short_name = match platform {
        "NOAA-20" => "VJ114IMG",
        "NOAA-21" => "VJ214IMG",
        _ => "VNP14IMG",
    };
    let n = fires.len();
    let col = |f: fn(&Vnp14imgFire) -> f64| fires.iter().map(f).collect::<Vec<f64>>();

    // SAFETY: every handle is checked for NULL before use and released by a guard declared
    // after the guard of its parent, so children are released before the dataset is closed
    // (which flushes the file). Buffers outlive the calls that read them and are sized to
    // exactly `n` elements of the type passed to GDAL.
    unsafe {
        // Through the safe crate, which registers GDAL's drivers once.
        let driver = gdal::DriverManager::get_driver_by_name("netCDF")
            .map_err(|e| nc_err(format!("GDAL has no netCDF driver: {e}")))?;
        let driver = non_null(driver.c_driver(), "netCDF driver")?;
        let mut opts = CslStringList::new();
        opts.set_name_value("FORMAT", "NC4")
            .map_err(|e| nc_err(e.to_string()))?;
        let ds = non_null(
            gdal_sys::GDALCreateMultiDimensional(
                driver,
                path_c.as_ptr(),
                ptr::null_mut(),
                opts.as_ptr(),
            ),
            "creating the NetCDF file",
        )?;
        let ds = Handle(ds, gdal_sys::GDALClose);
        let root = non_null(gdal_sys::GDALDatasetGetRootGroup(ds.0), "root group")?;
        let root = Handle(root, gdal_sys::GDALGroupRelease);

        set_group_attr(root.0, "ShortName", short_name)?;
        set_group_attr(root.0, "PlatformShortName", platform)?;
        set_group_attr(
            root.0,
            "PGE_StartTime",
            &start.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        )?;
        set_group_attr(
            root.0,
            "time_coverage_start",
            &start.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        )?;

        if n == 0 {
            // netCDF cannot define a fixed dimension of length 0 (0 means unlimited), and a
            // real granule without fires has no FP_ arrays either: write only a fire mask,
            // one "not processed" cell to keep the file tiny.
            let rows = new_dim(root.0, "number_of_lines", 1)?;
            let cols = new_dim(root.0, "number_of_pixels", 1)?;
            let mut dims = [rows.0, cols.0];
            write_array(
                root.0,
                "fire mask",
                &mut dims,
                GDALDataType::GDT_Byte,
                &[0u8],
                None,
            )?;
        } else {
            let dim = new_dim(root.0, "nfire", n as u64)?;
            let f32s = GDALDataType::GDT_Float32;
            let mut dims = [dim.0];
            let mut put = |name: &str, unit: &str, v: &[f64]| {
                write_array(root.0, name, &mut dims, f32s, v, Some(unit))
            };
            put("FP_latitude", "degrees_north", &col(|f| f.lat))?;
            put("FP_longitude", "degrees_east", &col(|f| f.lon))?;
            put("FP_T4", "kelvin", &col(|f| f.t4_k))?;
            put("FP_T5", "kelvin", &col(|f| f.t5_k))?;
            put("FP_power", "MW", &col(|f| f.frp_mw))?;
            if let Some(fp) = footprints {
                put(
                    "FP_along_scan",
                    "km",
                    &fp.iter().map(|f| f.0).collect::<Vec<_>>(),
                )?;
                put(
                    "FP_along_track",
                    "km",
                    &fp.iter().map(|f| f.1).collect::<Vec<_>>(),
                )?;
            }
            let conf: Vec<u8> = fires.iter().map(|f| f.confidence).collect();
            let day: Vec<u8> = fires.iter().map(|f| u8::from(f.day)).collect();
            let bytes = GDALDataType::GDT_Byte;
            write_array(root.0, "FP_confidence", &mut dims, bytes, &conf, None)?;
            write_array(root.0, "FP_day", &mut dims, bytes, &day, None)?;
        }
        drop(root);
        gdal_sys::CPLErrorReset();
        drop(ds);
        if gdal_sys::CPLGetLastErrorType() >= gdal_sys::CPLErr::CE_Failure {
            return Err(nc_err(format!(
                "closing {}: {}",
                path.display(),
                last_gdal_error()
            )));
        }
    }
    Ok(())
}

/// Buffer element types we hand to GDAL.
trait BufType: Copy {
    const GDT: GDALDataType::Type;
}
impl BufType for f64 {
    const GDT: GDALDataType::Type = GDALDataType::GDT_Float64;
}
impl BufType for u8 {
    const GDT: GDALDataType::Type = GDALDataType::GDT_Byte;
}

unsafe fn new_dim(
    group: gdal_sys::GDALGroupH,
    name: &str,
    size: u64,
) -> Result<Handle<gdal_sys::GDALDimensionH>, IngestError> {
    let name_c = cstr(name)?;
    let dim = gdal_sys::GDALGroupCreateDimension(
        group,
        name_c.as_ptr(),
        ptr::null(),
        ptr::null(),
        size,
        ptr::null_mut(),
    );
    Ok(Handle(
        non_null(dim, &format!("dimension {name}"))?,
        gdal_sys::GDALDimensionRelease,
    ))
}

/// Creates a 1-D or 2-D array of `stored` type and writes `values` (converted by GDAL).
unsafe fn write_array<T: BufType>(
    group: gdal_sys::GDALGroupH,
    name: &str,
    dims: &mut [gdal_sys::GDALDimensionH],
    stored: GDALDataType::Type,
    values: &[T],
    unit: Option<&str>,
) -> Result<(), IngestError> {
    let name_c = cstr(name)?;
    let stored_t = Handle(
        non_null(gdal_sys::GDALExtendedDataTypeCreate(stored), "data type")?,
        gdal_sys::GDALExtendedDataTypeRelease,
    );
    let arr = gdal_sys::GDALGroupCreateMDArray(
        group,
        name_c.as_ptr(),
        dims.len(),
        dims.as_mut_ptr(),
        stored_t.0,
        ptr::null_mut(),
    );
    let arr = Handle(
        non_null(arr, &format!("array {name}"))?,
        gdal_sys::GDALMDArrayRelease,
    );
    if let Some(unit) = unit {
        let unit_c = cstr(unit)?;
        if gdal_sys::GDALMDArraySetUnit(arr.0, unit_c.as_ptr()) == 0 {
            return Err(nc_err(format!("unit of {name}: {}", last_gdal_error())));
        }
    }
    let mut count = Vec::with_capacity(dims.len());
    for d in dims.iter() {
        count.push(gdal_sys::GDALDimensionGetSize(*d) as usize);
    }
    if count.iter().product::<usize>() != values.len() {
        return Err(nc_err(format!(
            "{name}: {} values for a {count:?} array",
            values.len()
        )));
    }
    let start = vec![0u64; dims.len()];
    let buf_t = Handle(
        non_null(gdal_sys::GDALExtendedDataTypeCreate(T::GDT), "data type")?,
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
        return Err(nc_err(format!("writing {name}: {}", last_gdal_error())));
    }
    Ok(())
}

unsafe fn set_group_attr(
    group: gdal_sys::GDALGroupH,
    name: &str,
    value: &str,
) -> Result<(), IngestError> {
    let name_c = cstr(name)?;
    let value_c = cstr(value)?;
    let t = Handle(
        non_null(gdal_sys::GDALExtendedDataTypeCreateString(0), "string type")?,
        gdal_sys::GDALExtendedDataTypeRelease,
    );
    let attr = gdal_sys::GDALGroupCreateAttribute(
        group,
        name_c.as_ptr(),
        0,
        ptr::null(),
        t.0,
        ptr::null_mut(),
    );
    let attr = Handle(
        non_null(attr, &format!("attribute {name}"))?,
        gdal_sys::GDALAttributeRelease,
    );
    if gdal_sys::GDALAttributeWriteString(attr.0, value_c.as_ptr()) == 0 {
        return Err(nc_err(format!(
            "writing attribute {name}: {}",
            last_gdal_error()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_attributes_give_time_and_platform() {
        let t = time_from_name("VNP14IMG.A2025322.0512.002.2025322120000.nc").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-11-18T05:12:00+00:00");
        assert_eq!(time_from_name("VNP14IMG.A2025366.0512.002.nc"), None);
        assert_eq!(
            platform_from_name("VJ114IMG.A2025322.0512.002.nc"),
            Some("NOAA-20")
        );
        assert_eq!(platform_from_name("VJ214IMG.x.nc"), Some("NOAA-21"));
        assert_eq!(platform_from_name("x.nc"), None);
        for s in [
            "2025-11-18 05:12:00.000",
            "2025-11-18T05:12:00Z",
            "2025-11-18 05:12",
        ] {
            assert_eq!(
                parse_time_attr(s).unwrap().to_rfc3339(),
                "2025-11-18T05:12:00+00:00"
            );
        }
        assert_eq!(parse_time_attr("yesterday"), None);
    }

    #[test]
    fn footprint_arrays_override_the_nominal_pixel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fp.nc");
        let start = DateTime::from_timestamp(1_717_264_200, 0).unwrap();
        let fire = Vnp14imgFire {
            lat: 35.0,
            lon: 116.0,
            t4_k: 330.0,
            t5_k: 290.0,
            frp_mw: 3.0,
            confidence: 8,
            day: false,
        };
        let fp = [(0.78, 0.52)];
        let (p, f) = (path.clone(), fire.clone());
        on_netcdf_thread(move || write_file(&p, start, "Suomi NPP", &[f], Some(&fp))).unwrap();
        let d = &parse(&path).unwrap().detections[0];
        assert_eq!(d.scan_km, Some(0.78f32 as f64));
        assert_eq!(d.track_km, Some(0.52f32 as f64));
        // A length mismatch is refused, not written.
        let err = on_netcdf_thread(move || {
            write_file(
                &path,
                start,
                "Suomi NPP",
                &[fire.clone(), fire],
                Some(&[(1.0, 1.0)]),
            )
        });
        assert!(err.is_err());
    }
}
