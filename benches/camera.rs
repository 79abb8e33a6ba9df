//! Camera frames per second on one core: 1920×1080 JPEG frames (the simulator's fields and sky
//! with a fire) through decode by content + colour rules, and 640×512 radiometric 16-bit PNG
//! frames through decode + the thermal contextual test; milliseconds per frame for the ONNX
//! model when its weights are present (../shared/models, tests and evaluation only).
//!
//! `cargo bench --bench camera`. Target: ≥ 100 frames/s per core for the JPEG + colour path.

use burnwatch_camera::frame::{decode, Frame, Radiometry};
use burnwatch_camera::mask::ActiveMasks;
use burnwatch_camera::sim::{render_frame, SimCamera, SimFire, SimWorld};
use burnwatch_camera::{
    colour, thermal, ColourProfile, ModelDescription, OnnxDetector, Pose, ThermalProfile,
};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

const FRAMES: usize = 200;

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

/// Runs `f` over the frames round-robin; returns (frames/s, boxes found in total).
fn rate(frames: &[Vec<u8>], mut f: impl FnMut(&[u8]) -> usize) -> (f64, usize) {
    let _ = f(&frames[0]);
    let started = Instant::now();
    let mut found = 0;
    for i in 0..FRAMES {
        found += f(&frames[i % frames.len()]);
    }
    (FRAMES as f64 / started.elapsed().as_secs_f64(), found)
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
        "frames: 1920×1080 JPEG ≈ {} kB, 640×512 16-bit PNG ≈ {} kB; {FRAMES} frames per run, one thread",
        jpegs[0].len() / 1024,
        pngs[0].len() / 1024
    );

    let (decode_only, _) = rate(&jpegs, |b| match decode(b, Radiometry::default()) {
        Ok(f) => {
            black_box(f);
            0
        }
        Err(e) => panic!("{e}"),
    });
    let (visible, found) = rate(&jpegs, |b| match decode(b, Radiometry::default()) {
        Ok(Frame::Visible(img)) => colour::detect(&img, &colour_p, ActiveMasks::none()).len(),
        other => panic!("{other:?}"),
    });
    println!("1920×1080 JPEG decode only          {decode_only:>8.1} frames/s");
    println!(
        "1920×1080 JPEG decode + colour rules {visible:>8.1} frames/s  ({:.2} ms/frame, {found} boxes){}",
        1000.0 / visible,
        if visible >= 100.0 { "  target ≥ 100: met" } else { "  target ≥ 100: NOT met" }
    );
    let Frame::Visible(frame) = decode(&jpegs[0], Radiometry::default()).expect("frame") else {
        unreachable!("a JPEG is visible")
    };
    let started = Instant::now();
    for _ in 0..FRAMES {
        black_box(colour::detect(
            black_box(&frame),
            &colour_p,
            ActiveMasks::none(),
        ));
    }
    println!(
        "1920×1080 colour rules alone         {:>8.2} ms/frame",
        started.elapsed().as_secs_f64() * 1000.0 / FRAMES as f64
    );
    let (thermal_rate, found) = rate(&pngs, |b| match decode(b, Radiometry::default()) {
        Ok(Frame::Thermal(t)) => thermal::detect(&t, &thermal_p, ActiveMasks::none()).len(),
        other => panic!("{other:?}"),
    });
    println!(
        "640×512 16-bit PNG decode + thermal  {thermal_rate:>8.1} frames/s  ({:.2} ms/frame, {found} boxes)",
        1000.0 / thermal_rate
    );

    match ModelDescription::load(&models, "flame-yolov8") {
        Ok(d) if d.path.is_file() => {
            let started = Instant::now();
            let model = OnnxDetector::load(d).expect("model loads");
            println!(
                "ONNX model load + optimise           {:>8.0} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            let Frame::Visible(img) = decode(&jpegs[0], Radiometry::default()).expect("frame")
            else {
                unreachable!("a JPEG is visible")
            };
            let _ = model.detect(&img).expect("inference");
            let runs = 5;
            let started = Instant::now();
            for _ in 0..runs {
                black_box(model.detect(&img).expect("inference"));
            }
            println!(
                "ONNX (tract) 1920×1080 → 640 letterbox {:>6.0} ms/frame",
                started.elapsed().as_secs_f64() * 1000.0 / runs as f64
            );
        }
        _ => println!("ONNX: skipped, the model weights (../shared/models) are absent"),
    }
}
