//! The contextual fire detector: one engine, every number from the [`SensorProfile`].
//!
//! Sequence (Giglio et al. 2003/2016; Schroeder et al. 2014): day/night → valid, cloud and water
//! → absolute tests → potential fire → background window growing until enough valid pixels
//! (cloud-free, same land/water kind, not a background fire; mean and mean absolute deviation) →
//! contextual tests → day rejections whose inputs exist (sun glint, desert boundary, coastal,
//! forest clearing) → confidence → FRP by the MIR radiance method over the pixel's footprint.
//!
//! Speed: one streaming pass reads T4/T11 once and keeps only the pixels that could pass any
//! fire test (rare); every window, median and statistic is then computed around those pixels
//! only. Nothing is allocated per pixel; the only scene-sized output is the optional fire mask.

use crate::footprint::Footprint;
use crate::planck::{BandPlanck, SIGMA};
use crate::profile::{
    ClassMethod, Contextual, GlintAction, MedianRule, Regime, SensorProfile, Threshold,
};
use crate::scene::{Field, Scene};
use burnwatch_core::ConfidenceClass;
use ndarray::Array2;
use std::collections::{BTreeSet, HashMap};

/// VNP14IMG fire-mask classes.
pub mod mask_class {
    pub const NOT_PROCESSED: u8 = 0;
    pub const GLINT: u8 = 2;
    pub const WATER: u8 = 3;
    pub const CLOUD: u8 = 4;
    pub const LAND: u8 = 5;
    pub const UNCLASSIFIED: u8 = 6;
    pub const LOW: u8 = 7;
    pub const NOMINAL: u8 = 8;
    pub const HIGH: u8 = 9;
}

/// Background statistics of one pixel's window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Background {
    /// Side of the window that had enough valid pixels.
    pub window: usize,
    pub n_valid: usize,
    /// Pixels of the window inside the image, centre and guard excluded.
    pub n_window: usize,
    pub mean4: f32,
    pub mean11: f32,
    pub mean_dt: f32,
    pub mad4: f32,
    pub mad11: f32,
    pub mad_dt: f32,
    /// Background fires left out of the statistics, their mean T4 (T′4b) and MAD (δ′4).
    pub n_rejected: usize,
    pub mean4_rejected: f32,
    pub mad4_rejected: f32,
    /// Masked water pixels in the window, and unmasked water found from reflectances.
    pub n_water: usize,
    pub n_unmasked_water: usize,
}

/// One fire pixel and everything the algorithm knew about it.
#[derive(Debug, Clone, PartialEq)]
pub struct FirePixel {
    pub row: usize,
    pub col: usize,
    pub lon: f64,
    pub lat: f64,
    pub day: bool,
    /// T4 as used (band 21 where band 22 saturated), K.
    pub t4: f32,
    pub t11: f32,
    pub background: Option<Background>,
    pub absolute: bool,
    pub saturated: bool,
    /// T4 folded or below a hot T11 (wrapped/clipped MIR): no usable MIR radiance for FRP.
    pub folded: bool,
    pub glint: bool,
    pub adjacent_cloud: u8,
    pub adjacent_water: u8,
    /// 0–100 ramp confidence (Giglio 2003).
    pub confidence_percent: f32,
    pub class: ConfidenceClass,
    /// 7, 8 or 9.
    pub mask_class: u8,
    pub frp_mw: Option<f64>,
    pub scan_km: f64,
    pub track_km: f64,
}

/// Why candidate pixels did not become fires, and what could not be tested.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunStats {
    pub pixels: usize,
    pub valid: usize,
    /// Valid and not cloud.
    pub clear: usize,
    pub day_pixels: usize,
    /// Pixels the first pass kept for the full tests.
    pub candidates: usize,
    pub potential: usize,
    pub unknown_background: usize,
    pub rejected_glint: usize,
    pub rejected_desert: usize,
    pub rejected_coastal: usize,
    pub rejected_clearing: usize,
    /// Tests the profile asks for whose inputs this granule lacks (skipped, not failed).
    pub skipped_tests: BTreeSet<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub fires: Vec<FirePixel>,
    pub stats: RunStats,
    /// Candidates that ended unclassified (6) or glint-rejected (2), for the fire mask.
    pub other_classes: Vec<(usize, u8)>,
}

/// A granule the algorithm cannot work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SceneProblem {
    /// `band` has shape `got`, the MIR band has `want`.
    MismatchedShape {
        band: String,
        got: (usize, usize),
        want: (usize, usize),
    },
    Empty,
    AllInvalid {
        pixels: usize,
    },
    AllCloud {
        valid: usize,
    },
    NoDayNight,
}

impl std::fmt::Display for SceneProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SceneProblem::MismatchedShape { band, got, want } => write!(
                f,
                "band {band} is {}×{} pixels but the MIR band is {}×{}",
                got.0, got.1, want.0, want.1
            ),
            SceneProblem::Empty => write!(f, "the granule has no pixels"),
            SceneProblem::AllInvalid { pixels } => write!(
                f,
                "all {pixels} pixels are fill/NaN or outside the valid brightness temperatures"
            ),
            SceneProblem::AllCloud { valid } => {
                write!(f, "all {valid} valid pixels are cloud: nothing can be observed")
            }
            SceneProblem::NoDayNight => write!(
                f,
                "no solar zenith (band or SOLAR_ZENITH/DAY_NIGHT metadata): day and night cannot be told apart"
            ),
        }
    }
}

/// The ramp S(x; a, b): 0 below a, 1 above b, linear between.
#[inline]
pub fn ramp(x: f32, a: f32, b: f32) -> f32 {
    if x.is_nan() || x <= a {
        0.0
    } else if x >= b {
        1.0
    } else {
        (x - a) / (b - a)
    }
}

/// First-pass thresholds of one regime: a pixel failing all of them cannot be a fire.
#[derive(Debug, Clone, Copy)]
struct Prefilter {
    mir: f32,
    dt: f32,
    /// An absolute test on T4 alone (∞ when it needs the potential test first).
    abs_mir: f32,
    /// A T11-only condition (negative ΔT, folding), ∞ when none.
    tir: f32,
}

impl Prefilter {
    fn of(regime: &Regime, sza: Option<f32>) -> Self {
        let at = |t: &Threshold| sza.map_or_else(|| t.lowest(), |s| t.at(s));
        let mut mir = at(&regime.potential.mir_above_k);
        if let Some(m) = &regime.potential.mir_median {
            mir = mir.max(m.clamp_k[0]);
        }
        let a = &regime.absolute;
        let mut abs_mir = f32::INFINITY;
        let mut tir = f32::INFINITY;
        if !a.requires_potential {
            if let Some(v) = a.mir_above_k {
                abs_mir = abs_mir.min(v);
            }
            if a.saturated_tir_above_k.is_some() {
                // Saturation is at or above every candidate threshold: caught by `abs_mir`.
                abs_mir = abs_mir.min(mir);
            }
            for v in [a.negative_dt_tir_above_k, a.folded_tir_above_k]
                .into_iter()
                .flatten()
            {
                tir = tir.min(v);
            }
        }
        Self {
            mir,
            dt: at(&regime.potential.dt_above_k),
            abs_mir,
            tir,
        }
    }

    #[inline(always)]
    fn hit(&self, m: f32, t: f32) -> bool {
        ((m > self.mir) & (m - t > self.dt)) | (m > self.abs_mir) | (t > self.tir)
    }
}

/// Valid brightness-temperature ranges of T4 and T11.
#[derive(Debug, Clone, Copy)]
struct Limits {
    mir: [f32; 2],
    tir: [f32; 2],
}

