//! Granules through GDAL: GeoTIFF (bands named by their description), NetCDF and HDF4/HDF5
//! (variables as subdatasets; `name#N` picks band N of a 3-D variable such as MODIS L1B
//! `EV_1KM_Emissive`). Values become f32 arrays `[rows, cols]` (GDAL buffers are (cols, rows)
//! row-major, i.e. exactly ndarray's standard layout); fill values and NaN become NaN, scale and
//! offset are applied, radiances are turned into brightness temperatures by the inverse Planck
//! function of the profile's band. Geolocation comes from latitude/longitude datasets when the
//! file has them (swath), else from the geotransform and the spatial reference.

use crate::profile::{Band, SensorProfile};
use crate::scene::{Field, Geolocation, Scene, SceneMeta};
use crate::worker::{last_gdal_error, on_gdal_thread, QuietGdal};
use crate::DetectError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use gdal::{Dataset, Metadata};
use ndarray::Array2;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// No granule is anywhere near this big; a larger raster is a corrupt header.
const MAX_PIXELS: usize = 400_000_000;

/// One readable raster in a file: a band of the file itself or of a subdataset.
#[derive(Debug, Clone)]
struct Source {
    /// Lower-case name: band description, or the subdataset's variable path.
    key: String,
    /// GDAL name to open (a subdataset), or None for the file itself.
    open: Option<String>,
    /// 1-based band of the file itself (root bands only).
    band: usize,
}

/// What a granule file holds before a profile interprets it.
pub(crate) struct GranuleFile {
    path: PathBuf,
    ds: Dataset,
    sources: Vec<Source>,
    /// Lower-case metadata keys (without `NC_GLOBAL#`) → values.
    pub(crate) meta: HashMap<String, String>,
}

