//! Simulate → write through GDAL (GeoTIFF and NetCDF) → read → detect, against the truth.

use burnwatch_core::detect_config::DetectConfig;
use burnwatch_core::{Instrument, SourceKind};
use burnwatch_detect::engine::mask_class;
use burnwatch_detect::sim::{simulate, write_truth_csv, SimOptions, SimulatedGranule, TruthKind};
use burnwatch_detect::{
    detect_file, is_granule, parse_any, read_scene, write_fire_mask, write_granule, Engine,
    GranuleFormat, Run, SensorProfile,
};
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn profile(name: &str) -> SensorProfile {
    SensorProfile::load(&models(), name).unwrap()
}

fn near(run: &Run, r: usize, c: usize) -> Option<&burnwatch_detect::FirePixel> {
    run.fires
        .iter()
        .find(|f| f.row.abs_diff(r) <= 1 && f.col.abs_diff(c) <= 1)
}

fn false_alarms(run: &Run, sim: &SimulatedGranule) -> usize {
    run.fires
        .iter()
        .filter(|f| {
            !sim.truth
                .iter()
                .any(|t| f.row.abs_diff(t.row) <= 1 && f.col.abs_diff(t.col) <= 1)
        })
        .count()
}

#[test]
fn viirs_night_geotiff_finds_the_fires_with_their_frp() {
    let p = profile("viirs-375m");
    let mut o = SimOptions::new(7, false);
    o.fires = 25;
    let sim = simulate(&p, &o);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.tif");
    write_granule(&path, &sim.scene, &p, GranuleFormat::GeoTiff).unwrap();
    let truth = dir.path().join("truth.csv");
    write_truth_csv(&truth, &sim.truth).unwrap();
    let rows = std::fs::read_to_string(&truth).unwrap().lines().count();
    assert_eq!(rows, sim.truth.len() + 1);

    let scene = read_scene(&path, &p).unwrap();
    let run = Engine::new(&p).run(&scene).unwrap();
    assert_eq!(false_alarms(&run, &sim), 0);
    let mut checked = 0;
    for t in &sim.truth {
        // Folded pixels (I4 wrapped to ~208 K) are found only with a very hot I5: not asserted.
        if t.frp_mw < 2.0 || t.recorded_t4_k < 250.0 {
            continue;
        }
        let f = near(&run, t.row, t.col).unwrap_or_else(|| panic!("missed {t:?}"));
        if t.kind == TruthKind::StrawFire && !f.saturated {
            let ratio = f.frp_mw.unwrap() / t.frp_mw;
            assert!((0.7..1.3).contains(&ratio), "FRP {:?} for {t:?}", f.frp_mw);
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked}");
}

#[test]
fn viirs_day_netcdf_swath_of_radiances_geolocates_each_fire() {
    let p = profile("viirs-375m");
    let mut o = SimOptions::new(11, true);
    o.rows = 160;
    o.cols = 200;
    o.fires = 15;
    let sim = simulate(&p, &o);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.nc");
    write_granule(&path, &sim.scene, &p, GranuleFormat::Netcdf).unwrap();
    assert!(is_granule(&path));
    let scene = read_scene(&path, &p).unwrap();
    assert!(matches!(
        scene.geo,
        burnwatch_detect::Geolocation::Swath { .. }
    ));
    // Radiance → BT through the inverse Planck function gives back the simulated BT.
    let (r, c) = (40, 50);
    assert!((scene.tir[[r, c]] - sim.scene.tir[[r, c]]).abs() < 0.01);
    let run = Engine::new(&p).run(&scene).unwrap();
    for f in &run.fires {
        let t = sim
            .truth
            .iter()
            .find(|t| (t.lon - f.lon).abs() < 0.004 && (t.lat - f.lat).abs() < 0.004);
        assert!(
            t.is_some(),
            "detection at {} {} matches no simulated fire",
            f.lon,
            f.lat
        );
    }
    for t in sim.truth.iter().filter(|t| t.frp_mw > 10.0) {
        assert!(
            run.fires
                .iter()
                .any(|f| (t.lon - f.lon).abs() < 0.005 && (t.lat - f.lat).abs() < 0.005),
            "missed {t:?}"
        );
    }
}

#[test]
fn modis_day_with_band_21_and_reflectances() {
    let p = profile("modis-c6");
    let mut o = SimOptions::new(5, true);
    o.rows = 128;
    o.cols = 128;
    o.fires = 12;
    o.frp_mw = (20.0, 300.0);
    let sim = simulate(&p, &o);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.tif");
    write_granule(&path, &sim.scene, &p, GranuleFormat::GeoTiff).unwrap();
    let scene = read_scene(&path, &p).unwrap();
    assert!(scene.mir_high.is_some() && scene.tir12.is_some() && scene.nir.is_some());
    let run = Engine::new(&p).run(&scene).unwrap();
    assert_eq!(false_alarms(&run, &sim), 0);
    let found = sim
        .truth
        .iter()
        .filter(|t| near(&run, t.row, t.col).is_some())
        .count();
    assert!(
        found * 10 >= sim.truth.len() * 9,
        "{found} of {}",
        sim.truth.len()
    );
}

#[test]
fn fire_free_scenes_with_clouds_lakes_and_hot_ground_give_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["viirs-375m", "modis-c6", "himawari-ahi"] {
        let p = profile(name);
        for (k, day) in [true, false].into_iter().enumerate() {
            let mut o = SimOptions::new(100 + k as u64, day);
            o.fires = 0;
            o.industrial = 0;
            o.cloud_cover = 0.3;
            o.lakes = 3;
            o.bare_patches = 6;
            let sim = simulate(&p, &o);
            let path = dir.path().join(format!("{name}-{day}.tif"));
            write_granule(&path, &sim.scene, &p, GranuleFormat::GeoTiff).unwrap();
            let scene = read_scene(&path, &p).unwrap();
            let run = Engine::new(&p).run(&scene).unwrap();
            assert!(run.fires.is_empty(), "{name} day={day}: {:?}", run.fires);
            assert!(run.stats.clear < run.stats.valid, "the scene has clouds");
        }
    }
}

