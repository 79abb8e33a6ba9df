//! Hotspot detection on a full VIIRS I-band granule (6464 lines × 6400 samples, I4 and I5 as
//! f32, 331 MB) held in memory, against one plain pass that sums the same two arrays, measured
//! side by side in one run. Peak memory is counted by a global allocator (bytes allocated during
//! detection on top of the input) and reported against the input bytes.
//!
//! `cargo bench --bench detect`. Targets: detection ≤ 2× the sum pass, peak ≤ 1.5× input.

use burnwatch_detect::ndarray::Array2;
use burnwatch_detect::{Engine, Field, Geolocation, Scene, SensorProfile};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const ROWS: usize = 6464;
const COLS: usize = 6400;
const RUNS: usize = 5;

/// Deterministic texture: a few sines plus hashed per-pixel noise (no RNG state in the loop).
fn texture(r: usize, c: usize) -> f32 {
    let (x, y) = (c as f32, r as f32);
    let h = (r.wrapping_mul(73_856_093) ^ c.wrapping_mul(19_349_663)) as u32;
    let noise = (h.wrapping_mul(2_654_435_761) >> 16) as f32 / 65_536.0 - 0.5;
    3.0 * (x / 97.0).sin() * (y / 131.0).cos() + 1.2 * (x / 23.0 + y / 29.0).sin() + 0.8 * noise
}

/// A night or day granule: textured land, a cloud band (cold I5), and 600 fires of 1–60 MW-like
/// signals (some saturated), about one hot pixel per 70 000.
fn granule(day: bool) -> Scene {
    let base = if day { 300.0 } else { 287.0 };
    let sun = if day { 12.0 } else { 0.0 };
    let mut mir = Array2::<f32>::zeros((ROWS, COLS));
    let mut tir = Array2::<f32>::zeros((ROWS, COLS));
    for ((r, c), v) in tir.indexed_iter_mut() {
        let t = base + texture(r, c);
        let cloud = (2000..2600).contains(&r) && (c / 400) % 3 == 0;
        *v = if cloud {
            245.0 + 0.3 * texture(c, r)
        } else {
            t - 1.0
        };
        mir[[r, c]] = if cloud { 250.0 + sun } else { t - 0.5 + sun };
    }
    for k in 0..600usize {
        let r = 50 + (k * 7919) % (ROWS - 100);
        let c = 50 + (k * 104_729) % (COLS - 100);
        mir[[r, c]] = (mir[[r, c]] + 15.0 + (k % 60) as f32 * 1.5).min(367.0);
        tir[[r, c]] += 1.0 + (k % 7) as f32;
    }
    let mut scene = Scene::new(
        mir,
        tir,
        Geolocation::Grid([116.0, 0.004, 0.0, 36.0, 0.0, -0.0034]),
    );
    scene.solar_zenith = Field::Constant(if day { 40.0 } else { 120.0 });
    scene
}

/// The plain pass: one read of both arrays.
fn sum(scene: &Scene) -> f64 {
    let (m, t) = (scene.mir.as_slice().unwrap(), scene.tir.as_slice().unwrap());
    m.iter().zip(t).map(|(a, b)| *a as f64 + *b as f64).sum()
}

fn main() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let profile = SensorProfile::load(&models, "viirs-375m").expect("viirs profile");
    let engine = Engine::new(&profile);
    println!("VIIRS I-band granule {ROWS} lines × {COLS} samples, I4 + I5 f32; best of {RUNS} runs, one thread");
    for day in [false, true] {
        let scene = granule(day);
        let input = scene.input_bytes();
        let mut sum_best = f64::MAX;
        let mut detect_best = f64::MAX;
        let mut extra_peak = 0usize;
        let mut fires = 0;
        let mut candidates = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            black_box(sum(black_box(&scene)));
            sum_best = sum_best.min(t.elapsed().as_secs_f64());

            let base = CURRENT.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let t = Instant::now();
            let run = engine.run(black_box(&scene)).expect("detection runs");
            detect_best = detect_best.min(t.elapsed().as_secs_f64());
            extra_peak = extra_peak.max(PEAK.load(Ordering::Relaxed) - base);
            fires = run.fires.len();
            candidates = run.stats.candidates;
            drop(run);
        }
        let mask_t = Instant::now();
        let run = engine.run(&scene).expect("detection runs");
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let mask = engine.fire_mask(&scene, &run);
        let mask_peak = PEAK.load(Ordering::Relaxed) - base;
        let mask_s = mask_t.elapsed().as_secs_f64();
        black_box(mask);
        println!(
            "{}: sum pass {:.1} ms, detection {:.1} ms → time ratio {:.2}× (target ≤ 2); {} candidates, {} fires",
            if day { "day  " } else { "night" },
            sum_best * 1e3,
            detect_best * 1e3,
            detect_best / sum_best,
            candidates,
            fires
        );
        println!(
            "       input {:.0} MB, detection allocates at most {:.2} MB → peak {:.3}× input (target ≤ 1.5); \
             with the optional fire mask (+{:.0} MB, run+mask {:.0} ms) {:.3}×",
            input as f64 / 1e6,
            extra_peak as f64 / 1e6,
            (input + extra_peak) as f64 / input as f64,
            mask_peak as f64 / 1e6,
            mask_s * 1e3,
            (input + extra_peak.max(mask_peak)) as f64 / input as f64
        );
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!("process {line} (includes both scenes' construction)");
        }
    }
}