/// One row of the first pass with one regime: flags and the count of valid pixels. Written with
/// non-short-circuit operators over zipped slices so that it compiles to vector code.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn scan_row(
    m: &[f32],
    t: &[f32],
    t12: &[f32],
    lim: Limits,
    pf: &Prefilter,
    cold: f32,
    hits: &mut [u8],
    clear: &mut [u8],
) -> u32 {
    let [m0, m1] = lim.mir;
    let [t0, t1] = lim.tir;
    let mut nv = 0u32;
    for ((((&mk, &tk), &t12k), h), cf) in m
        .iter()
        .zip(t)
        .zip(t12)
        .zip(hits.iter_mut())
        .zip(clear.iter_mut())
    {
        let valid = (mk >= m0) & (mk <= m1) & (tk >= t0) & (tk <= t1);
        nv += valid as u32;
        let cloudy = t12k < cold;
        *cf = (valid & !cloudy) as u8;
        let hit = ((mk > pf.mir) & (mk - tk > pf.dt)) | (mk > pf.abs_mir) | (tk > pf.tir);
        *h = (valid & hit) as u8;
    }
    nv
}

/// As [`scan_row`] with a per-pixel solar zenith (day/night and SZA-dependent thresholds).
/// Returns (valid, valid day) counts.
#[allow(clippy::too_many_arguments)]
fn scan_row_sza(
    m: &[f32],
    t: &[f32],
    t12: &[f32],
    sza: &[f32],
    lim: Limits,
    (day, night, day_max): (&Regime, &Regime, f32),
    (cold_day, cold_night): (f32, f32),
    hits: &mut [u8],
    clear: &mut [u8],
) -> (u32, u32) {
    let [m0, m1] = lim.mir;
    let [t0, t1] = lim.tir;
    let (mut nv, mut nd) = (0u32, 0u32);
    for (((((&mk, &tk), &t12k), &s), h), cf) in m
        .iter()
        .zip(t)
        .zip(t12)
        .zip(sza)
        .zip(hits.iter_mut())
        .zip(clear.iter_mut())
    {
        let valid = (mk >= m0) & (mk <= m1) & (tk >= t0) & (tk <= t1);
        let is_day = s < day_max;
        let pf = Prefilter::of(if is_day { day } else { night }, Some(s));
        let cold = if is_day { cold_day } else { cold_night };
        nv += valid as u32;
        nd += (valid & is_day) as u32;
        let cloudy = t12k < cold;
        *cf = (valid & !cloudy) as u8;
        *h = (valid & pf.hit(mk, tk)) as u8;
    }
    (nv, nd)
}

/// Median T4 around a pixel (the VIIRS day threshold BT4S), cached per block of pixels and
/// estimated from every `STRIDE`-th row and column of the window: a 501×501 window has 251k
/// pixels and the median of a 1-in-16 systematic sample differs from it by far less than the
/// 325–330 K clamp's width.
struct MedianCache {
    cache: HashMap<(usize, usize), f32>,
    buf: Vec<f32>,
}

const MEDIAN_BLOCK: usize = 16;
const MEDIAN_STRIDE: usize = 4;

impl MedianCache {
    fn new() -> Self {
        Self {
            cache: HashMap::new(),
            buf: Vec::new(),
        }
    }
}

pub struct Engine<'p> {
    profile: &'p SensorProfile,
    mir_planck: BandPlanck,
    frp_a: f64,
}

/// Pixel kinds for the background window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BgKind {
    Invalid,
    Cloud,
    OtherSurface,
    Fire,
    Valid,
}

struct Ctx<'a> {
    scene: &'a Scene,
    rows: usize,
    cols: usize,
    mir: &'a [f32],
    tir: &'a [f32],
    mir_high: Option<&'a [f32]>,
    tir12: Option<&'a [f32]>,
    red: Option<&'a [f32]>,
    nir: Option<&'a [f32]>,
    swir: Option<&'a [f32]>,
    cloud: Option<&'a [u8]>,
    water: Option<&'a [u8]>,
    mir_valid: [f32; 2],
    tir_valid: [f32; 2],
    mir_sat: f32,
}

fn slice_f32(a: &Option<Array2<f32>>) -> Option<&[f32]> {
    a.as_ref().and_then(|a| a.as_slice())
}

impl<'a> Ctx<'a> {
    #[inline]
    fn valid(&self, i: usize) -> bool {
        let (m, t) = (self.mir[i], self.tir[i]);
        m >= self.mir_valid[0]
            && m <= self.mir_valid[1]
            && t >= self.tir_valid[0]
            && t <= self.tir_valid[1]
    }

    /// T4 as used: the low-gain band where the main MIR band is saturated.
    #[inline]
    fn t4(&self, i: usize) -> f32 {
        let m = self.mir[i];
        match self.mir_high {
            Some(h) if m >= self.mir_sat && h[i].is_finite() => h[i],
            _ => m,
        }
    }

    #[inline]
    fn water(&self, i: usize) -> bool {
        self.water.is_some_and(|w| w[i] != 0)
    }

    #[inline]
    fn cloud(&self, i: usize, regime: &Regime) -> bool {
        if self.cloud.is_some_and(|c| c[i] != 0) {
            return true;
        }
        let c = &regime.cloud;
        let t12 = self.tir12.map_or(self.tir[i], |t| t[i]);
        if c.tir_below_k.is_some_and(|v| t12 < v) {
            return true;
        }
        if let (Some(red), Some(nir)) = (self.red, self.nir) {
            let vis = red[i] + nir[i];
            if c.vis_sum_above.is_some_and(|v| vis > v) {
                return true;
            }
            if c.vis_sum_and_tir_below
                .is_some_and(|(v, t)| vis > v && t12 < t)
            {
                return true;
            }
            if self.water(i)
                && c.water_nir_and_tir_below
                    .is_some_and(|(v, t)| nir[i] > v && t12 < t)
            {
                return true;
            }
        }
        false
    }

    /// Background fire (left out of the background): the profile's test, plus pixels whose T4 is
    /// wrapped or saturated below T11 (they would drag the background mean down).
    #[inline]
    fn background_fire(&self, i: usize, regime: &Regime) -> bool {
        let (m, t) = (self.t4(i), self.tir[i]);
        let b = &regime.background_fire;
        let a = &regime.absolute;
        (m > b.mir_above_k && m - t > b.dt_above_k)
            || a.negative_dt_tir_above_k.is_some_and(|v| m < t && t > v)
            || matches!((a.folded_mir_at_most_k, a.folded_tir_above_k), (Some(fm), Some(ft)) if m <= fm && t > ft)
    }

    #[inline]
    fn bg_kind(&self, i: usize, regime: &Regime, centre_water: bool) -> BgKind {
        if !self.valid(i) {
            BgKind::Invalid
        } else if self.cloud(i, regime) {
            BgKind::Cloud
        } else if self.water(i) != centre_water {
            BgKind::OtherSurface
        } else if self.background_fire(i, regime) {
            BgKind::Fire
        } else {
            BgKind::Valid
        }
    }

    /// Unmasked water from reflectances (coastal test): NDVI < x, ρswir < y, ρ0.86 < z.
    #[inline]
    fn unmasked_water(&self, i: usize, regime: &Regime) -> bool {
        match (&regime.coastal, self.red, self.nir, self.swir) {
            (Some(c), Some(red), Some(nir), Some(swir)) => {
                let ndvi = (nir[i] - red[i]) / (nir[i] + red[i]);
                !self.water(i)
                    && ndvi < c.ndvi_below
                    && swir[i] < c.swir_below
                    && nir[i] < c.nir_below
            }
            _ => false,
        }
    }
}

