//! Fire-point products in the real formats, from simulated fires in the demo prefecture.

use crate::prefecture::{DemoPrefecture, DEMO_PREFECTURE_NAME};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SimError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the VNP14IMG granule: {0}")]
    Granule(#[from] burnwatch_ingest::IngestError),
}

/// One simulated fire on the ground.
#[derive(Debug, Clone)]
pub struct TruthFire {
    pub id: usize,
    pub lon: f64,
    pub lat: f64,
    pub township_code: String,
    pub frp_mw: f64,
    pub start: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SampleSummary {
    pub fires: Vec<TruthFire>,
    pub files: Vec<PathBuf>,
    pub counties: usize,
    pub townships: usize,
}

/// A satellite overpass of the demo day.
struct Pass {
    time: DateTime<Utc>,
    pixel_km: f64,
}

fn write(path: &Path, text: &str) -> Result<(), SimError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| SimError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| SimError::Write {
        path: path.to_owned(),
        source,
    })
}

fn put(files: &mut Vec<PathBuf>, out: &Path, rel: &str, text: &str) -> Result<(), SimError> {
    let path = out.join(rel);
    write(&path, text)?;
    files.push(path);
    Ok(())
}

/// Offsets a point by km east/north.
fn offset(lon: f64, lat: f64, east_km: f64, north_km: f64) -> (f64, f64) {
    (
        lon + east_km / (111.195 * lat.to_radians().cos()),
        lat + north_km / 111.195,
    )
}

/// Mid-infrared brightness temperature a pixel of `pixel_km` shows over a fire of `frp` MW:
/// hotter for more power per pixel area, clamped below the sensor's saturation.
fn t4_for(frp: f64, pixel_km: f64, saturation: f64) -> f64 {
    (305.0 + 14.0 * (1.0 + frp / (pixel_km * pixel_km)).ln()).min(saturation)
}

