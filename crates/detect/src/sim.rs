//! A physical granule simulator: what a sensor described by a [`SensorProfile`] would record over
//! a textured agricultural landscape with clouds, lakes, hot bare ground, persistent industrial
//! hot spots and sub-pixel straw fires.
//!
//! Every band is built in radiance and only then turned into brightness temperature, so mixing is
//! physical: a fire of temperature T_f covering a fraction p of a pixel adds p·(B(T_f) − L_bg) to
//! the pixel's radiance in each band, and its true FRP is σ·p·A_pix·(T_f⁴ − T_s⁴) (Wooster et al.
//! 2003's definition, ε = 1). By day the MIR band also carries reflected sunlight (Kirchhoff:
//! ρ = 1 − ε), the reason day thresholds are higher. Saturation and night-time folding follow the
//! profile's band. A pure function of the seed.

use crate::footprint::Footprint;
use crate::planck::{BandPlanck, SIGMA};
use crate::profile::SensorProfile;
use crate::scene::{Field, Geolocation, Scene, SceneMeta};
use chrono::{DateTime, TimeZone, Utc};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    pub rows: usize,
    pub cols: usize,
    /// Straw fires to place (on clear land).
    pub fires: usize,
    pub day: bool,
    /// Centre of the granule, degrees.
    pub centre_lon: f64,
    pub centre_lat: f64,
    pub start: Option<DateTime<Utc>>,
    /// Scan angle of the centre column, degrees (where in the swath the granule lies).
    pub scan_centre_deg: f64,
    /// Cloud cover fraction aimed at (0–1).
    pub cloud_cover: f64,
    /// Lakes to draw.
    pub lakes: usize,
    /// Hot bare-ground patches (warm by day, the classic false-alarm surface).
    pub bare_patches: usize,
    /// Persistent industrial hot spots (the same places whatever the seed).
    pub industrial: usize,
    /// FRP range of the straw fires, MW (log-uniform).
    pub frp_mw: (f64, f64),
}

impl SimOptions {
    /// A scene over burnwatch's demo prefecture (116.57E 35.15N).
    pub fn new(seed: u64, day: bool) -> Self {
        Self {
            seed,
            rows: 256,
            cols: 256,
            fires: 20,
            day,
            centre_lon: 116.57,
            centre_lat: 35.145,
            start: None,
            scan_centre_deg: 10.0,
            cloud_cover: 0.12,
            lakes: 2,
            bare_patches: 3,
            industrial: 2,
            frp_mw: (0.3, 150.0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruthKind {
    StrawFire,
    Industrial,
}

impl TruthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TruthKind::StrawFire => "straw_fire",
            TruthKind::Industrial => "industrial",
        }
    }
}

/// One simulated heat source and its true properties.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthFire {
    pub id: usize,
    pub kind: TruthKind,
    pub row: usize,
    pub col: usize,
    pub lon: f64,
    pub lat: f64,
    pub frp_mw: f64,
    pub temperature_k: f64,
    pub area_m2: f64,
    /// Fraction of the pixel on fire.
    pub fraction: f64,
    pub pixel_area_m2: f64,
    /// The MIR value the sensor recorded (after saturation/folding).
    pub recorded_t4_k: f32,
}

pub struct SimulatedGranule {
    pub scene: Scene,
    pub truth: Vec<TruthFire>,
}

/// Box–Muller standard normal.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Smooth value noise in −1..1 with features of `scale` pixels (bilinear over a random lattice).
fn value_noise(rng: &mut ChaCha8Rng, rows: usize, cols: usize, scale: f64) -> Array2<f32> {
    let gr = (rows as f64 / scale).ceil() as usize + 2;
    let gc = (cols as f64 / scale).ceil() as usize + 2;
    let lattice: Vec<f64> = (0..gr * gc).map(|_| rng.random_range(-1.0..1.0)).collect();
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (y, x) = (r as f64 / scale, c as f64 / scale);
        let (i, j) = (y.floor() as usize, x.floor() as usize);
        let (fy, fx) = (y - i as f64, x - j as f64);
        // Smoothstep weights avoid lattice creases.
        let (sy, sx) = (fy * fy * (3.0 - 2.0 * fy), fx * fx * (3.0 - 2.0 * fx));
        let at = |a: usize, b: usize| lattice[a * gc + b];
        let top = at(i, j) * (1.0 - sx) + at(i, j + 1) * sx;
        let bottom = at(i + 1, j) * (1.0 - sx) + at(i + 1, j + 1) * sx;
        (top * (1.0 - sy) + bottom * sy) as f32
    })
}