/// Visits the pixels of the ring at Chebyshev distance `h` from (r, c) (the whole square when
/// `full`), inside the image and outside the guard box.
#[inline]
fn for_ring(
    ctx: &Ctx,
    (r, c): (usize, usize),
    h: usize,
    full: bool,
    guard: (usize, usize),
    mut f: impl FnMut(usize),
) {
    let (r, c, h) = (r as isize, c as isize, h as isize);
    let (rows, cols) = (ctx.rows as isize, ctx.cols as isize);
    let r0 = (r - h).max(0);
    let r1 = (r + h).min(rows - 1);
    let c0 = (c - h).max(0);
    let c1 = (c + h).min(cols - 1);
    let (gr, gc) = (guard.0 as isize, guard.1 as isize);
    for rr in r0..=r1 {
        let edge_row = (rr - r).abs() == h;
        let base = (rr * cols) as usize;
        if full || edge_row {
            for cc in c0..=c1 {
                if (rr - r).abs() <= gr && (cc - c).abs() <= gc {
                    continue;
                }
                f(base + cc as usize);
            }
        } else {
            for cc in [c - h, c + h] {
                if cc >= 0 && cc < cols && !((rr - r).abs() <= gr && (cc - c).abs() <= gc) {
                    f(base + cc as usize);
                }
            }
        }
    }
}

impl<'p> Engine<'p> {
    pub fn new(profile: &'p SensorProfile) -> Self {
        Self {
            profile,
            mir_planck: profile.bands.mir.planck(),
            frp_a: profile.frp_coefficient(),
        }
    }

    pub fn profile(&self) -> &SensorProfile {
        self.profile
    }

    fn ctx<'a>(&'a self, scene: &'a Scene) -> Ctx<'a> {
        let p = self.profile;
        Ctx {
            scene,
            rows: scene.rows(),
            cols: scene.cols(),
            mir: scene.mir.as_slice().expect("standard layout"),
            tir: scene.tir.as_slice().expect("standard layout"),
            mir_high: slice_f32(&scene.mir_high),
            tir12: slice_f32(&scene.tir12),
            red: slice_f32(&scene.red),
            nir: slice_f32(&scene.nir),
            swir: slice_f32(&scene.swir),
            cloud: scene.cloud.as_ref().and_then(|a| a.as_slice()),
            water: scene.water.as_ref().and_then(|a| a.as_slice()),
            mir_valid: p.bands.mir.valid_k,
            tir_valid: p.bands.tir.valid_k,
            mir_sat: p.bands.mir.saturation_k.unwrap_or(f32::INFINITY),
        }
    }

    fn regime(&self, day: bool) -> &Regime {
        if day {
            &self.profile.day
        } else {
            &self.profile.night
        }
    }

    /// Runs the algorithm over a scene.
    pub fn run(&self, scene: &Scene) -> Result<Run, SceneProblem> {
        let mut scene_ref = scene;
        // Arrays must be contiguous row-major for the streaming pass; GDAL-read and simulated
        // arrays are, a transposed view would not be.
        let owned;
        if !is_standard(scene) {
            owned = standardised(scene);
            scene_ref = &owned;
        }
        let scene = scene_ref;
        if let Err((band, got, want)) = scene.check_shapes() {
            return Err(SceneProblem::MismatchedShape { band, got, want });
        }
        if scene.mir.is_empty() {
            return Err(SceneProblem::Empty);
        }
        if !scene.solar_zenith.is_present() {
            return Err(SceneProblem::NoDayNight);
        }
        let ctx = self.ctx(scene);
        let mut stats = RunStats {
            pixels: scene.mir.len(),
            ..Default::default()
        };
        let candidates = self.first_pass(&ctx, &mut stats);
        if stats.valid == 0 {
            return Err(SceneProblem::AllInvalid {
                pixels: stats.pixels,
            });
        }
        if stats.clear == 0 {
            return Err(SceneProblem::AllCloud { valid: stats.valid });
        }
        stats.candidates = candidates.len();
        let footprint = Footprint::new(self.profile, ctx.cols);
        let mut medians = MedianCache::new();
        let mut fires = Vec::new();
        let mut other = Vec::new();
        for &i in &candidates {
            match self.evaluate(&ctx, i as usize, &mut medians, &mut stats) {
                Outcome::Fire(mut f) => {
                    let (scan, track) = footprint.at(scene, f.row, f.col);
                    f.scan_km = scan;
                    f.track_km = track;
                    f.frp_mw = self.frp(&ctx, &f);
                    let (lon, lat) = scene.geo.lon_lat(f.row, f.col);
                    f.lon = lon;
                    f.lat = lat;
                    fires.push(f);
                }
                Outcome::Class(c) => other.push((i as usize, c)),
                Outcome::NotFire => {}
            }
        }
        Ok(Run {
            fires,
            stats,
            other_classes: other,
        })
    }

    /// The streaming pass: counts valid and clear pixels and keeps the pixels that pass the
    /// loosest form of some fire test. Each row is tested branch-free into reusable flag buffers
    /// so the loop vectorises; only rows with a hit are looked at again.
    fn first_pass(&self, ctx: &Ctx, stats: &mut RunStats) -> Vec<u32> {
        let p = self.profile;
        let mut out = Vec::new();
        let cols = ctx.cols;
        let day_max = p.day_max_solar_zenith_deg;
        let scene = ctx.scene;
        let constant_sza = match &scene.solar_zenith {
            Field::Constant(v) => Some(*v),
            _ => None,
        };
        let cold = |day: bool| {
            let r = if day { &p.day } else { &p.night };
            r.cloud.tir_below_k.unwrap_or(f32::NEG_INFINITY)
        };
        // The cloud count needs the same test as the algorithm; its cheapest part (cold T12)
        // is done in the vector loop, the rest only where reflectances or a mask exist.
        let full_cloud = ctx.cloud.is_some() || (ctx.red.is_some() && ctx.nir.is_some());
        let limits = Limits {
            mir: ctx.mir_valid,
            tir: ctx.tir_valid,
        };
        let mut hits = vec![0u8; cols];
        let mut clear = vec![0u8; cols];
        for r in 0..ctx.rows {
            let row0 = r * cols;
            let m = &ctx.mir[row0..row0 + cols];
            let t = &ctx.tir[row0..row0 + cols];
            let t12 = ctx.tir12.map_or(t, |x| &x[row0..row0 + cols]);
            let (nv, nd) = match (constant_sza, scene.solar_zenith.row(r)) {
                (Some(sza), _) => {
                    let day = sza < day_max;
                    let pf = Prefilter::of(self.regime(day), Some(sza));
                    let nv = scan_row(m, t, t12, limits, &pf, cold(day), &mut hits, &mut clear);
                    (nv, if day { nv } else { 0 })
                }
                (None, Some(sza)) => scan_row_sza(
                    m,
                    t,
                    t12,
                    &sza[..cols],
                    limits,
                    (&p.day, &p.night, day_max),
                    (cold(true), cold(false)),
                    &mut hits,
                    &mut clear,
                ),
                (None, None) => unreachable!("solar zenith presence is checked before"),
            };
            stats.valid += nv as usize;
            stats.day_pixels += nd as usize;
            if full_cloud {
                for (k, f) in clear.iter_mut().enumerate() {
                    if *f != 0 {
                        let day = self.is_day(scene, r, k);
                        if ctx.cloud(row0 + k, self.regime(day)) {
                            *f = 0;
                        }
                    }
                }
            }
            stats.clear += clear.iter().map(|&x| x as u32).sum::<u32>() as usize;
            if hits.iter().fold(0u8, |a, &h| a | h) != 0 {
                for (k, &h) in hits.iter().enumerate() {
                    if h != 0 {
                        out.push((row0 + k) as u32);
                    }
                }
            }
        }
        out
    }

    fn is_day(&self, scene: &Scene, r: usize, c: usize) -> bool {
        scene
            .solar_zenith
            .at(r, c)
            .is_some_and(|s| s < self.profile.day_max_solar_zenith_deg)
    }

