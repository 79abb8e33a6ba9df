//! Camera frames per second on one core: 1920×1080 JPEG frames (the simulator's fields and sky
//! with a fire) through decode by content + colour rules, and 640×512 radiometric 16-bit PNG
//! frames through decode + the thermal contextual test; milliseconds per frame for the ONNX
//! model when its weights are present (../shared/models, tests and evaluation only).
//!
//! `cargo bench --bench camera`. Target: ≥ 100 frames/s per core for the JPEG + colour path.
//! Each rate is given twice: by the wall clock, and by this thread's own CPU time (Linux
//! schedstat), which is what one core does when the machine is shared and the wall clock
//! also counts time spent waiting for the CPU.

use burnwatch_camera::frame::{decode, Frame, Radiometry};
use burnwatch_camera::mask::ActiveMasks;
use burnwatch_camera::sim::{render_frame, SimCamera, SimFire, SimWorld};
use burnwatch_camera::{
    colour, thermal, ColourProfile, ModelDescription, OnnxDetector, Pose, ThermalProfile,
};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

const FRAMES: usize = 400;
const ROUNDS: usize = 8;

fn camera(width: u32, height: u32, thermal: bool) -> SimCamera {
    SimCamera {
        id: "bench".into(),
        lon: 116.52,
        lat: 35.08,
        height_m: 40.0,
        pose: Pose {
            pan_deg: 45.0,
            tilt_deg: -1.0,
            hfov_deg: 50.0,
            vfov_deg: 30.0,
        },
        width,
        height,
        thermal,
    }
}

fn world() -> SimWorld {
    SimWorld {
        fires: vec![SimFire {
            lon: 116.545,
            lat: 35.10,
            width_m: 30.0,
            flame_height_m: 6.0,
            temp_k: 900.0,
        }],
        refraction_k: 0.13,
        ground_k: 295.0,
    }
}

/// This thread's CPU time so far, seconds (first field of /proc/thread-self/schedstat, ns).
fn cpu_secs() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? * 1e-9)
}

/// Frames per second by the wall clock and by CPU time.
#[derive(Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: Option<f64>,
}

impl Rate {
    fn measure(n: usize, mut f: impl FnMut(usize)) -> Self {
        let (started, cpu0) = (Instant::now(), cpu_secs());
        for i in 0..n {
            f(i);
        }
        let wall = started.elapsed().as_secs_f64();
        let cpu = cpu0.zip(cpu_secs()).map(|(a, b)| n as f64 / (b - a));
        Self {
            wall: n as f64 / wall,
            cpu,
        }
    }

    /// The median of several measurements, wall and CPU rates taken separately.
    fn median(rates: &[Rate]) -> Self {
        let mid = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let cpu: Option<Vec<f64>> = rates.iter().map(|r| r.cpu).collect();
        Self {
            wall: mid(rates.iter().map(|r| r.wall).collect()),
            cpu: cpu.map(mid),
        }
    }

    fn fps(&self) -> String {
        match self.cpu {
            Some(c) => format!("{:>7.1} frames/s (CPU time {c:>6.1})", self.wall),
            None => format!("{:>7.1} frames/s", self.wall),
        }
    }

    fn ms(&self) -> String {
        match self.cpu {
            Some(c) => format!(
                "{:>7.2} ms/frame (CPU time {:>6.2})",
                1000.0 / self.wall,
                1000.0 / c
            ),
            None => format!("{:>7.2} ms/frame", 1000.0 / self.wall),
        }
    }
}

/// One measured path: frame index → boxes found.
type Run<'a> = Box<dyn FnMut(usize) -> usize + 'a>;

/// Runs the paths in turn, `ROUNDS` times, each over `FRAMES / ROUNDS` frames, so a change in
/// the machine's load touches every path alike; returns each path's median rate and its boxes.
fn side_by_side(paths: &mut [(&str, Run)]) -> Vec<(Rate, usize)> {
    let mut rates = vec![Vec::new(); paths.len()];
    let mut found = vec![0; paths.len()];
    for (_, f) in paths.iter_mut() {
        let _ = f(0);
    }
    for _ in 0..ROUNDS {
        for (k, (_, f)) in paths.iter_mut().enumerate() {
            let n = &mut found[k];
            rates[k].push(Rate::measure(FRAMES / ROUNDS, |i| *n += f(i)));
        }
    }
    rates
        .iter()
        .zip(found)
        .map(|(r, n)| (Rate::median(r), n))
        .collect()
}