/// A blob mask: points inside an ellipse whose radius wobbles with the angle.
fn blob(rng: &mut ChaCha8Rng, rows: usize, cols: usize, radius: (f64, f64)) -> Vec<(usize, usize)> {
    let cr = rng.random_range(0.0..rows as f64);
    let cc = rng.random_range(0.0..cols as f64);
    let a = rng.random_range(radius.0..radius.1);
    let b = a * rng.random_range(0.5..1.0);
    let phase: [f64; 3] = [
        rng.random_range(0.0..6.3),
        rng.random_range(0.0..6.3),
        rng.random_range(0.0..6.3),
    ];
    let reach = (a * 1.4).ceil() as isize;
    let mut out = Vec::new();
    for r in (cr as isize - reach).max(0)..(cr as isize + reach).min(rows as isize) {
        for c in (cc as isize - reach).max(0)..(cc as isize + reach).min(cols as isize) {
            let (dy, dx) = (r as f64 - cr, c as f64 - cc);
            let th = dy.atan2(dx);
            let wobble = 1.0
                + 0.2 * (2.0 * th + phase[0]).sin()
                + 0.1 * (5.0 * th + phase[1]).sin()
                + 0.05 * (9.0 * th + phase[2]).sin();
            if (dx / a).powi(2) + (dy / b).powi(2) <= wobble * wobble {
                out.push((r as usize, c as usize));
            }
        }
    }
    out
}