    fn evaluate(
        &self,
        ctx: &Ctx,
        i: usize,
        medians: &mut MedianCache,
        stats: &mut RunStats,
    ) -> Outcome {
        let p = self.profile;
        let (r, c) = (i / ctx.cols, i % ctx.cols);
        let scene = ctx.scene;
        let day = self.is_day(scene, r, c);
        let sza = scene.solar_zenith.at(r, c).unwrap_or(90.0);
        let regime = self.regime(day);
        let water = ctx.water(i);
        if !ctx.valid(i) || ctx.cloud(i, regime) || (water && !p.process_water) {
            return Outcome::NotFire;
        }
        let raw4 = ctx.mir[i];
        let t4 = ctx.t4(i);
        let t11 = ctx.tir[i];
        let dt = t4 - t11;
        let saturated =
            p.bands.mir.saturation_k.is_some_and(|s| raw4 >= s) && p.bands.mir_high.is_none();
        let a = &regime.absolute;
        let folded = matches!((a.folded_mir_at_most_k, a.folded_tir_above_k), (Some(fm), Some(ft)) if t4 <= fm && t11 > ft);
        // T4 below a hot T11: the MIR signal wrapped or clipped, so it is a saturated pixel too.
        let wrapped = folded
            || a.negative_dt_tir_above_k
                .is_some_and(|v| dt < 0.0 && t11 > v);

        // Potential fire.
        let pot = &regime.potential;
        let mut potential = t4 > pot.mir_above_k.at(sza) && dt > pot.dt_above_k.at(sza);
        if potential {
            if let (Some(limit), Some(nir)) = (pot.nir_below, ctx.nir) {
                potential = nir[i] < limit;
            } else if pot.nir_below.is_some() && day {
                stats.skipped_tests.insert("potential: ρ0.86 (no NIR band)");
            }
        }
        if potential {
            if let Some(rule) = &pot.mir_median {
                if t4 <= rule.clamp_k[1] {
                    let m = self.median_t4(ctx, r, c, rule, regime, medians);
                    potential = t4 > m.clamp(rule.clamp_k[0], rule.clamp_k[1]);
                }
            }
        }

        // Absolute tests.
        let vis = match (ctx.red, ctx.nir) {
            (Some(red), Some(nir)) => Some(red[i] + nir[i]),
            _ => None,
        };
        let absolute = if a.requires_potential && !potential {
            false
        } else {
            a.mir_above_k.is_some_and(|v| t4 > v)
                || (saturated
                    && a.saturated_tir_above_k.is_some_and(|v| t11 > v)
                    && match (a.saturated_vis_sum_below, vis) {
                        (Some(limit), Some(v)) => v < limit,
                        _ => true,
                    })
                || wrapped
        };
        if !potential && !absolute {
            return Outcome::NotFire;
        }
        stats.potential += potential as usize;

        let bg = self.background(ctx, (r, c), regime, water);
        let mut is_fire = absolute;
        if !absolute {
            let Some(b) = &bg else {
                stats.unknown_background += 1;
                return Outcome::Class(mask_class::UNCLASSIFIED);
            };
            is_fire = contextual(&regime.contextual, b, t4, t11, dt);
        }
        if !is_fire {
            return Outcome::NotFire;
        }

        // Day rejections whose inputs exist.
        let (adj_cloud, adj_water) = self.adjacent(ctx, r, c, regime);
        let mut glint = false;
        if day {
            if let Some(g) = &regime.glint {
                match self.glint_angle(scene, r, c) {
                    Some(theta) => {
                        let water_near =
                            adj_water > 0 || bg.is_some_and(|b| b.n_water + b.n_unmasked_water > 0);
                        glint = theta < g.angle_below_deg
                            || g.water_angle_below_deg
                                .is_some_and(|w| theta < w && water_near)
                            || match (g.bright, ctx.red, ctx.nir, ctx.swir) {
                                (Some((angle, r1, r2, r3)), Some(red), Some(nir), Some(swir)) => {
                                    theta < angle && red[i] > r1 && nir[i] > r2 && swir[i] > r3
                                }
                                _ => false,
                            };
                        if g.bright.is_some() && (ctx.red.is_none() || ctx.swir.is_none()) {
                            stats
                                .skipped_tests
                                .insert("glint: bright-surface test (no reflectances)");
                        }
                    }
                    None => {
                        stats.skipped_tests.insert("glint (no sun/view angles)");
                    }
                }
                if glint && g.action == GlintAction::Reject {
                    stats.rejected_glint += 1;
                    return Outcome::Class(mask_class::GLINT);
                }
            }
            if let (Some(d), Some(b)) = (&regime.desert, &bg) {
                match ctx.nir {
                    Some(nir) => {
                        if b.n_rejected as f32 > d.rejected_fraction_above * b.n_valid as f32
                            && b.n_rejected >= d.rejected_count_at_least
                            && nir[i] > d.nir_above
                            && b.mean4_rejected < d.rejected_mean_below_k
                            && b.mad4_rejected < d.rejected_mad_below_k
                            && t4 < b.mean4_rejected + d.mir_rejected_mad * b.mad4_rejected
                        {
                            stats.rejected_desert += 1;
                            return Outcome::NotFire;
                        }
                    }
                    None => {
                        stats.skipped_tests.insert("desert boundary (no NIR band)");
                    }
                }
            }
            if regime.coastal.is_some() {
                if ctx.red.is_some() && ctx.nir.is_some() && ctx.swir.is_some() {
                    if !absolute && bg.is_some_and(|b| b.n_unmasked_water > 0) {
                        stats.rejected_coastal += 1;
                        return Outcome::NotFire;
                    }
                } else {
                    stats.skipped_tests.insert("coastal (no reflectances)");
                }
            }
            if let (Some(cl), Some(b)) = (&regime.clearing, &bg) {
                match ctx.nir {
                    Some(nir) => {
                        if t11 > b.mean11 + cl.tir_mad * b.mad11
                            && nir[i] > cl.nir_above
                            && t4 < cl.mir_below_k
                        {
                            stats.rejected_clearing += 1;
                            return Outcome::NotFire;
                        }
                    }
                    None => {
                        stats.skipped_tests.insert("forest clearing (no NIR band)");
                    }
                }
            }
        }

        // Confidence.
        let cf = &p.confidence;
        let c1 = ramp(
            t4,
            regime.confidence_mir_ramp_k[0],
            regime.confidence_mir_ramp_k[1],
        );
        let mut parts = [c1, 0.0, 0.0, 0.0, 0.0];
        let mut n_parts = 1;
        if let Some(b) = &bg {
            let z4 = (t4 - b.mean4) / b.mad4;
            let zdt = (dt - b.mean_dt) / b.mad_dt;
            parts[1] = ramp(z4, cf.z4_ramp[0], cf.z4_ramp[1]);
            parts[2] = ramp(zdt, cf.zdt_ramp[0], cf.zdt_ramp[1]);
            n_parts = 3;
        }
        if day {
            let [a0, a1] = cf.adjacent_cloud_ramp;
            let [w0, w1] = cf.adjacent_water_ramp;
            parts[n_parts] = 1.0 - ramp(adj_cloud as f32, a0, a1);
            parts[n_parts + 1] = 1.0 - ramp(adj_water as f32, w0, w1);
            n_parts += 2;
        }
        let percent = 100.0 * geometric_mean(&parts[..n_parts]);
        let class = match cf.classes {
            ClassMethod::Percent => ConfidenceClass::from_percent(percent as f64),
            ClassMethod::Viirs => {
                if saturated || wrapped {
                    ConfidenceClass::High
                } else if glint || bg.is_some_and(|b| t4 - b.mean4 < cf.low_below_mir_excess_k) {
                    ConfidenceClass::Low
                } else {
                    ConfidenceClass::Nominal
                }
            }
        };
        let mask_class = match class {
            ConfidenceClass::Low => mask_class::LOW,
            ConfidenceClass::Nominal => mask_class::NOMINAL,
            ConfidenceClass::High => mask_class::HIGH,
        };
        Outcome::Fire(FirePixel {
            row: r,
            col: c,
            lon: f64::NAN,
            lat: f64::NAN,
            day,
            t4,
            t11,
            background: bg,
            absolute,
            saturated,
            folded: wrapped,
            glint,
            adjacent_cloud: adj_cloud,
            adjacent_water: adj_water,
            confidence_percent: percent,
            class,
            mask_class,
            frp_mw: None,
            scan_km: 0.0,
            track_km: 0.0,
        })
    }