/// Writes the whole demo: regions, registry, products, config and truth, under `out`.
pub fn write_samples(out: &Path, seed: u64) -> Result<SampleSummary, SimError> {
    let prefecture = DemoPrefecture::generate(seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let day = NaiveDate::from_ymd_opt(2025, 6, 10).expect("valid date");
    let at = |h: u32, m: u32| Utc.from_utc_datetime(&day.and_hms_opt(h, m, 0).expect("valid time"));

    let mut files = Vec::new();
    put(
        &mut files,
        out,
        "regions/counties.geojson",
        &prefecture.counties_geojson(),
    )?;
    put(
        &mut files,
        out,
        "regions/townships.geojson",
        &prefecture.townships_geojson(),
    )?;

    // Fires: most in random townships, one deliberately 200 m from a township border so it is
    // shown to the neighbour too.
    let mut fires = Vec::new();
    for id in 0..30 {
        let t = &prefecture.townships[rng.random_range(0..prefecture.townships.len())];
        let (lon, lat) = prefecture.random_point_in(t, &mut rng);
        fires.push(TruthFire {
            id,
            lon,
            lat,
            township_code: t.code.clone(),
            frp_mw: rng.random_range(3.0..60.0f64),
            start: at(1, 0) + Duration::minutes(rng.random_range(0..180)),
        });
    }
    {
        let a = &prefecture.townships[0];
        // The first vertex of the township's ring lies on its border; step 200 m inside.
        let edge = a.polygon.exterior().0[3];
        let mut best = None;
        for (de, dn) in [(0.2, 0.0), (-0.2, 0.0), (0.0, 0.2), (0.0, -0.2)] {
            let (lon, lat) = offset(edge.x, edge.y, de, dn);
            if prefecture.township_at(lon, lat).map(|t| &t.code) == Some(&a.code) {
                best = Some((lon, lat));
                break;
            }
        }
        if let Some((lon, lat)) = best {
            fires.push(TruthFire {
                id: fires.len(),
                lon,
                lat,
                township_code: a.code.clone(),
                frp_mw: 25.0,
                start: at(1, 30),
            });
        }
    }

    let terra = Pass {
        time: at(2, 41),
        pixel_km: 1.0,
    };
    let aqua = Pass {
        time: at(5, 23),
        pixel_km: 1.0,
    };
    let npp = Pass {
        time: at(5, 2),
        pixel_km: 0.375,
    };
    let noaa20 = Pass {
        time: at(4, 13),
        pixel_km: 0.375,
    };

    // FIRMS MODIS (NRT shape, no `type`): each fire that is burning at the pass shows 1–2 pixels.
    let mut modis = String::from(
        "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight\n",
    );
    for (pass, sat) in [(&terra, "T"), (&aqua, "A")] {
        for f in fires.iter().filter(|f| f.start <= pass.time) {
            let scan = rng.random_range(1.0..2.2f64);
            let track = rng.random_range(1.0..1.5f64);
            for k in 0..rng.random_range(1..=2) {
                let (lon, lat) = offset(
                    f.lon,
                    f.lat,
                    k as f64 * 0.9 * scan,
                    rng.random_range(-0.3..0.3),
                );
                let frp = f.frp_mw / (1 + k) as f64;
                let t4 = t4_for(frp, scan * track, 500.0);
                writeln!(
                    modis,
                    "{lat:.5},{lon:.5},{t4:.2},{scan:.2},{track:.2},{},{},{sat},{},6.1NRT,{:.2},{frp:.2},D",
                    pass.time.format("%Y-%m-%d"),
                    pass.time.format("%H%M"),
                    rng.random_range(40..100),
                    rng.random_range(292.0..300.0f64),
                )
                .expect("writing to a String");
            }
        }
    }
    // A point outside the prefecture (a neighbouring area): stored and reported, no alert.
    writeln!(
        modis,
        "34.61200,115.41000,321.50,1.10,1.05,{},{},A,64,6.1NRT,296.10,8.40,D",
        aqua.time.format("%Y-%m-%d"),
        aqua.time.format("%H%M")
    )
    .expect("writing to a String");
    put(
        &mut files,
        out,
        "products/MODIS_C6_1_DEMO_24h_2025-06-10.csv",
        &modis,
    )?;

    // FIRMS VIIRS S-NPP archive shape (with `instrument` and `type`; confidence l/n/h; acq_time
    // without leading zeros as some downloads have it). Each fire shows a few 375 m pixels.
    let (plant_lon, plant_lat) = prefecture.random_point_in(&prefecture.townships[5], &mut rng);
    let mut viirs = String::from(
        "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight,type\n",
    );
    let mut vnp_fires = Vec::new();
    for f in fires.iter().filter(|f| f.start <= npp.time) {
        for k in 0..rng.random_range(1..=4) {
            let (lon, lat) = offset(f.lon, f.lat, (k % 2) as f64 * 0.375, (k / 2) as f64 * 0.375);
            let frp = f.frp_mw / (2 + k) as f64;
            let t4 = t4_for(frp, 0.14, 367.0);
            let t5 = rng.random_range(295.0..305.0f64);
            let conf = if t4 >= 367.0 {
                "h"
            } else if t4 - 300.0 > 15.0 {
                "n"
            } else {
                "l"
            };
            writeln!(
                viirs,
                "{lat:.5},{lon:.5},{t4:.2},0.39,0.36,{},{},N,VIIRS,{conf},2.0NRT,{t5:.2},{frp:.2},D,0",
                npp.time.format("%Y-%m-%d"),
                npp.time.format("%H%M").to_string().trim_start_matches('0'),
            )
            .expect("writing to a String");
            vnp_fires.push(burnwatch_ingest::Vnp14imgFire {
                lat,
                lon,
                t4_k: t4,
                t5_k: t5,
                frp_mw: frp,
                confidence: match conf {
                    "h" => 9,
                    "n" => 8,
                    _ => 7,
                },
                day: true,
            });
        }
    }
    // The power plant: a static land source, flagged `type` 2 by FIRMS.
    writeln!(
        viirs,
        "{plant_lat:.5},{plant_lon:.5},345.20,0.39,0.36,{},{},N,VIIRS,n,2.0NRT,301.40,22.10,D,2",
        npp.time.format("%Y-%m-%d"),
        npp.time.format("%H%M").to_string().trim_start_matches('0'),
    )
    .expect("writing to a String");
    put(
        &mut files,
        out,
        "products/SUOMI_VIIRS_C2_DEMO_archive_2025-06-10.csv",
        &viirs,
    )?;

    // The same S-NPP pass as a VNP14IMG granule from the archive: every pixel is a duplicate of
    // the CSV above, so ingesting both must add nothing.
    let granule = out.join(format!(
        "products/VNP14IMG.A2025161.{}.002.2025161120000.nc",
        npp.time.format("%H%M")
    ));
    std::fs::create_dir_all(out.join("products")).map_err(|source| SimError::Write {
        path: out.join("products"),
        source,
    })?;
    burnwatch_ingest::write_vnp14img_netcdf(&granule, npp.time, "NPP", &vnp_fires)?;
    files.push(granule);

    // CSPP direct broadcast from a local receiving station: NOAA-20, minutes after the pass.
    let mut afimg = String::new();
    let cspp_fires: Vec<_> = fires.iter().filter(|f| f.start <= noaa20.time).collect();
    let stamp = noaa20.time.format("d%Y%m%d_t%H%M%S0");
    let _ = write!(
        afimg,
        "# Active Fires I-band EDR\n#\n# source: AFIMG_j01_{stamp}_e{}_b38211_c20250610042730000000_cspp_dev.nc\n\
         # version: CSPP Active Fires version: cspp-active-fire-noaa_1.1.0\n#\n\
         # column 1: latitude of fire pixel (degrees)\n# column 2: longitude of fire pixel (degrees)\n\
         # column 3: I04 brightness temperature of fire pixel (K)\n# column 4: Along-scan fire pixel resolution (km)\n\
         # column 5: Along-track fire pixel resolution (km)\n# column 6: detection confidence ([7,8,9]->[lo,med,hi])\n\
         # column 7: fire radiative power (MW)\n#\n# number of fire pixels: {}\n#\n",
        (noaa20.time + Duration::seconds(95)).format("%H%M%S0"),
        cspp_fires.len()
    );
    for f in &cspp_fires {
        let t4 = t4_for(f.frp_mw / 2.0, 0.14, 367.0);
        let conf = if t4 >= 367.0 { 9 } else { 8 };
        let _ = writeln!(
            afimg,
            "  {:.8},  {:.8},  {t4:.8},  {:.3},  {:.3},    {conf},    {:.8}",
            f.lat + 0.0007,
            f.lon - 0.0009,
            noaa20.pixel_km,
            noaa20.pixel_km,
            f.frp_mw / 2.0
        );
    }
    put(
        &mut files,
        out,
        &format!("products/AFIMG_j01_{stamp}_e0415350_b38211_c20250610042730000000_cspp_dev.txt"),
        &afimg,
    )?;

    // Himawari-9 L2 WLF: every 10 minutes, the larger fires on its 0.02° grid.
    let scan_time = at(3, 0);
    let mut wlf = String::from(
        "# 2025  6 10  3  0 UTC  2025  6 10  3 10 UTC\n# ID,Year,Month,Day,Time(UTC),Lat,Lon,Area(km^2),Volcano,Level,Reliability,FRP(Wm^-2),QF,Hot(ID)\n",
    );
    for (n, f) in fires
        .iter()
        .filter(|f| f.start <= scan_time && f.frp_mw > 25.0)
        .enumerate()
    {
        let _ = writeln!(
            wlf,
            "{},2025,6,10,302,{:.2},{:.2},3.73,0,3,{},{:.2},0,{}",
            n + 1,
            (f.lat / 0.02).round() * 0.02,
            (f.lon / 0.02).round() * 0.02,
            if f.frp_mw > 40.0 { 5 } else { 3 },
            f.frp_mw,
            n + 1
        );
    }
    put(
        &mut files,
        out,
        "products/H09_20250610_0300_L2WLF010_FLDK.06001_06001.csv",
        &wlf,
    )?;

    // The industrial registry: the plant above plus a coking works.
    let (coke_lon, coke_lat) = prefecture.random_point_in(&prefecture.townships[17], &mut rng);
    put(&mut files, out,
        "registry/industrial.csv",
        &format!(
            "name,type,lat,lon,capacity,note\n\
             示范热电厂,coal power plant,{plant_lat:.6},{plant_lon:.6},2x350 MW,demo site flagged type 2 by FIRMS\n\
             示范焦化厂,coking plant,{coke_lat:.6},{coke_lon:.6},1.2 Mt/a,demo site\n"
        ),
    )?;

    let mut truth = String::from("fire_id,lon,lat,township_code,frp_mw,start_utc\n");
    for f in &fires {
        let _ = writeln!(
            truth,
            "{},{:.6},{:.6},{},{:.2},{}",
            f.id,
            f.lon,
            f.lat,
            f.township_code,
            f.frp_mw,
            f.start.format("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    put(&mut files, out, "truth/fires.csv", &truth)?;

    put(&mut files, out,
        "burnwatch.toml",
        &format!(
            "# burnwatch configuration for the demo prefecture ({DEMO_PREFECTURE_NAME}), written by\n\
             # `burnwatch simulate samples`. Relative paths are taken from this file's folder.\n\n\
             [store]\npath = \"../var/burnwatch.sqlite\"\n\n\
             [regions]\nborder_km = 0.5\n\n\
             [regions.counties]\npath = \"regions/counties.geojson\"\nid_field = \"code\"\nname_field = \"name\"\ncrs = \"wgs84\"\n\n\
             [regions.townships]\npath = \"regions/townships.geojson\"\nid_field = \"code\"\nname_field = \"name\"\nparent_field = \"county_code\"\ncrs = \"wgs84\"\n\n\
             [events]\ncluster_radius_km = 0.8\nattach_radius_km = 0.8\nattach_window_hours = 24\n\n\
             [ingest]\nquarantine_dir = \"../var/quarantine\"\n\n\
             # Sensor profiles for raw granules (thresholds with their sources).\n\
             [detect]\nmodels_dir = \"../models\"\n\n\
             # The daemon (`burnwatch run`): drop product files and granules into the inbox.\n\
             [server]\nlisten = \"127.0.0.1:8080\"\n\n\
             [inbox]\ndir = \"../var/inbox\"\nscan_interval_secs = 1\nsettle_secs = 1\n\n\
             [frames]\ndir = \"../var/frames\"\n\n\
             # Response deadlines, minutes from the alert: the notifier escalates by them and the\n\
             # statistics judge by them. verified_minutes absent: by the end of the local day of the on-scene deadline.\n\
             [deadlines]\nreceived_minutes = 30\non_scene_minutes = 60\n\n\
             # The named seasons of each year (local dates, both included), with their own deadlines.\n\
             [[seasons]]\nname = \"三夏\"\nstart = 2025-05-20\nend = 2025-07-31\ndeadlines = {{ on_scene_minutes = 45 }}\n\n\
             [[seasons]]\nname = \"三秋\"\nstart = 2025-09-20\nend = 2025-11-20\n\n\
             # Statistics and bulletins: the cropland behind points per 1,000 ha.\n\
             [reports]\nprefecture_name = \"{DEMO_PREFECTURE_NAME}\"\nprefecture_code = \"379900\"\n\n\
             [reports.cropland_ha]\n\"379900\" = 108000\n\"379901\" = 27000\n\"379902\" = 27000\n\"379903\" = 27000\n\"379904\" = 27000\n\n\
             # NASA FIRMS polling: set FIRMS_MAP_KEY in the environment and uncomment.\n\
             # [firms]\n# products = [\"VIIRS_SNPP_NRT\", \"VIIRS_NOAA20_NRT\", \"VIIRS_NOAA21_NRT\", \"MODIS_NRT\"]\n\
             # interval_secs = 600\n"
        ),
    )?;

    Ok(SampleSummary {
        fires,
        files,
        counties: prefecture.counties.len(),
        townships: prefecture.townships.len(),
    })
}

/// A FIRMS VIIRS CSV of `rows` pixels from one S-NPP pass at `pass_time`, as a poll of an area
/// three times the demo prefecture's extent would return: fires of 1–6 adjacent 375 m pixels at
/// random places, most outside the prefecture. Load for benchmarks and soak tests.
pub fn viirs_csv(
    prefecture: &DemoPrefecture,
    rows: usize,
    seed: u64,
    pass_time: DateTime<Utc>,
) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = String::from(
        "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight\n",
    );
    let (w, s, e, n) = prefecture.bounds;
    let (dw, dh) = (e - w, n - s);
    let step_lat = 0.375 / 111.195;
    let step_lon = 0.375 / (111.195 * ((s + n) / 2.0).to_radians().cos());
    let mut written = 0;
    while written < rows {
        let lat0 = rng.random_range(s - dh..n + dh);
        let lon0 = rng.random_range(w - dw..e + dw);
        let pixels = rng.random_range(1..=6).min(rows - written);
        for k in 0..pixels {
            let lat = lat0 + (k / 3) as f64 * step_lat;
            let lon = lon0 + (k % 3) as f64 * step_lon;
            let frp = rng.random_range(1.0..40.0f64);
            let t4 = t4_for(frp, 0.14, 367.0);
            let _ = writeln!(
                out,
                "{lat:.5},{lon:.5},{t4:.2},0.39,0.36,{},{},N,VIIRS,n,2.0NRT,{:.2},{frp:.2},D",
                pass_time.format("%Y-%m-%d"),
                pass_time.format("%H%M"),
                rng.random_range(295.0..305.0f64)
            );
        }
        written += pixels;
    }
    out
}