fn main() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/camera");
    let colour_p = ColourProfile::load(&models, "colour").expect("colour profile");
    let thermal_p = ThermalProfile::load(&models, "thermal").expect("thermal profile");

    // Distinct frames (different flicker and noise), so no cache sees the same bytes twice.
    let jpegs: Vec<Vec<u8>> = (0..8)
        .map(|s| render_frame(&world(), &camera(1920, 1080, false), s))
        .collect();
    let pngs: Vec<Vec<u8>> = (0..8)
        .map(|s| render_frame(&world(), &camera(640, 512, true), s))
        .collect();
    println!(
        "frames: 1920×1080 JPEG ≈ {} kB, 640×512 16-bit PNG ≈ {} kB; {FRAMES} frames per path in {ROUNDS} interleaved rounds (medians), one thread",
        jpegs[0].len() / 1024,
        pngs[0].len() / 1024
    );

    let Frame::Visible(frame) = decode(&jpegs[0], Radiometry::default()).expect("frame") else {
        unreachable!("a JPEG is visible")
    };
    let jpeg = |i: usize| jpegs[i % jpegs.len()].as_slice();
    let mut paths: Vec<(&str, Run)> = vec![
        (
            "1920×1080 JPEG decode only                   ",
            Box::new(|i| {
                black_box(decode(jpeg(i), Radiometry::default()).expect("frame"));
                0
            }),
        ),
        // What a camera without a model does with each frame (FrameDetector::detect_bytes).
        (
            "1920×1080 JPEG decode + colour rules         ",
            Box::new(|i| match decode(jpeg(i), Radiometry::default()) {
                Ok(Frame::Visible(img)) => {
                    colour::detect(&img, &colour_p, ActiveMasks::none()).len()
                }
                other => panic!("{other:?}"),
            }),
        ),
        (
            "1920×1080 colour rules alone                 ",
            Box::new(|_| colour::detect(black_box(&frame), &colour_p, ActiveMasks::none()).len()),
        ),
        (
            "640×512 16-bit PNG decode + thermal          ",
            Box::new(
                |i| match decode(&pngs[i % pngs.len()], Radiometry::default()) {
                    Ok(Frame::Thermal(t)) => {
                        thermal::detect(&t, &thermal_p, ActiveMasks::none()).len()
                    }
                    other => panic!("{other:?}"),
                },
            ),
        ),
    ];
    let results = side_by_side(&mut paths);
    for ((name, _), (rate, found)) in paths.iter().zip(&results) {
        if name.contains("alone") {
            println!("{name} {}", rate.ms());
        } else if name.contains("+ colour") {
            // Per core = this thread's CPU time, when the system reports it.
            let per_core = rate.cpu.unwrap_or(rate.wall);
            println!(
                "{name} {}  {found} boxes; target ≥ 100 per core: {}",
                rate.fps(),
                if per_core >= 100.0 { "met" } else { "NOT met" }
            );
        } else if *found > 0 {
            println!("{name} {}  {found} boxes", rate.fps());
        } else {
            println!("{name} {}", rate.fps());
        }
    }

    match ModelDescription::load(&models, "flame-yolov8") {
        Ok(d) if d.path.is_file() => {
            let started = Instant::now();
            let model = OnnxDetector::load(d).expect("model loads");
            println!(
                "ONNX model load + optimise                   {:>7.0} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            let Frame::Visible(img) = decode(&jpegs[0], Radiometry::default()).expect("frame")
            else {
                unreachable!("a JPEG is visible")
            };
            let _ = model.detect(&img).expect("inference");
            let d = &model.description;
            let prep = Rate::measure(20, |_| {
                black_box(burnwatch_camera::model::letterbox(
                    black_box(&img),
                    d.input_size,
                    d.letterbox_fill,
                ));
            });
            println!("ONNX preprocessing (letterbox to 640) alone  {}", prep.ms());
            let runs = 5;
            let onnx = Rate::measure(runs, |_| {
                black_box(model.detect(&img).expect("inference"));
            });
            println!("ONNX (tract) 1920×1080 → 640 letterbox       {}", onnx.ms());
        }
        _ => println!("ONNX: skipped, the model weights (../shared/models) are absent"),
    }
}