    /// The growing background window: rings are added until the valid pixels are enough, then
    /// means, and mean absolute deviations in a second look at the final window.
    fn background(
        &self,
        ctx: &Ctx,
        centre: (usize, usize),
        regime: &Regime,
        centre_water: bool,
    ) -> Option<Background> {
        let w = &self.profile.window;
        let guard = (w.exclude_half_rows, w.exclude_half_cols);
        let mut n_window = 0usize;
        let mut n_valid = 0usize;
        let (mut s4, mut s11) = (0f64, 0f64);
        let mut n_rej = 0usize;
        let mut s4_rej = 0f64;
        let mut n_water = 0usize;
        let mut n_uw = 0usize;
        let mut size = w.min_size;
        let mut first = true;
        let mut found = None;
        let mut h = w.min_size / 2;
        while size <= w.max_size {
            for_ring(ctx, centre, h, first, guard, |j| {
                n_window += 1;
                if ctx.water(j) {
                    n_water += 1;
                }
                match ctx.bg_kind(j, regime, centre_water) {
                    BgKind::Valid => {
                        n_valid += 1;
                        s4 += ctx.t4(j) as f64;
                        s11 += ctx.tir[j] as f64;
                        if ctx.unmasked_water(j, regime) {
                            n_uw += 1;
                        }
                    }
                    BgKind::Fire => {
                        n_rej += 1;
                        s4_rej += ctx.t4(j) as f64;
                    }
                    _ => {}
                }
            });
            // The first window is visited whole; each larger size adds one ring.
            first = false;
            if n_valid >= w.min_valid_count
                && n_valid as f32 >= w.min_valid_fraction * n_window as f32
            {
                found = Some(size);
                break;
            }
            size += 2;
            h += 1;
        }
        let size = found?;
        let mean4 = (s4 / n_valid as f64) as f32;
        let mean11 = (s11 / n_valid as f64) as f32;
        let mean_dt = mean4 - mean11;
        let mean4_rej = if n_rej > 0 {
            (s4_rej / n_rej as f64) as f32
        } else {
            f32::NAN
        };
        let (mut d4, mut d11, mut ddt, mut d4r) = (0f64, 0f64, 0f64, 0f64);
        for_ring(ctx, centre, size / 2, true, guard, |j| {
            match ctx.bg_kind(j, regime, centre_water) {
                BgKind::Valid => {
                    let (t4, t11) = (ctx.t4(j), ctx.tir[j]);
                    d4 += (t4 - mean4).abs() as f64;
                    d11 += (t11 - mean11).abs() as f64;
                    ddt += (t4 - t11 - mean_dt).abs() as f64;
                }
                BgKind::Fire => d4r += (ctx.t4(j) - mean4_rej).abs() as f64,
                _ => {}
            }
        });
        let floor = regime.contextual.mad_floor_k;
        let n = n_valid as f64;
        Some(Background {
            window: size,
            n_valid,
            n_window,
            mean4,
            mean11,
            mean_dt,
            mad4: ((d4 / n) as f32).max(floor),
            mad11: ((d11 / n) as f32).max(floor),
            mad_dt: ((ddt / n) as f32).max(floor),
            n_rejected: n_rej,
            mean4_rejected: mean4_rej,
            mad4_rejected: if n_rej > 0 {
                (d4r / n_rej as f64) as f32
            } else {
                0.0
            },
            n_water,
            n_unmasked_water: n_uw,
        })
    }

    /// Cloud and water pixels among the 8 neighbours.
    fn adjacent(&self, ctx: &Ctx, r: usize, c: usize, regime: &Regime) -> (u8, u8) {
        let (mut cl, mut wa) = (0u8, 0u8);
        for_ring(ctx, (r, c), 1, false, (0, 0), |j| {
            if ctx.valid(j) && ctx.cloud(j, regime) {
                cl += 1;
            }
            if ctx.water(j) {
                wa += 1;
            }
        });
        (cl, wa)
    }

    /// Sun-glint angle, degrees: cos θg = cos θv cos θs − sin θv sin θs cos φ (Giglio 2003),
    /// φ the relative azimuth. `None` when an angle is missing.
    fn glint_angle(&self, scene: &Scene, r: usize, c: usize) -> Option<f32> {
        let sz = scene.solar_zenith.at(r, c)?.to_radians();
        let vz = scene.view_zenith.at(r, c)?.to_radians();
        let sa = scene.solar_azimuth.at(r, c)?;
        let va = scene.view_azimuth.at(r, c)?;
        let phi = (va - sa).to_radians();
        let cos_g = vz.cos() * sz.cos() - vz.sin() * sz.sin() * phi.cos();
        let g = cos_g.clamp(-1.0, 1.0).acos().to_degrees();
        g.is_finite().then_some(g)
    }

    fn median_t4(
        &self,
        ctx: &Ctx,
        r: usize,
        c: usize,
        rule: &MedianRule,
        regime: &Regime,
        cache: &mut MedianCache,
    ) -> f32 {
        let key = (r / MEDIAN_BLOCK, c / MEDIAN_BLOCK);
        if let Some(&m) = cache.cache.get(&key) {
            return m;
        }
        let cr = (key.0 * MEDIAN_BLOCK + MEDIAN_BLOCK / 2).min(ctx.rows - 1);
        let cc = (key.1 * MEDIAN_BLOCK + MEDIAN_BLOCK / 2).min(ctx.cols - 1);
        let h = rule.window / 2;
        let buf = &mut cache.buf;
        buf.clear();
        let (r0, r1) = (cr.saturating_sub(h), (cr + h).min(ctx.rows - 1));
        let (c0, c1) = (cc.saturating_sub(h), (cc + h).min(ctx.cols - 1));
        for rr in (r0..=r1).step_by(MEDIAN_STRIDE) {
            for col in (c0..=c1).step_by(MEDIAN_STRIDE) {
                let j = rr * ctx.cols + col;
                if ctx.valid(j) && !ctx.cloud(j, regime) {
                    buf.push(ctx.t4(j));
                }
            }
        }
        let m = if buf.is_empty() {
            // No clear pixels around: the clamp's upper end, the stricter threshold.
            rule.clamp_k[1]
        } else {
            let mid = buf.len() / 2;
            *buf.select_nth_unstable_by(mid, f32::total_cmp).1
        };
        cache.cache.insert(key, m);
        m
    }