#[test]
fn the_fire_mask_goes_through_gdal_with_vnp14img_classes() {
    let p = profile("viirs-375m");
    let mut o = SimOptions::new(3, false);
    o.rows = 96;
    o.cols = 96;
    o.fires = 6;
    o.frp_mw = (5.0, 20.0);
    let sim = simulate(&p, &o);
    let engine = Engine::new(&p);
    let run = engine.run(&sim.scene).unwrap();
    assert!(!run.fires.is_empty());
    let mask = engine.fire_mask(&sim.scene, &run);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mask.tif");
    write_fire_mask(&path, &mask, &sim.scene).unwrap();
    let ds = gdal::Dataset::open(&path).unwrap();
    let back = ds.rasterband(1).unwrap().read_band_as::<u8>().unwrap();
    assert_eq!(back.data(), mask.as_slice().unwrap());
    let f = &run.fires[0];
    assert!(
        [mask_class::LOW, mask_class::NOMINAL, mask_class::HIGH].contains(&mask[[f.row, f.col]])
    );
    assert!(back.data().contains(&mask_class::WATER) && back.data().contains(&mask_class::LAND));
}

#[test]
fn ingest_entry_point_sends_granules_to_detection() {
    let p = profile("viirs-375m");
    let mut o = SimOptions::new(9, false);
    o.rows = 100;
    o.cols = 120;
    o.fires = 8;
    o.frp_mw = (3.0, 30.0);
    let sim = simulate(&p, &o);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("granule.tif");
    write_granule(&path, &sim.scene, &p, GranuleFormat::GeoTiff).unwrap();
    let config = DetectConfig {
        models_dir: models(),
        sensor: None,
        mask_dir: Some(dir.path().join("masks")),
    };
    let parsed = parse_any(&path, &config).unwrap();
    assert_eq!(parsed.format, burnwatch_ingest::ProductFormat::Granule);
    assert!(parsed.detections.len() >= 6, "{}", parsed.detections.len());
    let d = &parsed.detections[0];
    assert_eq!(
        (d.source, d.instrument),
        (SourceKind::Granule, Instrument::Viirs)
    );
    assert_eq!(d.satellite, "Suomi NPP");
    assert_eq!(d.acq_time, sim.scene.meta.start.unwrap());
    assert!(d.scan_km.unwrap() > 0.37 && d.frp_mw.is_some());
    assert!(dir.path().join("masks/granule.firemask.tif").exists());
    assert_eq!(
        detect_file(&path, &config).unwrap().detections.len(),
        parsed.detections.len()
    );

    // A VNP14IMG fire product (NetCDF) is not a granule and still goes to the product parser.
    let nc = dir.path().join("VNP14IMG.A2025161.0502.002.nc");
    burnwatch_ingest::write_vnp14img_netcdf(
        &nc,
        sim.scene.meta.start.unwrap(),
        "Suomi NPP",
        &[burnwatch_ingest::Vnp14imgFire {
            lat: 35.0,
            lon: 116.5,
            t4_k: 330.0,
            t5_k: 290.0,
            frp_mw: 3.0,
            confidence: 8,
            day: false,
        }],
    )
    .unwrap();
    assert!(!is_granule(&nc));
    let parsed = parse_any(&nc, &config).unwrap();
    assert_eq!(
        parsed.format,
        burnwatch_ingest::ProductFormat::Vnp14imgNetcdf
    );
}
