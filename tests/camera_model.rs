//! The YOLO-format ONNX detector in-process on real images (../shared/models/light_yolov8_flame.onnx,
//! AGPL: tests and evaluation only; burnwatch ships no weights). Skips with a message when the
//! weights or the images are absent.

use burnwatch_camera::frame::{decode, Frame, Radiometry};
use burnwatch_camera::{FireClass, ModelDescription, OnnxDetector};
use std::path::Path;

#[test]
fn the_model_finds_the_flames_of_a_real_fire_image() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let desc = ModelDescription::load(&root.join("models/camera"), "flame-yolov8").unwrap();
    let image = root.join("../shared/data/camera/images/fire_dq_fire_2.jpg");
    if !desc.path.is_file() || !image.is_file() {
        eprintln!(
            "skipping: {} or {} is absent",
            desc.path.display(),
            image.display()
        );
        return;
    }
    let model = OnnxDetector::load(desc).unwrap();
    let Frame::Visible(img) =
        decode(&std::fs::read(&image).unwrap(), Radiometry::default()).unwrap()
    else {
        panic!("a colour image")
    };
    let boxes = model.detect(&img).unwrap();
    let fire: Vec<_> = boxes
        .iter()
        .filter(|b| b.class == FireClass::Fire)
        .collect();
    assert!(!fire.is_empty(), "{boxes:?}");
    let (w, h) = img.dimensions();
    for b in &boxes {
        assert!(
            b.x0 >= 0.0 && b.y0 >= 0.0 && b.x1 <= w as f32 && b.y1 <= h as f32 && b.x0 < b.x1,
            "{b:?}"
        );
        assert!((0.25..=1.0).contains(&b.score), "{b:?}");
    }
}