    /// FRP by the MIR radiance method (Wooster et al. 2003): A·σ/a·(L4 − L4b), with L4b the mean
    /// background radiance. None without a background or when the MIR signal is unusable
    /// (folded); a saturated pixel gives a lower bound.
    fn frp(&self, ctx: &Ctx, f: &FirePixel) -> Option<f64> {
        let b = f.background?;
        if f.folded {
            return None;
        }
        let regime = self.regime(f.day);
        let water = ctx.water(f.row * ctx.cols + f.col);
        let w = &self.profile.window;
        let guard = (w.exclude_half_rows, w.exclude_half_cols);
        let (mut sum, mut n) = (0f64, 0usize);
        for_ring(ctx, (f.row, f.col), b.window / 2, true, guard, |j| {
            if ctx.bg_kind(j, regime, water) == BgKind::Valid {
                sum += self.mir_planck.radiance(ctx.t4(j) as f64);
                n += 1;
            }
        });
        if n == 0 {
            return None;
        }
        let l4b = sum / n as f64;
        let l4 = self.mir_planck.radiance(f.t4 as f64);
        let area_m2 = f.scan_km * f.track_km * 1.0e6;
        let frp = area_m2 * SIGMA / self.frp_a * (l4 - l4b) * 1.0e-6;
        (frp.is_finite() && frp > 0.0).then_some(frp)
    }

    /// The VNP14IMG-style fire mask of a run: 0 not processed, 2 glint, 3 water, 4 cloud,
    /// 5 land, 6 unclassified, 7/8/9 fire low/nominal/high.
    pub fn fire_mask(&self, scene: &Scene, run: &Run) -> Array2<u8> {
        let ctx = self.ctx(scene);
        let mut mask = Array2::<u8>::zeros((ctx.rows, ctx.cols));
        let out = mask.as_slice_mut().expect("fresh array");
        for (i, m) in out.iter_mut().enumerate() {
            let (r, c) = (i / ctx.cols, i % ctx.cols);
            let regime = self.regime(self.is_day(scene, r, c));
            *m = if !ctx.valid(i) {
                mask_class::NOT_PROCESSED
            } else if ctx.cloud(i, regime) {
                mask_class::CLOUD
            } else if ctx.water(i) {
                mask_class::WATER
            } else {
                mask_class::LAND
            };
        }
        for &(i, class) in &run.other_classes {
            out[i] = class;
        }
        for f in &run.fires {
            out[f.row * ctx.cols + f.col] = f.mask_class;
        }
        mask
    }
}

enum Outcome {
    Fire(FirePixel),
    Class(u8),
    NotFire,
}

/// The contextual tests (Giglio 2003 tests 2–6 and their VIIRS counterparts).
pub fn contextual(c: &Contextual, b: &Background, t4: f32, t11: f32, dt: f32) -> bool {
    let t2 = dt > b.mean_dt + c.dt_mad * b.mad_dt;
    let t3 = dt > b.mean_dt + c.dt_offset_k;
    let t4_test = t4 > b.mean4 + c.mir_mad * b.mad4;
    let thermal = match &c.tir {
        Some(tt) => {
            t11 > b.mean11 + tt.mad * b.mad11 + tt.offset_k
                || (b.n_rejected > 0 && b.mad4_rejected > tt.or_rejected_mad_above_k)
        }
        None => true,
    };
    t2 && t3 && t4_test && thermal
}

fn geometric_mean(parts: &[f32]) -> f32 {
    if parts.iter().any(|&x| x <= 0.0 || x.is_nan()) {
        return 0.0;
    }
    let log: f32 = parts.iter().map(|x| x.ln()).sum();
    (log / parts.len() as f32).exp()
}

fn is_standard(s: &Scene) -> bool {
    let f = |a: &Option<Array2<f32>>| !matches!(a, Some(a) if !a.is_standard_layout());
    let field = |x: &Field| match x {
        Field::PerPixel(a) => a.is_standard_layout(),
        _ => true,
    };
    s.mir.is_standard_layout()
        && s.tir.is_standard_layout()
        && f(&s.mir_high)
        && f(&s.tir12)
        && f(&s.red)
        && f(&s.nir)
        && f(&s.swir)
        && !matches!(&s.cloud, Some(a) if !a.is_standard_layout())
        && !matches!(&s.water, Some(a) if !a.is_standard_layout())
        && field(&s.solar_zenith)
}

fn standardised(s: &Scene) -> Scene {
    let f = |a: &Option<Array2<f32>>| a.as_ref().map(|a| a.as_standard_layout().into_owned());
    let field = |x: &Field| match x {
        Field::PerPixel(a) => Field::PerPixel(a.as_standard_layout().into_owned()),
        other => other.clone(),
    };
    Scene {
        mir: s.mir.as_standard_layout().into_owned(),
        tir: s.tir.as_standard_layout().into_owned(),
        mir_high: f(&s.mir_high),
        tir12: f(&s.tir12),
        red: f(&s.red),
        nir: f(&s.nir),
        swir: f(&s.swir),
        cloud: s
            .cloud
            .as_ref()
            .map(|a| a.as_standard_layout().into_owned()),
        water: s
            .water
            .as_ref()
            .map(|a| a.as_standard_layout().into_owned()),
        solar_zenith: field(&s.solar_zenith),
        view_zenith: s.view_zenith.clone(),
        solar_azimuth: s.solar_azimuth.clone(),
        view_azimuth: s.view_azimuth.clone(),
        geo: s.geo.clone(),
        meta: s.meta.clone(),
    }
}

#[cfg(test)]
mod tests {
    //! Each test of the algorithm on hand-built pixels. Backgrounds are flat, so means are the
    //! flat values and mean absolute deviations are 0, and every threshold can be checked by hand.
    use super::*;
    use crate::planck::SIGMA;
    use crate::scene::Geolocation;
    use std::path::Path;

