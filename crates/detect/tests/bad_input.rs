//! Bad granules: every failure is a typed error that names the file and says what is wrong.

use burnwatch_core::detect_config::DetectConfig;
use burnwatch_detect::sim::{simulate, SimOptions};
use burnwatch_detect::{
    detect_file, read_scene, write_granule, DetectError, GranuleFormat, SensorProfile,
};
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn profile(name: &str) -> SensorProfile {
    SensorProfile::load(&models(), name).unwrap()
}

fn config() -> DetectConfig {
    DetectConfig {
        models_dir: models(),
        sensor: None,
        mask_dir: None,
    }
}

fn small(p: &SensorProfile) -> burnwatch_detect::Scene {
    let mut o = SimOptions::new(1, false);
    o.rows = 40;
    o.cols = 40;
    o.fires = 2;
    simulate(p, &o).scene
}

#[test]
fn corrupt_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile("viirs-375m");
    let junk = dir.path().join("junk.tif");
    std::fs::write(&junk, b"II*\0 this is not really a tiff at all").unwrap();
    let e = read_scene(&junk, &p).unwrap_err();
    assert!(matches!(e, DetectError::Open { .. }), "{e}");
    assert!(e.to_string().contains("junk.tif"), "{e}");
    // A real GeoTIFF cut in half.
    let good = dir.path().join("good.tif");
    write_granule(&good, &small(&p), &p, GranuleFormat::GeoTiff).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.tif");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = read_scene(&cut, &p).unwrap_err().to_string();
    assert!(e.contains("cut.tif"), "{e}");
    let e = read_scene(&dir.path().join("absent.tif"), &p)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("absent.tif") && e.contains("no such file"),
        "{e}"
    );
}

#[test]
fn wrong_bands_are_named_with_what_the_file_has() {
    let dir = tempfile::tempdir().unwrap();
    // A MODIS granule read as VIIRS: no I4.
    let modis = profile("modis-c6");
    let path = dir.path().join("modis.tif");
    write_granule(&path, &small(&modis), &modis, GranuleFormat::GeoTiff).unwrap();
    let e = read_scene(&path, &profile("viirs-375m")).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DetectError::MissingBand { .. }), "{msg}");
    assert!(
        msg.contains("modis.tif") && msg.contains("I4") && msg.contains("band22"),
        "{msg}"
    );
}

#[test]
fn all_fill_and_all_cloud_scenes_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile("viirs-375m");
    let mut s = small(&p);
    s.mir.fill(f32::NAN);
    let path = dir.path().join("fill.tif");
    write_granule(&path, &s, &p, GranuleFormat::GeoTiff).unwrap();
    let e = detect_file(&path, &config()).unwrap_err().to_string();
    assert!(e.contains("fill.tif") && e.contains("fill/NaN"), "{e}");

    let mut s = small(&p);
    s.tir.fill(240.0);
    let path = dir.path().join("cloud.tif");
    write_granule(&path, &s, &p, GranuleFormat::GeoTiff).unwrap();
    let e = detect_file(&path, &config()).unwrap_err().to_string();
    assert!(e.contains("cloud.tif") && e.contains("are cloud"), "{e}");
}

#[test]
fn a_granule_of_an_unknown_sensor_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile("viirs-375m");
    let path = dir.path().join("g.tif");
    write_granule(&path, &small(&p), &p, GranuleFormat::GeoTiff).unwrap();
    // A models folder without the profile the granule names.
    let only = dir.path().join("models");
    std::fs::create_dir_all(&only).unwrap();
    std::fs::copy(models().join("modis-c6.toml"), only.join("modis-c6.toml")).unwrap();
    let mut c = config();
    c.models_dir = only;
    let e = detect_file(&path, &c).unwrap_err();
    assert!(matches!(e, DetectError::UnknownSensor { .. }), "{e}");
    assert!(e.to_string().contains("viirs-375m") && e.to_string().contains("g.tif"));
}