/// Simulates a granule; see the module documentation for the physics.
pub fn simulate(profile: &SensorProfile, o: &SimOptions) -> SimulatedGranule {
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let (rows, cols) = (o.rows.max(8), o.cols.max(8));
    let mir_b = profile.bands.mir.planck();
    let tir_b = profile.bands.tir.planck();
    let t12_b = profile.bands.tir12.as_ref().map(|b| b.planck());
    let sim = &profile.simulation;

    // Geometry: a lon/lat grid of nadir-sized pixels, angles from the scan position.
    let dy = profile.geometry.nadir_track_km / 111.32;
    let dx = profile.geometry.nadir_scan_km / (111.32 * o.centre_lat.to_radians().cos());
    let gt = [
        o.centre_lon - dx * cols as f64 / 2.0,
        dx,
        0.0,
        o.centre_lat + dy * rows as f64 / 2.0,
        0.0,
        -dy,
    ];
    let geo = Geolocation::Grid(gt);
    let fp = Footprint::new(profile, 0);
    let sample_deg = (profile.geometry.nadir_scan_km / profile.geometry.altitude_km).to_degrees();
    let r_ratio = (6371.0 + profile.geometry.altitude_km) / 6371.0;
    let scan: Vec<f64> = (0..cols)
        .map(|c| o.scan_centre_deg + (c as f64 - cols as f64 / 2.0) * sample_deg)
        .collect();
    let vza_of = |theta_deg: f64| {
        (r_ratio * theta_deg.to_radians().sin())
            .clamp(-1.0, 1.0)
            .asin()
            .to_degrees()
    };
    let view_zenith = Array2::from_shape_fn((rows, cols), |(_, c)| vza_of(scan[c]).abs() as f32);
    let view_azimuth =
        Array2::from_shape_fn(
            (rows, cols),
            |(_, c)| if scan[c] >= 0.0 { 100.0f32 } else { -80.0 },
        );
    let sza0 = if o.day {
        rng.random_range(25.0..55.0)
    } else {
        rng.random_range(105.0..140.0)
    };
    let solar_zenith = Array2::from_shape_fn((rows, cols), |(r, _)| {
        (sza0 + 2.0 * r as f64 / rows as f64) as f32
    });
    let solar_azimuth = Array2::from_elem((rows, cols), if o.day { 160.0f32 } else { -20.0 });

    // Surface: textured cropland, lakes, bare patches.
    let base = if o.day { 301.0 } else { 287.0 };
    let n1 = value_noise(&mut rng, rows, cols, 48.0);
    let n2 = value_noise(&mut rng, rows, cols, 12.0);
    let n3 = value_noise(&mut rng, rows, cols, 3.0);
    let mut ts = Array2::from_shape_fn((rows, cols), |(r, c)| {
        (base + 3.0 * n1[[r, c]] as f64 + 1.2 * n2[[r, c]] as f64 + 0.5 * n3[[r, c]] as f64) as f32
    });
    let mut rho_mir = Array2::from_elem((rows, cols), sim.land_mir_reflectance);
    let mut red = Array2::from_shape_fn((rows, cols), |(r, c)| 0.06 + 0.01 * n2[[r, c]]);
    let mut nir = Array2::from_shape_fn((rows, cols), |(r, c)| 0.22 + 0.03 * n2[[r, c]]);
    let mut swir = Array2::from_shape_fn((rows, cols), |(r, c)| 0.14 + 0.02 * n3[[r, c]]);
    let mut water = Array2::<u8>::zeros((rows, cols));
    let scale = (rows.min(cols) as f64 / 256.0).max(0.3);
    for _ in 0..o.bare_patches {
        let warm = if o.day {
            rng.random_range(14.0..26.0)
        } else {
            rng.random_range(-3.0..0.0)
        };
        for (r, c) in blob(&mut rng, rows, cols, (8.0 * scale, 22.0 * scale)) {
            ts[[r, c]] += warm as f32;
            rho_mir[[r, c]] = 0.12;
            red[[r, c]] = 0.22;
            nir[[r, c]] = 0.27;
            swir[[r, c]] = 0.33;
        }
    }
    for _ in 0..o.lakes {
        let tw = if o.day { 294.0 } else { 291.0 };
        for (r, c) in blob(&mut rng, rows, cols, (6.0 * scale, 18.0 * scale)) {
            ts[[r, c]] = tw + 0.3 * n3[[r, c]];
            rho_mir[[r, c]] = 0.02;
            red[[r, c]] = 0.04;
            nir[[r, c]] = 0.02;
            swir[[r, c]] = 0.01;
            water[[r, c]] = 1;
        }
    }

    // Clouds: a fraction field from smooth noise, so edges are partial.
    let cn = value_noise(&mut rng, rows, cols, 40.0);
    let cn2 = value_noise(&mut rng, rows, cols, 10.0);
    let threshold = 1.0 - 2.0 * o.cloud_cover.clamp(0.0, 1.0) as f32;
    let top_k = rng.random_range(232.0..262.0) as f32;
    let cloud_frac = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let v = 0.8 * cn[[r, c]] + 0.2 * cn2[[r, c]];
        ((v - threshold) / 0.12).clamp(0.0, 1.0)
    });

    // Radiances of the surface (+ reflected sunlight by day) and the cloud mixture.
    let cos_sun = |r: usize, c: usize| (solar_zenith[[r, c]] as f64).to_radians().cos().max(0.0);
    let mut l4 = Array2::<f64>::zeros((rows, cols));
    let mut l11 = Array2::<f64>::zeros((rows, cols));
    let mut l12 = Array2::<f64>::zeros((rows, cols));
    for ((r, c), t) in ts.indexed_iter() {
        let t = *t as f64;
        let rho = rho_mir[[r, c]] as f64;
        let sun = if o.day {
            rho * sim.mir_solar_irradiance as f64 * cos_sun(r, c) / std::f64::consts::PI
        } else {
            0.0
        };
        // Atmosphere: a little water-vapour absorption, more at 12 µm.
        let surf4 = (1.0 - rho) * mir_b.radiance(t - 0.5) + sun;
        let surf11 = 0.98 * tir_b.radiance(t - 1.0) + 0.02 * tir_b.radiance(250.0);
        let f = cloud_frac[[r, c]] as f64;
        let cloud_sun = if o.day {
            0.08 * sim.mir_solar_irradiance as f64 * cos_sun(r, c) / std::f64::consts::PI
        } else {
            0.0
        };
        l4[[r, c]] = f * (mir_b.radiance(top_k as f64) + cloud_sun) + (1.0 - f) * surf4;
        l11[[r, c]] = f * tir_b.radiance(top_k as f64) + (1.0 - f) * surf11;
        if let Some(b12) = &t12_b {
            let surf12 = 0.97 * b12.radiance(t - 2.0) + 0.03 * b12.radiance(250.0);
            l12[[r, c]] = f * b12.radiance(top_k as f64) + (1.0 - f) * surf12;
        }
        if o.day {
            let f32f = f as f32;
            red[[r, c]] = f32f * 0.6 + (1.0 - f32f) * red[[r, c]];
            nir[[r, c]] = f32f * 0.62 + (1.0 - f32f) * nir[[r, c]];
            swir[[r, c]] = f32f * 0.35 + (1.0 - f32f) * swir[[r, c]];
        }
    }

    // Heat sources: industrial spots first (fixed places), then straw fires on clear land.
    let mut truth = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let spacing = (profile.window.max_size / 2 + 2).max(6);
    let free = |taken: &[(usize, usize)], r: usize, c: usize| {
        taken
            .iter()
            .all(|&(a, b)| a.abs_diff(r) > spacing || b.abs_diff(c) > spacing)
    };
    let margin = 2usize;
    let mut fixed = ChaCha8Rng::seed_from_u64(0x1D05_7A1A);
    let place = |kind: TruthKind,
                 r: usize,
                 c: usize,
                 frp_mw: f64,
                 tf: f64,
                 l4: &mut Array2<f64>,
                 l11: &mut Array2<f64>,
                 l12: &mut Array2<f64>,
                 truth: &mut Vec<TruthFire>| {
        let vza = view_zenith[[r, c]] as f64;
        let theta = (vza.to_radians().sin() / r_ratio).asin();
        let (scan_km, track_km) = fp.size_at_scan(theta);
        let pixel_m2 = scan_km * track_km * 1.0e6;
        let t_s = ts[[r, c]] as f64;
        let fraction = (frp_mw * 1.0e6 / (SIGMA * (tf.powi(4) - t_s.powi(4)) * pixel_m2)).min(1.0);
        let add =
            |l: &mut f64, b: &BandPlanck| *l = fraction * b.radiance(tf) + (1.0 - fraction) * *l;
        add(&mut l4[[r, c]], &mir_b);
        add(&mut l11[[r, c]], &tir_b);
        if let Some(b12) = &t12_b {
            add(&mut l12[[r, c]], b12);
        }
        let (lon, lat) = geo.lon_lat(r, c);
        truth.push(TruthFire {
            id: truth.len(),
            kind,
            row: r,
            col: c,
            lon,
            lat,
            frp_mw: SIGMA * fraction * pixel_m2 * (tf.powi(4) - t_s.powi(4)) * 1.0e-6,
            temperature_k: tf,
            area_m2: fraction * pixel_m2,
            fraction,
            pixel_area_m2: pixel_m2,
            recorded_t4_k: f32::NAN,
        });
    };
    for _ in 0..o.industrial {
        let r = fixed.random_range(margin..rows - margin);
        let c = fixed.random_range(margin..cols - margin);
        let frp = fixed.random_range(8.0..60.0);
        let tf = fixed.random_range(900.0..1400.0);
        if free(&taken, r, c) && water[[r, c]] == 0 {
            taken.push((r, c));
            place(
                TruthKind::Industrial,
                r,
                c,
                frp,
                tf,
                &mut l4,
                &mut l11,
                &mut l12,
                &mut truth,
            );
        }
    }
    let (lo, hi) = (
        o.frp_mw.0.max(1e-3).ln(),
        o.frp_mw.1.max(o.frp_mw.0 * 1.0001).ln(),
    );
    let mut attempts = 0;
    let mut placed = 0;
    while placed < o.fires && attempts < o.fires * 200 + 1000 {
        attempts += 1;
        let r = rng.random_range(margin..rows - margin);
        let c = rng.random_range(margin..cols - margin);
        if water[[r, c]] != 0 || cloud_frac[[r, c]] > 0.0 || !free(&taken, r, c) {
            continue;
        }
        let frp = rng.random_range(lo..hi).exp();
        // Straw burns from smouldering to flaming: 650–1100 K.
        let tf = rng.random_range(650.0..1100.0);
        taken.push((r, c));
        place(
            TruthKind::StrawFire,
            r,
            c,
            frp,
            tf,
            &mut l4,
            &mut l11,
            &mut l12,
            &mut truth,
        );
        placed += 1;
    }

    // Radiance → brightness temperature, noise, saturation and folding.
    let sat = profile.bands.mir.saturation_k;
    let fold = profile.bands.mir.fold_k;
    let fold_above = profile.bands.mir.fold_above_k.unwrap_or(f32::INFINITY);
    let (n4, n11) = (
        profile.bands.mir.nedt_k as f64,
        profile.bands.tir.nedt_k as f64,
    );
    let mut mir = Array2::<f32>::zeros((rows, cols));
    let mut mir_high = profile
        .bands
        .mir_high
        .as_ref()
        .map(|_| Array2::<f32>::zeros((rows, cols)));
    let mut tir = Array2::<f32>::zeros((rows, cols));
    let mut tir12 = t12_b.map(|_| Array2::<f32>::zeros((rows, cols)));
    for r in 0..rows {
        for c in 0..cols {
            let t4 = mir_b.brightness_temperature(l4[[r, c]]) + n4 * normal(&mut rng);
            let mut rec = t4 as f32;
            if let Some(s) = sat {
                if rec >= s {
                    rec = match (o.day, fold) {
                        (false, Some(f)) if rec > fold_above => f + 0.5 * normal(&mut rng) as f32,
                        _ => s,
                    };
                }
            }
            mir[[r, c]] = rec;
            if let (Some(h), Some(band)) = (&mut mir_high, &profile.bands.mir_high) {
                let v = t4 + band.nedt_k as f64 * normal(&mut rng);
                h[[r, c]] = (v as f32).min(band.saturation_k.unwrap_or(f32::INFINITY));
            }
            tir[[r, c]] =
                (tir_b.brightness_temperature(l11[[r, c]]) + n11 * normal(&mut rng)) as f32;
            if let (Some(t12), Some(b12)) = (&mut tir12, &t12_b) {
                t12[[r, c]] =
                    (b12.brightness_temperature(l12[[r, c]]) + n11 * normal(&mut rng)) as f32;
            }
        }
    }
    for t in &mut truth {
        t.recorded_t4_k = mir[[t.row, t.col]];
    }
    let start = o.start.unwrap_or_else(|| {
        // Local early afternoon / small hours in China (UTC+8) for polar orbiters.
        let hour = if o.day { 5 } else { 18 };
        Utc.with_ymd_and_hms(2025, 6, 10, hour, 30, 0)
            .single()
            .expect("valid date")
    });
    let scene = Scene {
        mir,
        tir,
        mir_high,
        tir12,
        red: o.day.then_some(red),
        nir: o.day.then_some(nir),
        swir: o.day.then_some(swir),
        cloud: None,
        water: Some(water),
        solar_zenith: Field::PerPixel(solar_zenith),
        view_zenith: Field::PerPixel(view_zenith),
        solar_azimuth: Field::PerPixel(solar_azimuth),
        view_azimuth: Field::PerPixel(view_azimuth),
        geo,
        meta: SceneMeta {
            satellite: Some(profile.default_satellite.clone()),
            start: Some(start),
            profile: Some(profile.name.clone()),
            instrument: Some(profile.instrument.clone()),
        },
    };
    SimulatedGranule { scene, truth }
}

/// Writes the truth table: one row per heat source with its true FRP.
pub fn write_truth_csv(path: &Path, truth: &[TruthFire]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "id,kind,row,col,lon,lat,frp_mw,temperature_k,fire_area_m2,pixel_fraction,pixel_area_m2,recorded_t4_k"
    )?;
    for t in truth {
        writeln!(
            out,
            "{},{},{},{},{:.6},{:.6},{:.3},{:.1},{:.2},{:.6},{:.0},{:.2}",
            t.id,
            t.kind.as_str(),
            t.row,
            t.col,
            t.lon,
            t.lat,
            t.frp_mw,
            t.temperature_k,
            t.area_m2,
            t.fraction,
            t.pixel_area_m2,
            t.recorded_t4_k
        )?;
    }
    out.flush()
}