    fn profile(name: &str) -> SensorProfile {
        SensorProfile::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
            name,
        )
        .unwrap()
    }

    /// A 41×41 flat scene, pixel centre at (20, 20).
    fn flat(t4: f32, t11: f32, sza: f32) -> Scene {
        let mut s = Scene::new(
            Array2::from_elem((41, 41), t4),
            Array2::from_elem((41, 41), t11),
            Geolocation::Grid([116.0, 0.004, 0.0, 35.0, 0.0, -0.0034]),
        );
        s.solar_zenith = Field::Constant(sza);
        s
    }

    fn set(s: &mut Scene, r: usize, c: usize, t4: f32, t11: f32) {
        s.mir[[r, c]] = t4;
        s.tir[[r, c]] = t11;
    }

    fn fire_at(run: &Run, r: usize, c: usize) -> Option<&FirePixel> {
        run.fires.iter().find(|f| f.row == r && f.col == c)
    }

    const NIGHT: f32 = 120.0;
    const DAY: f32 = 40.0;

    #[test]
    fn night_contextual_fire_by_hand() {
        let p = profile("viirs-375m");
        let mut s = flat(290.0, 288.0, NIGHT);
        // ΔT = 21 K: potential (310 > 295, 21 > 10), not absolute (310 ≤ 320).
        set(&mut s, 20, 20, 310.0, 289.0);
        let run = Engine::new(&p).run(&s).unwrap();
        assert_eq!(run.fires.len(), 1);
        let f = fire_at(&run, 20, 20).unwrap();
        let b = f.background.unwrap();
        // 11×11 window less the 3×3 guard: 112 pixels, all valid (≥ 10 and ≥ 25 %).
        assert_eq!((b.window, b.n_window, b.n_valid), (11, 112, 112));
        assert_eq!((b.mean4, b.mean11, b.mean_dt), (290.0, 288.0, 2.0));
        assert_eq!((b.mad4, b.mad11, b.mad_dt), (0.0, 0.0, 0.0));
        // (2) 21 > 2 + 3·0, (3) 21 > 2 + 9, (4) 310 > 290 + 3·0.
        assert!(!f.absolute && !f.day);
        // T4 − T4b = 20 K ≥ 15 K: nominal.
        assert_eq!(f.class, ConfidenceClass::Nominal);
        assert_eq!(f.mask_class, mask_class::NOMINAL);
        // C1 = S(310; 305, 320) = 1/3, C2 = C3 = 1 (zero MAD): (1/3)^(1/3) = 69.3 %.
        assert!(
            (f.confidence_percent - 69.336).abs() < 0.01,
            "{}",
            f.confidence_percent
        );
        // FRP = A·σ/a·(L(310) − L(290)), nadir pixel 0.375 × 0.375 km.
        let band = p.bands.mir.planck();
        let want = 0.375 * 0.375 * 1e6 * SIGMA / p.frp_coefficient()
            * (band.radiance(310.0) - band.radiance(290.0))
            * 1e-6;
        assert!((f.frp_mw.unwrap() - want).abs() < 1e-6 * want.max(1.0));
        assert!((f.scan_km - 0.375).abs() < 1e-9 && (f.track_km - 0.375).abs() < 1e-9);
        assert!((f.frp_mw.unwrap() - 0.89).abs() < 0.05, "{:?}", f.frp_mw);
    }

    #[test]
    fn the_offset_test_is_strict() {
        let p = profile("viirs-375m");
        let engine = Engine::new(&p);
        // ΔT = 11 K = ΔTb + 9 K exactly: test (3) fails.
        let mut s = flat(290.0, 288.0, NIGHT);
        set(&mut s, 20, 20, 300.0, 289.0);
        assert!(engine.run(&s).unwrap().fires.is_empty());
        // ΔT = 11.5 K passes.
        set(&mut s, 20, 20, 300.5, 289.0);
        assert_eq!(engine.run(&s).unwrap().fires.len(), 1);
        // A smaller MIR excess than 3·δ4 fails test (4): give the background a 4 K MAD.
        let mut s = flat(290.0, 288.0, NIGHT);
        for ((r, c), v) in s.mir.indexed_iter_mut() {
            *v += if (r + c) % 2 == 0 { 4.0 } else { -4.0 };
        }
        for ((r, c), v) in s.tir.indexed_iter_mut() {
            *v += if (r + c) % 2 == 0 { 4.0 } else { -4.0 };
        }
        // T4 = 301 < 290 + 3·4; ΔT = 12 > 2 + 9 and > 2 + 3·0.
        set(&mut s, 20, 20, 301.0, 289.0);
        assert!(engine.run(&s).unwrap().fires.is_empty());
    }

    #[test]
    fn absolute_fires_need_no_background_and_others_stay_unclassified() {
        let p = profile("viirs-375m");
        let engine = Engine::new(&p);
        let mut s = flat(f32::NAN, f32::NAN, NIGHT);
        set(&mut s, 20, 20, 330.0, 290.0);
        let run = engine.run(&s).unwrap();
        let f = fire_at(&run, 20, 20).unwrap();
        assert!(f.absolute && f.background.is_none() && f.frp_mw.is_none());
        set(&mut s, 20, 20, 310.0, 289.0);
        let run = engine.run(&s).unwrap();
        assert!(run.fires.is_empty());
        assert_eq!(run.stats.unknown_background, 1);
        let mask = engine.fire_mask(&s, &run);
        assert_eq!(mask[[20, 20]], mask_class::UNCLASSIFIED);
        assert_eq!(mask[[0, 0]], mask_class::NOT_PROCESSED);
    }

    #[test]
    fn saturated_i4_by_day_is_high_confidence() {
        let p = profile("viirs-375m");
        let engine = Engine::new(&p);
        let mut s = flat(300.0, 295.0, DAY);
        // 367 K = saturation, T5 = 300 > 290 K and no reflectances: absolute.
        set(&mut s, 20, 20, 367.0, 300.0);
        let run = engine.run(&s).unwrap();
        let f = fire_at(&run, 20, 20).unwrap();
        assert!(f.absolute && f.saturated && f.day);
        assert_eq!(f.class, ConfidenceClass::High);
        // Bright (ρ1 + ρ2 = 0.8 ≥ 0.7): not absolute, but the contextual tests still find it
        // (median T4 300 → BT4S clamped to 325 < 367; ΔT 67 > 5 + 10; T5 300 > 295 − 4), and a
        // saturated pixel stays high.
        s.red = Some(Array2::from_elem((41, 41), 0.4));
        s.nir = Some(Array2::from_elem((41, 41), 0.4));
        let run = engine.run(&s).unwrap();
        let f = fire_at(&run, 20, 20).unwrap();
        assert!(!f.absolute && f.saturated);
        assert_eq!(f.class, ConfidenceClass::High);
    }

    #[test]
    fn folded_night_pixels_are_fires_and_cold_clouds_are_not() {
        let p = profile("viirs-375m");
        let engine = Engine::new(&p);
        let mut s = flat(287.0, 285.0, NIGHT);
        // Folded: BT4 ≤ 209 K with BT5 > 335 K.
        set(&mut s, 20, 20, 208.0, 340.0);
        // BT4 < BT5 with BT5 > 310 K: the I4 signal wrapped.
        set(&mut s, 5, 5, 300.0, 312.0);
        // BT4 208 K with BT5 305 K: no test passes.
        set(&mut s, 35, 35, 208.0, 305.0);
        let run = engine.run(&s).unwrap();
        let f = fire_at(&run, 20, 20).unwrap();
        assert!(f.absolute && f.folded && f.frp_mw.is_none());
        assert_eq!(f.class, ConfidenceClass::High);
        assert_eq!(fire_at(&run, 5, 5).unwrap().class, ConfidenceClass::High);
        assert!(fire_at(&run, 35, 35).is_none());
        assert_eq!(run.fires.len(), 2);
    }

    #[test]
    fn cloudy_pixels_are_never_fires() {
        let p = profile("viirs-375m");
        let engine = Engine::new(&p);
        let mut s = flat(290.0, 288.0, NIGHT);
        // Hot MIR under a cold (< 265 K) thermal band: cloud.
        set(&mut s, 20, 20, 330.0, 260.0);
        let run = engine.run(&s).unwrap();
        assert!(run.fires.is_empty());
        assert_eq!(engine.fire_mask(&s, &run)[[20, 20]], mask_class::CLOUD);
        assert_eq!(run.stats.clear, 41 * 41 - 1);
    }

    #[test]
    fn background_fires_are_left_out_of_the_statistics() {
        let p = profile("viirs-375m");
        let mut s = flat(290.0, 288.0, NIGHT);
        set(&mut s, 20, 20, 310.0, 289.0);
        // Inside the 11×11 window, outside the guard: 320 > 300 K and ΔT 30 > 10 K.
        set(&mut s, 20, 25, 320.0, 290.0);
        let run = Engine::new(&p).run(&s).unwrap();
        let b = fire_at(&run, 20, 20).unwrap().background.unwrap();
        assert_eq!((b.n_valid, b.n_rejected), (111, 1));
        assert_eq!(
            (b.mean4, b.mean4_rejected, b.mad4_rejected),
            (290.0, 320.0, 0.0)
        );
    }

    #[test]
    fn the_window_grows_until_a_quarter_is_valid() {
        let p = profile("viirs-375m");
        let mut s = flat(290.0, 288.0, NIGHT);
        // Cloud within 6 pixels of the centre: the 11×11 and 13×13 windows have no valid pixel.
        for r in 14..=26 {
            for c in 14..=26 {
                s.tir[[r, c]] = 250.0;
                s.mir[[r, c]] = 252.0;
            }
        }
        set(&mut s, 20, 20, 310.0, 289.0);
        let run = Engine::new(&p).run(&s).unwrap();
        let b = fire_at(&run, 20, 20).unwrap().background.unwrap();
        // 15×15: the ring at distance 7 holds 8·7 = 56 valid of 225 − 9 = 216 (≥ 54).
        assert_eq!((b.window, b.n_valid, b.n_window), (15, 56, 216));
    }

    /// A MODIS day scene: 300/290 K land, ρ0.65 0.1, ρ0.86 0.2, ρ2.1 0.15.
    fn modis_day() -> Scene {
        let mut s = flat(300.0, 290.0, 30.0);
        s.red = Some(Array2::from_elem((41, 41), 0.1));
        s.nir = Some(Array2::from_elem((41, 41), 0.2));
        s.swir = Some(Array2::from_elem((41, 41), 0.15));
        s
    }

    #[test]
    fn modis_day_contextual_fire_and_desert_boundary_rejection() {
        let p = profile("modis-c6");
        let engine = Engine::new(&p);
        let mut s = modis_day();
        // Potential: 330 > 310, ΔT 30 > 10, ρ0.86 0.2 < 0.3; contextual against 300/290.
        set(&mut s, 20, 20, 330.0, 300.0);
        let run = engine.run(&s).unwrap();
        let f = fire_at(&run, 20, 20).unwrap();
        // 3×3 less the along-scan trio holds 6 < 8: the window grows to 5×5 (22 pixels).
        assert_eq!(f.background.unwrap().window, 5);
        // Four background fires (335 > 325 K, ΔT 30 > 20 K) in the 5×5 ring: rejected
        // 4 > 10 % of 18 valid, ≥ 4, ρ0.86 0.2 > 0.15, T′4b 335 < 345, δ′4 0 < 3, T4 330 < 335.
        for (r, c) in [(18, 18), (18, 22), (22, 18), (22, 22)] {
            set(&mut s, r, c, 335.0, 305.0);
        }
        let run = engine.run(&s).unwrap();
        assert!(fire_at(&run, 20, 20).is_none());
        assert!(run.stats.rejected_desert >= 1);
        // A dark surface (ρ0.86 0.1) is not desert: the fire stands.
        s.nir = Some(Array2::from_elem((41, 41), 0.1));
        assert!(fire_at(&engine.run(&s).unwrap(), 20, 20).is_some());
    }

    #[test]
    fn sun_glint_rejects_modis_and_lowers_viirs() {
        let mut s = modis_day();
        set(&mut s, 20, 20, 330.0, 300.0);
        // Sun and view at 30° zenith, opposite azimuths: cos θg = cos²30° + sin²30° = 1, θg = 0.
        s.view_zenith = Field::Constant(30.0);
        s.solar_azimuth = Field::Constant(0.0);
        s.view_azimuth = Field::Constant(180.0);
        s.solar_zenith = Field::Constant(30.0);
        let modis = profile("modis-c6");
        let engine = Engine::new(&modis);
        let run = engine.run(&s).unwrap();
        assert!(run.fires.is_empty());
        assert_eq!(run.stats.rejected_glint, 1);
        assert_eq!(engine.fire_mask(&s, &run)[[20, 20]], mask_class::GLINT);
        // Same azimuth (backscatter): θg = 60°, no glint.
        s.view_azimuth = Field::Constant(0.0);
        assert_eq!(engine.run(&s).unwrap().fires.len(), 1);
        // VIIRS keeps a glint fire, as low confidence.
        let viirs = profile("viirs-375m");
        s.view_azimuth = Field::Constant(180.0);
        s.red = None;
        s.nir = None;
        s.swir = None;
        set(&mut s, 20, 20, 367.0, 300.0);
        let mut v = s.clone();
        v.mir.mapv_inplace(|x| if x == 300.0 { 300.0 } else { x });
        let run = Engine::new(&viirs).run(&v).unwrap();
        let f = fire_at(&run, 20, 20).unwrap();
        assert!(f.glint);
    }

    #[test]
    fn coastal_and_forest_clearing_rejections() {
        let p = profile("modis-c6");
        let engine = Engine::new(&p);
        let mut s = modis_day();
        set(&mut s, 20, 20, 330.0, 300.0);
        // Unmasked water next to it: NDVI < 0 (ρ0.86 0.03 < ρ0.65 0.05), ρ2.1 0.02, ρ0.86 < 0.15.
        for c in 16..=24 {
            s.red.as_mut().unwrap()[[18, c]] = 0.05;
            s.nir.as_mut().unwrap()[[18, c]] = 0.03;
            s.swir.as_mut().unwrap()[[18, c]] = 0.02;
        }
        let run = engine.run(&s).unwrap();
        assert!(fire_at(&run, 20, 20).is_none());
        assert_eq!(run.stats.rejected_coastal, 1);
        // Forest clearing: T11 300 > 290 + 3.7·0, ρ0.86 0.29 > 0.28, T4 320 < 325 K.
        let mut s = modis_day();
        set(&mut s, 20, 20, 320.0, 300.0);
        s.nir.as_mut().unwrap()[[20, 20]] = 0.29;
        let run = engine.run(&s).unwrap();
        assert!(fire_at(&run, 20, 20).is_none());
        assert_eq!(run.stats.rejected_clearing, 1);
    }

    #[test]
    fn modis_band_21_replaces_a_saturated_band_22() {
        let p = profile("modis-c6");
        let mut s = flat(290.0, 288.0, NIGHT);
        s.mir_high = Some(Array2::from_elem((41, 41), 290.0));
        set(&mut s, 20, 20, 331.0, 295.0);
        s.mir_high.as_mut().unwrap()[[20, 20]] = 400.0;
        let run = Engine::new(&p).run(&s).unwrap();
        let f = fire_at(&run, 20, 20).unwrap();
        assert_eq!(f.t4, 400.0);
        assert!(f.absolute);
    }

    #[test]
    fn viirs_day_threshold_is_the_clamped_median() {
        let p = profile("viirs-375m");
        let engine = Engine::new(&p);
        // Median 300 K → BT4S = 325 K: 328 K with ΔT 30 K is a candidate, and a fire.
        let mut s = flat(300.0, 296.0, DAY);
        set(&mut s, 20, 20, 328.0, 298.0);
        assert!(fire_at(&engine.run(&s).unwrap(), 20, 20).is_some());
        // Median 329.5 K → BT4S = 329.5 K: 329 K is not above it.
        let mut s = flat(329.5, 310.0, DAY);
        set(&mut s, 20, 20, 329.0, 299.0);
        assert!(engine.run(&s).unwrap().fires.is_empty());
    }

    #[test]
    fn ramps_and_means() {
        assert_eq!(ramp(310.0, 310.0, 340.0), 0.0);
        assert!((ramp(315.0, 310.0, 340.0) - 1.0 / 6.0).abs() < 1e-6);
        assert_eq!(ramp(345.0, 310.0, 340.0), 1.0);
        assert_eq!(ramp(f32::NAN, 0.0, 1.0), 0.0);
        assert!((geometric_mean(&[0.25, 1.0, 1.0, 1.0]) - 0.25f32.powf(0.25)).abs() < 1e-6);
        assert_eq!(geometric_mean(&[0.0, 1.0]), 0.0);
    }

    #[test]
    fn unusable_scenes_are_named() {
        let p = profile("viirs-375m");
        let engine = Engine::new(&p);
        let s = flat(f32::NAN, f32::NAN, NIGHT);
        assert_eq!(
            engine.run(&s).unwrap_err(),
            SceneProblem::AllInvalid { pixels: 1681 }
        );
        let s = flat(250.0, 240.0, NIGHT);
        assert_eq!(
            engine.run(&s).unwrap_err(),
            SceneProblem::AllCloud { valid: 1681 }
        );
        let mut s = flat(290.0, 288.0, NIGHT);
        s.tir = Array2::from_elem((40, 41), 288.0);
        let e = engine.run(&s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "band tir is 40×41 pixels but the MIR band is 41×41"
        );
        let mut s = flat(290.0, 288.0, NIGHT);
        s.solar_zenith = Field::Absent;
        assert_eq!(engine.run(&s).unwrap_err(), SceneProblem::NoDayNight);
    }
}