fn open_err(path: &Path, reason: impl std::fmt::Display) -> DetectError {
    DetectError::Open {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

impl GranuleFile {
    pub(crate) fn open(path: &Path) -> Result<Self, DetectError> {
        let _quiet = QuietGdal::push();
        if !path.exists() {
            return Err(open_err(path, "no such file"));
        }
        let ds = Dataset::open(path).map_err(|e| open_err(path, format!("GDAL: {e}")))?;
        let mut meta = HashMap::new();
        for item in ds.metadata_domain("").unwrap_or_default() {
            if let Some((k, v)) = item.split_once('=') {
                let k = k
                    .strip_prefix("NC_GLOBAL#")
                    .unwrap_or(k)
                    .to_ascii_lowercase();
                meta.insert(k, v.trim().to_string());
            }
        }
        let mut sources = Vec::new();
        let subs = ds.metadata_domain("SUBDATASETS").unwrap_or_default();
        for item in &subs {
            if let Some((k, v)) = item.split_once('=') {
                if k.ends_with("_NAME") {
                    sources.push(Source {
                        key: variable_path(v).to_ascii_lowercase(),
                        open: Some(v.to_string()),
                        band: 1,
                    });
                }
            }
        }
        if sources.is_empty() {
            for b in 1..=ds.raster_count() {
                let band = ds
                    .rasterband(b)
                    .map_err(|e| open_err(path, format!("band {b}: {e}")))?;
                let name = band
                    .description()
                    .ok()
                    .filter(|d| !d.trim().is_empty())
                    .or_else(|| band.metadata_item("NETCDF_VARNAME", ""))
                    .unwrap_or_else(|| format!("band{b}"));
                sources.push(Source {
                    key: name.to_ascii_lowercase(),
                    open: None,
                    band: b,
                });
            }
        }
        if sources.is_empty() {
            return Err(open_err(
                path,
                "no raster bands and no subdatasets: not a granule",
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            ds,
            sources,
            meta,
        })
    }

    /// The names the file offers, for error messages.
    fn available(&self) -> String {
        let names: Vec<&str> = self.sources.iter().map(|s| s.key.as_str()).collect();
        names.join(", ")
    }

    /// The source matching one of `names` (case-insensitive; a name matches the whole key, its
    /// last path component, or a path suffix), and the band index from a `#N` suffix.
    fn find(&self, names: &[String]) -> Option<(&Source, usize)> {
        for n in names {
            let (name, band) = match n.rsplit_once('#') {
                Some((a, b)) => match b.parse::<usize>() {
                    Ok(k) if k >= 1 => (a, Some(k)),
                    _ => (n.as_str(), None),
                },
                None => (n.as_str(), None),
            };
            let name = name.to_ascii_lowercase();
            let found = self.sources.iter().find(|s| {
                s.key == name
                    || s.key.rsplit('/').next() == Some(name.as_str())
                    || s.key.ends_with(&format!("/{name}"))
            });
            if let Some(s) = found {
                return Some((s, band.unwrap_or(s.band)));
            }
        }
        None
    }

    pub(crate) fn has_any(&self, names: &[String]) -> bool {
        self.find(names).is_some()
    }

    fn read(&self, what: &str, names: &[String]) -> Result<Option<RawBand>, DetectError> {
        let Some((src, band)) = self.find(names) else {
            return Ok(None);
        };
        let bad = |reason: String| DetectError::BadBand {
            path: self.path.clone(),
            band: what.to_string(),
            reason,
        };
        let _quiet = QuietGdal::push();
        let sub;
        let ds = match &src.open {
            Some(name) => {
                sub = Dataset::open(name).map_err(|e| bad(format!("cannot open {name}: {e}")))?;
                &sub
            }
            None => &self.ds,
        };
        let rb = ds
            .rasterband(band)
            .map_err(|e| bad(format!("{} has no band {band}: {e}", src.key)))?;
        let (cols, rows) = rb.size();
        if cols == 0 || rows == 0 {
            return Err(bad(format!("{} is empty ({cols}×{rows})", src.key)));
        }
        if cols.saturating_mul(rows) > MAX_PIXELS {
            return Err(bad(format!(
                "{} claims {cols}×{rows} pixels: a corrupt header",
                src.key
            )));
        }
        let buf = rb
            .read_as::<f32>((0, 0), (cols, rows), (cols, rows), None)
            .map_err(|e| bad(format!("reading {}: {e} ({})", src.key, last_gdal_error())))?;
        let (_, data) = buf.into_shape_and_vec();
        let mut arr =
            Array2::from_shape_vec((rows, cols), data).map_err(|e| bad(format!("shape: {e}")))?;
        let nodata = rb.no_data_value().map(|v| v as f32);
        let mut scale = rb.scale().unwrap_or(1.0);
        let mut offset = rb.offset().unwrap_or(0.0);
        let mut unit = rb.unit();
        // MODIS L1B keeps per-band scales in attributes: radiance = scale·(DN − offset).
        let attr = |key: &str| {
            rb.metadata_item(key, "")
                .or_else(|| ds.metadata_item(key, ""))
                .or_else(|| {
                    ds.metadata_item(
                        &format!("{}#{key}", src.key.rsplit('/').next().unwrap_or("")),
                        "",
                    )
                })
        };
        if let (Some(s), Some(o)) = (attr("radiance_scales"), attr("radiance_offsets")) {
            let pick = |list: &str| {
                list.split([',', ' '])
                    .filter(|x| !x.is_empty())
                    .nth(band - 1)
                    .and_then(|x| x.trim().parse::<f64>().ok())
            };
            if let (Some(s), Some(o)) = (pick(&s), pick(&o)) {
                scale = s;
                offset = -o * s;
                unit = attr("radiance_units").unwrap_or_else(|| "W/m^2/micron/sr".into());
            }
        }
        let (scale, offset) = (scale as f32, offset as f32);
        let identity = scale == 1.0 && offset == 0.0;
        for v in arr.iter_mut() {
            if !v.is_finite() || nodata.is_some_and(|nd| *v == nd) {
                *v = f32::NAN;
            } else if !identity {
                *v = *v * scale + offset;
            }
        }
        Ok(Some(RawBand {
            data: arr,
            unit,
            source: src.key.clone(),
        }))
    }
}

struct RawBand {
    data: Array2<f32>,
    unit: String,
    source: String,
}

/// `NETCDF:"/x/g.nc":I4` → `I4`; `HDF5:"/x/g.h5"://All_Data/VIIRS-I4-SDR_All/Radiance` →
/// `All_Data/VIIRS-I4-SDR_All/Radiance`; `HDF4_SDS:UNKNOWN:"/x/g.hdf":3` stays as it is.
fn variable_path(name: &str) -> &str {
    let tail = match name.rfind('"') {
        Some(q) => &name[q + 1..],
        None => name,
    };
    tail.trim_start_matches(':').trim_start_matches('/')
}

/// Reads the granule with `profile`'s band names. Runs on the GDAL thread.
pub fn read_scene(path: &Path, profile: &SensorProfile) -> Result<Scene, DetectError> {
    let (path, profile) = (path.to_path_buf(), profile.clone());
    on_gdal_thread(move || {
        let file = GranuleFile::open(&path)?;
        scene_from(&file, &profile)
    })
}

/// Opens the granule, lets `choose` pick a profile from its metadata, and reads it with that
/// profile. Runs on the GDAL thread.
pub(crate) fn read_scene_choosing(
    path: &Path,
    profiles: Vec<SensorProfile>,
    fallback: Option<String>,
) -> Result<(Scene, SensorProfile), DetectError> {
    let path = path.to_path_buf();
    on_gdal_thread(move || {
        let file = GranuleFile::open(&path)?;
        let profile = choose_profile(&file, &profiles, fallback.as_deref())?;
        let scene = scene_from(&file, &profile)?;
        Ok((scene, profile))
    })
}

fn choose_profile(
    file: &GranuleFile,
    profiles: &[SensorProfile],
    fallback: Option<&str>,
) -> Result<SensorProfile, DetectError> {
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    let unknown = |reason: String| DetectError::UnknownSensor {
        path: file.path.clone(),
        reason,
    };
    if let Some(named) = file.meta.get("sensor_profile") {
        return profiles
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(named))
            .cloned()
            .ok_or_else(|| {
                unknown(format!(
                    "the granule names profile {named:?}, which is not among {names:?}"
                ))
            });
    }
    let described: Vec<String> = file
        .meta
        .iter()
        .filter(|(k, _)| k.contains("instrument") || k.contains("sensor") || k.contains("platform"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .collect();
    for p in profiles {
        let hit = p.identify.iter().any(|w| {
            described
                .iter()
                .any(|d| d.contains(&w.to_ascii_lowercase()))
        }) && file.has_any(&p.bands.mir.names);
        if hit {
            return Ok(p.clone());
        }
    }
    if let Some(name) = fallback {
        return profiles
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| unknown(format!("[detect] sensor {name:?} is not among {names:?}")));
    }
    Err(unknown(format!(
        "no SENSOR_PROFILE metadata, no instrument metadata matching a profile ({names:?}), and no [detect] sensor configured"
    )))
}

fn scene_from(file: &GranuleFile, profile: &SensorProfile) -> Result<Scene, DetectError> {
    let path = &file.path;
    let missing = |what: &str, names: &[String]| DetectError::MissingBand {
        path: path.clone(),
        band: what.to_string(),
        looked_for: names.join("/"),
        available: file.available(),
    };
    let b = &profile.bands;
    let mir = file
        .read("mir", &b.mir.names)?
        .ok_or_else(|| missing("MIR (~3.9 µm)", &b.mir.names))?;
    let tir = file
        .read("tir", &b.tir.names)?
        .ok_or_else(|| missing("TIR (~11 µm)", &b.tir.names))?;
    let emissive = |what: &str, raw: RawBand, band: &Band| to_brightness(path, what, raw, band);
    let mir = emissive("mir", mir, &b.mir)?;
    let tir = emissive("tir", tir, &b.tir)?;
    let optional_bt =
        |what: &str, band: &Option<Band>| -> Result<Option<Array2<f32>>, DetectError> {
            match band {
                Some(band) => match file.read(what, &band.names)? {
                    Some(raw) => Ok(Some(to_brightness(path, what, raw, band)?)),
                    None => Ok(None),
                },
                None => Ok(None),
            }
        };
    let mir_high = optional_bt("mir_high", &b.mir_high)?;
    let tir12 = optional_bt("tir12", &b.tir12)?;
    let inputs = &profile.inputs;
    let reflectance = |what: &str, names: &[String]| -> Result<Option<Array2<f32>>, DetectError> {
        Ok(file.read(what, names)?.map(|raw| {
            let percent = raw.unit.trim() == "%";
            raw.data.mapv(|v| if percent { v / 100.0 } else { v })
        }))
    };
    let flag = |what: &str, names: &[String]| -> Result<Option<Array2<u8>>, DetectError> {
        Ok(file
            .read(what, names)?
            .map(|raw| raw.data.mapv(|v| u8::from(v.is_finite() && v != 0.0))))
    };
    let angle = |what: &str, names: &[String]| -> Result<Field, DetectError> {
        Ok(match file.read(what, names)? {
            Some(raw) => Field::PerPixel(raw.data),
            None => Field::Absent,
        })
    };
    let water = match flag("water_mask", &inputs.water_mask)? {
        Some(w) => Some(w),
        None => file
            .read("land_mask", &inputs.land_mask)?
            .map(|raw| raw.data.mapv(|v| u8::from(v.is_finite() && v == 0.0))),
    };
    let mut solar_zenith = angle("solar_zenith", &inputs.solar_zenith)?;
    if !solar_zenith.is_present() {
        solar_zenith = scene_solar_zenith(&file.meta);
    }
    let lat = file.read("latitude", &inputs.latitude)?;
    let lon = file.read("longitude", &inputs.longitude)?;
    let geo = match (lat, lon) {
        (Some(lat), Some(lon)) => Geolocation::Swath {
            lat: lat.data,
            lon: lon.data,
        },
        _ => grid_geolocation(file)?,
    };
    let meta = SceneMeta {
        satellite: satellite(&file.meta),
        start: start_time(&file.meta, path),
        profile: file.meta.get("sensor_profile").cloned(),
        instrument: file
            .meta
            .iter()
            .find(|(k, _)| k.contains("instrument") || k.contains("sensor"))
            .map(|(_, v)| v.clone()),
    };
    let scene = Scene {
        mir,
        tir,
        mir_high,
        tir12,
        red: reflectance("red", &inputs.red)?,
        nir: reflectance("nir", &inputs.nir)?,
        swir: reflectance("swir", &inputs.swir)?,
        cloud: flag("cloud_mask", &inputs.cloud_mask)?,
        water,
        solar_zenith,
        view_zenith: angle("view_zenith", &inputs.view_zenith)?,
        solar_azimuth: angle("solar_azimuth", &inputs.solar_azimuth)?,
        view_azimuth: angle("view_azimuth", &inputs.view_azimuth)?,
        geo,
        meta,
    };
    if let Err((band, got, want)) = scene.check_shapes() {
        return Err(DetectError::Scene {
            path: path.clone(),
            problem: crate::engine::SceneProblem::MismatchedShape { band, got, want },
        });
    }
    Ok(scene)
}

/// Brightness temperature from a band in K, °C or radiance per µm.
fn to_brightness(
    path: &Path,
    what: &str,
    raw: RawBand,
    band: &Band,
) -> Result<Array2<f32>, DetectError> {
    let unit = raw.unit.trim().to_ascii_lowercase();
    let compact: String = unit.chars().filter(|c| !c.is_whitespace()).collect();
    let radiance = compact.contains('w') && (compact.contains("sr") || compact.contains("str"));
    let mut data = raw.data;
    if radiance {
        if compact.contains("cm") && !compact.contains("um") && !compact.contains("micro") {
            return Err(DetectError::BadBand {
                path: path.to_path_buf(),
                band: what.into(),
                reason: format!(
                    "{} is radiance per wavenumber ({}): give it per µm (W m-2 sr-1 um-1)",
                    raw.source, raw.unit
                ),
            });
        }
        let planck = band.planck();
        data.mapv_inplace(|l| planck.brightness_temperature(l as f64) as f32);
    } else {
        match unit.as_str() {
            "" | "k" | "kelvin" | "kelvins" | "degrees_kelvin" | "degree_kelvin" => {}
            "c" | "degc" | "celsius" | "degrees_celsius" => data.mapv_inplace(|v| v + 273.15),
            other => {
                return Err(DetectError::BadBand {
                    path: path.to_path_buf(),
                    band: what.into(),
                    reason: format!(
                        "{} has unit {other:?}: neither a brightness temperature (K) nor a radiance (W m-2 sr-1 um-1)",
                        raw.source
                    ),
                })
            }
        }
    }
    let [lo, hi] = band.valid_k;
    data.mapv_inplace(|v| if v >= lo && v <= hi { v } else { f32::NAN });
    Ok(data)
}

/// A scene-wide solar zenith from metadata: `SOLAR_ZENITH` in degrees, or a `DAY_NIGHT` flag
/// (a bare flag stands for 45° by day and 135° by night).
fn scene_solar_zenith(meta: &HashMap<String, String>) -> Field {
    if let Some(v) = meta.get("solar_zenith").and_then(|v| v.parse::<f32>().ok()) {
        return Field::Constant(v);
    }
    let flag = meta
        .get("day_night")
        .or_else(|| meta.get("daynightflag"))
        .or_else(|| meta.get("day_night_flag"));
    match flag.map(|f| f.trim().to_ascii_lowercase()) {
        Some(f) if f.starts_with('d') => Field::Constant(45.0),
        Some(f) if f.starts_with('n') => Field::Constant(135.0),
        _ => Field::Absent,
    }
}

fn grid_geolocation(file: &GranuleFile) -> Result<Geolocation, DetectError> {
    let none = || DetectError::NoGeolocation {
        path: file.path.clone(),
    };
    let gt = file.ds.geo_transform().map_err(|_| none())?;
    if gt == [0.0, 1.0, 0.0, 0.0, 0.0, 1.0] {
        return Err(none());
    }
    match file.ds.spatial_ref() {
        Ok(srs) if !srs.is_geographic() => Ok(Geolocation::Projected {
            gt,
            wkt: srs.to_wkt().map_err(|_| none())?,
        }),
        // Geographic (WGS84/CGCS2000) or unset: the geotransform is lon/lat already (x = lon,
        // whatever the CRS's authority axis order says: GDAL's geotransform is column/row).
        _ => Ok(Geolocation::Grid(gt)),
    }
}

fn satellite(meta: &HashMap<String, String>) -> Option<String> {
    let keys = [
        "platform",
        "platformshortname",
        "platform_short_name",
        "satellite",
        "spacecraft",
        "satellite_name",
    ];
    keys.iter()
        .find_map(|k| meta.get(*k))
        .map(|v| normalise_platform(v))
}

/// The spellings granules use for a platform → burnwatch's names.
pub fn normalise_platform(v: &str) -> String {
    let u: String = v
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match u.as_str() {
        "NPP" | "SNPP" | "SUOMINPP" | "NPOESSPREPARATORYPROJECT" => "Suomi NPP".into(),
        "J01" | "JPSS1" | "NOAA20" | "N20" => "NOAA-20".into(),
        "J02" | "JPSS2" | "NOAA21" | "N21" => "NOAA-21".into(),
        "AQUA" | "EOSPMAQUA" => "Aqua".into(),
        "TERRA" | "EOSAMTERRA" | "EOSAM1" => "Terra".into(),
        "H08" | "HIMAWARI8" => "Himawari-8".into(),
        "H09" | "HIMAWARI9" => "Himawari-9".into(),
        _ => v.trim().to_string(),
    }
}

fn start_time(meta: &HashMap<String, String>, path: &Path) -> Option<DateTime<Utc>> {
    for k in [
        "start_time",
        "time_coverage_start",
        "pge_starttime",
        "starttime",
        "observation_start_time",
    ] {
        if let Some(t) = meta.get(k).and_then(|v| parse_time(v)) {
            return Some(t);
        }
    }
    // MODIS L1B: RANGEBEGINNINGDATE + RANGEBEGINNINGTIME; VIIRS SDR: AggregateBeginning…
    for (d, t) in [
        ("rangebeginningdate", "rangebeginningtime"),
        ("aggregatebeginningdate", "aggregatebeginningtime"),
    ] {
        let date = meta
            .iter()
            .find(|(k, _)| k.ends_with(d))
            .map(|(_, v)| v.clone());
        let time = meta
            .iter()
            .find(|(k, _)| k.ends_with(t))
            .map(|(_, v)| v.clone());
        if let (Some(date), Some(time)) = (date, time) {
            let s = format!("{} {}", date.trim(), time.trim().trim_end_matches('Z'));
            if let Some(t) = parse_time(&s) {
                return Some(t);
            }
        }
    }
    let name = path.file_name()?.to_string_lossy().into_owned();
    time_from_name(&name)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_end_matches('Z').replace('T', " ");
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y%m%d %H%M%S%.f",
        "%Y%m%d %H%M%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
    .map(|t| t.and_utc())
}

/// `….A2025161.0502.…` (NASA) or `…_d20250610_t0502123_…` (NOAA/CSPP) in a file name.
fn time_from_name(name: &str) -> Option<DateTime<Utc>> {
    let parts: Vec<&str> = name.split('.').collect();
    let nasa = parts.windows(2).find_map(|w| {
        let yd = w[0].strip_prefix('A').filter(|d| d.len() == 7)?;
        let hm = Some(w[1]).filter(|d| d.len() == 4)?;
        let date = NaiveDate::parse_from_str(yd, "%Y%j").ok()?;
        let time = NaiveTime::parse_from_str(hm, "%H%M").ok()?;
        Some(date.and_time(time).and_utc())
    });
    nasa.or_else(|| {
        let fields: Vec<&str> = name.split(['_', '.']).collect();
        let d = fields
            .iter()
            .find_map(|f| f.strip_prefix('d').filter(|x| x.len() == 8))?;
        let t = fields
            .iter()
            .find_map(|f| f.strip_prefix('t').filter(|x| x.len() >= 6))?;
        let date = NaiveDate::parse_from_str(d, "%Y%m%d").ok()?;
        let time = NaiveTime::parse_from_str(&t[..6], "%H%M%S").ok()?;
        Some(date.and_time(time).and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_paths_and_names() {
        assert_eq!(variable_path("NETCDF:\"/x/g.nc\":I4"), "I4");
        assert_eq!(
            variable_path("HDF5:\"/x/g.h5\"://All_Data/VIIRS-I4-SDR_All/Radiance"),
            "All_Data/VIIRS-I4-SDR_All/Radiance"
        );
        assert_eq!(
            time_from_name("VNP02IMG.A2025161.0502.002.nc")
                .unwrap()
                .to_rfc3339(),
            "2025-06-10T05:02:00+00:00"
        );
        assert_eq!(
            time_from_name("SVI04_j01_d20250610_t0502123_e0503365_b1.h5")
                .unwrap()
                .to_rfc3339(),
            "2025-06-10T05:02:12+00:00"
        );
        assert_eq!(normalise_platform("J01"), "NOAA-20");
        assert_eq!(normalise_platform("Suomi NPP"), "Suomi NPP");
        assert_eq!(normalise_platform("Aqua"), "Aqua");
    }
}
