//! The filter stage inside the pipeline, through the library API: lifting a suppression, the
//! verification feedback loop, silences, and the cropland class from a mask in another CRS.

use burnwatch_core::geodesy::haversine_km;
use burnwatch_core::{AlertState, Config, Outcome};
use burnwatch_filter::learn::learn_and_propose;
use burnwatch_filter::silence::{AreaSpec, Matchers};
use burnwatch_filter::{create_silence, import_sources, prepare_store, ImportOptions, SilenceSpec};
use burnwatch_pipeline::{Pipeline, ReleaseError, Routing};
use burnwatch_store::{
    AlertFilter, DetectionQuery, SourceStore, SourceStoreError, SqliteStore, Store,
    TransitionRequest,
};
use chrono::{Duration, TimeZone, Utc};
use std::path::{Path, PathBuf};

fn daily(dir: &Path, days: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("daily"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| days.iter().any(|d| p.to_string_lossy().contains(d)))
        .collect();
    files.sort();
    files
}

/// A season's config and a fresh store with its registry, ready to ingest.
fn pipeline(dir: &Path, seed: u64) -> (Config, Pipeline<SqliteStore>) {
    burnwatch_sim::season::write_season(dir, seed).unwrap();
    let config = Config::load(&dir.join("burnwatch.toml")).unwrap();
    let mut store = SqliteStore::open_in_memory().unwrap();
    let routing = Routing::load(&config.regions).unwrap();
    store
        .replace_regions(&routing.region_rows().unwrap())
        .unwrap();
    import_sources(
        &mut store,
        &dir.join("registry/industrial.csv"),
        &ImportOptions::default(),
        &config.filter.registry,
    )
    .unwrap();
    let filters = prepare_store(&config.filter, &store).unwrap();
    let p = Pipeline::new(store, routing, filters, &config);
    (config, p)
}

#[test]
fn a_lifted_suppression_flows_on_once_as_if_never_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut p) = pipeline(dir.path(), 7);
    let files = daily(dir.path(), &["2025-07-0"]);
    for f in &files {
        p.ingest_file(f).unwrap();
    }
    let held = p
        .store()
        .detections(&DetectionQuery {
            reason: Some("registry".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(held.len() > 20);
    assert!(held.iter().all(|d| d.event_id.is_none()));
    // Two detections of one site within a day of each other, inside a township.
    let (a, b) = held
        .iter()
        .flat_map(|a| held.iter().map(move |b| (a, b)))
        .find(|(a, b)| {
            let (x, y) = (&a.detection, &b.detection);
            a.id != b.id
                && a.region_id.is_some()
                && x.acq_time < y.acq_time
                && y.acq_time - x.acq_time < Duration::hours(20)
                && haversine_km(x.lon, x.lat, y.lon, y.lat) < 0.5
        })
        .expect("a site seen twice in a day");
    let alerts_before = p.store().counts().unwrap().alerts;

    let first = p
        .lift_suppression(a.id, "duty-wang", Some("field fire by the plant"))
        .unwrap();
    assert_eq!(first.lifted_from, a.suppressed_by.clone().unwrap());
    assert_eq!((first.events_new, first.alert_ids.len()), (1, 1));
    let event = first.event_id.unwrap();
    // The second joins the first one's event, as it would have at ingest: no second alert.
    let second = p.lift_suppression(b.id, "duty-wang", None).unwrap();
    assert_eq!(second.event_id, Some(event));
    assert_eq!((second.events_new, second.events_updated), (0, 1));
    assert!(second.alert_ids.is_empty());
    assert_eq!(p.store().counts().unwrap().alerts, alerts_before + 1);
    let alert = p.store().alert(first.alert_ids[0]).unwrap();
    assert_eq!(alert.cluster_size, 2);
    assert_eq!(alert.detection_ids, vec![a.id, b.id]);

    // Once: a second lift is refused and says who lifted it.
    let again = p.lift_suppression(a.id, "duty-li", None).unwrap_err();
    assert!(
        matches!(
            again,
            ReleaseError::Store(SourceStoreError::NotSuppressed {
                lifted: Some(_),
                ..
            })
        ),
        "{again}"
    );
    assert!(again.to_string().contains("duty-wang"), "{again}");
    let stored = p.store().detection(a.id).unwrap();
    assert_eq!((stored.suppressed_by, stored.event_id), (None, Some(event)));
    assert_eq!(stored.lifted_by.as_deref(), Some("duty-wang"));
    // Ingesting the files again finds every pixel stored: nothing is suppressed anew.
    for f in &files {
        let r = p.ingest_file(f).unwrap();
        assert_eq!(r.detections_new, 0);
    }
    assert_eq!(p.store().detection(a.id).unwrap().suppressed_by, None);
}

#[test]
fn repeated_industrial_verifications_become_a_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let (config, mut p) = pipeline(dir.path(), 8);
    for f in daily(dir.path(), &["2025-04-0", "2025-04-1"]) {
        p.ingest_file(&f).unwrap();
    }
    let mut store = p.into_store();
    let sites = std::fs::read_to_string(dir.path().join("truth/sites.csv")).unwrap();
    // A hidden site: its fires reach the patrol queues.
    let hidden: Vec<(f64, f64)> = sites
        .lines()
        .skip(1)
        .filter(|l| l.ends_with("false"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[3].parse().unwrap(), f[4].parse().unwrap())
        })
        .collect();
    let alerts = store.alerts(&AlertFilter::default()).unwrap();
    let (site, at_site) = hidden
        .iter()
        .map(|&(lon, lat)| {
            let near: Vec<i64> = alerts
                .iter()
                .filter(|a| haversine_km(a.lon, a.lat, lon, lat) < 0.6)
                .map(|a| a.alert_id)
                .collect();
            ((lon, lat), near)
        })
        .max_by_key(|(_, near)| near.len())
        .unwrap();
    assert!(at_site.len() >= 3, "{at_site:?}");
    let verify = |store: &mut SqliteStore, id: i64, outcome| {
        for (to, outcome) in [
            (AlertState::Received, None),
            (AlertState::Verified, outcome),
        ] {
            store
                .transition_alert(&TransitionRequest {
                    alert_id: id,
                    to,
                    actor: "patrol-zhao".into(),
                    at: Utc::now(),
                    outcome,
                    reason: None,
                    note: None,
                })
                .unwrap();
        }
    };
    // One verification is not enough; nothing learned from history either in two weeks.
    verify(&mut store, at_site[0], Some(Outcome::IndustrialHeat));
    let run =
        learn_and_propose(&mut store, &config.filter, &config.seasons, None, None, &[]).unwrap();
    assert!(run.feedback.new.is_empty());
    verify(&mut store, at_site[1], Some(Outcome::IndustrialHeat));
    verify(&mut store, at_site[2], Some(Outcome::NothingFound));
    let run =
        learn_and_propose(&mut store, &config.filter, &config.seasons, None, None, &[]).unwrap();
    assert_eq!(run.feedback.new.len(), 1, "{:?}", run.feedback_places);
    let c = store
        .candidates(None)
        .unwrap()
        .into_iter()
        .find(|c| c.origin == "feedback")
        .unwrap();
    assert!(haversine_km(c.lon, c.lat, site.0, site.1) < 1.0);
    assert_eq!(c.evidence.detections, 2);
    let extra = c.evidence.extra.unwrap();
    assert!(extra.contains(&at_site[0].to_string()) && extra.contains(&at_site[1].to_string()));
    // Learning again refreshes the same candidate instead of adding one.
    let run =
        learn_and_propose(&mut store, &config.filter, &config.seasons, None, None, &[]).unwrap();
    assert!(run.feedback.new.is_empty() && run.feedback.updated.len() == 1);
}

#[test]
fn a_silence_holds_back_its_area_until_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (config, p) = pipeline(dir.path(), 9);
    let mut store = p.into_store();
    let fires = std::fs::read_to_string(dir.path().join("truth/detections.csv")).unwrap();
    // A crop fire pixel of 12 June: silence 2 km around it for that afternoon and night.
    let line = fires
        .lines()
        .find(|l| l.contains("SUOMI_VIIRS") && l.contains(",2025-06-12,") && l.contains(",crop,"))
        .unwrap();
    let f: Vec<&str> = line.split(',').collect();
    let (lat, lon): (f64, f64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
    let start = Utc.with_ymd_and_hms(2025, 6, 12, 0, 0, 0).unwrap();
    let (id, _) = create_silence(
        &mut store,
        &SilenceSpec {
            matchers: Matchers {
                area: AreaSpec::Circle {
                    lon,
                    lat,
                    radius_km: 2.0,
                },
                source: Some("firms_viirs".into()),
                sensor: None,
            },
            starts_at: Some(start),
            ends_at: Some(start + Duration::days(1)),
            created_by: "duty-wang".into(),
            comment: "controlled burn of a test plot".into(),
        },
        start - Duration::hours(1),
    )
    .unwrap();
    let routing = Routing::load(&config.regions).unwrap();
    let filters = prepare_store(&config.filter, &store).unwrap();
    let mut p = Pipeline::new(store, routing, filters, &config);
    for file in daily(dir.path(), &["2025-06-12", "2025-06-13"]) {
        p.ingest_file(&file).unwrap();
    }
    let held = p
        .store()
        .detections(&DetectionQuery {
            reason: Some(format!("silence:{id}")),
            ..Default::default()
        })
        .unwrap();
    assert!(!held.is_empty());
    // Exactly what the silence matches is held back by it: VIIRS, that day, within 2 km.
    let all = p.store().detections(&DetectionQuery::default()).unwrap();
    let mut outside_scope = 0;
    for d in &all {
        let x = &d.detection;
        let in_scope = x.source.as_str() == "firms_viirs"
            && x.acq_time >= start
            && x.acq_time < start + Duration::days(1)
            && haversine_km(x.lon, x.lat, lon, lat) <= 2.0;
        let by_silence = d
            .suppressed_by
            .as_deref()
            .is_some_and(|r| r.starts_with(&format!("silence:{id}:")));
        if in_scope {
            // Held back, by the silence unless a product flag came first.
            assert!(d.suppressed_by.is_some(), "{d:?}");
        } else {
            assert!(!by_silence, "{d:?}");
            outside_scope += 1;
        }
    }
    assert!(outside_scope > 0);
    assert!(held[0]
        .suppressed_by
        .as_deref()
        .unwrap()
        .ends_with("controlled burn of a test plot"));
}

#[test]
fn the_cropland_class_is_stored_with_each_detection_from_a_mask_in_web_mercator() {
    use gdal::raster::Buffer;
    use gdal::spatial_ref::SpatialRef;
    use gdal::DriverManager;

    let dir = tempfile::tempdir().unwrap();
    let (mut config, p) = pipeline(dir.path(), 10);
    let store = p.into_store();
    // The simulator's mask is UTM 50N; write the same land in EPSG:3857 (metres, another
    // projection) by sampling the UTM mask, and use that instead.
    let utm =
        burnwatch_filter::CroplandMask::open(config.filter.cropland.as_ref().unwrap()).unwrap();
    let path = dir.path().join("cropland_3857.tif");
    let (x0, y0) = (12_936_000.0, 4_212_000.0); // ≈ 116.21E, 35.38N
    let (w, h, cell) = (900usize, 600usize, 100.0);
    let to_lonlat = |x: f64, y: f64| {
        let r = 6_378_137.0;
        (
            (x / r).to_degrees(),
            (2.0 * (y / r).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
        )
    };
    let mut data = vec![255u8; w * h];
    for row in 0..h {
        for col in 0..w {
            let (lon, lat) = to_lonlat(
                x0 + (col as f64 + 0.5) * cell,
                y0 - (row as f64 + 0.5) * cell,
            );
            if let Some(v) = utm.value_at(lon, lat) {
                data[row * w + col] = if v == 1.0 { 40 } else { 50 };
            }
        }
    }
    {
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver
            .create_with_band_type::<u8, _>(&path, w, h, 1)
            .unwrap();
        ds.set_geo_transform(&[x0, cell, 0.0, y0, 0.0, -cell])
            .unwrap();
        ds.set_spatial_ref(&SpatialRef::from_epsg(3857).unwrap())
            .unwrap();
        let mut band = ds.rasterband(1).unwrap();
        band.set_no_data_value(Some(255.0)).unwrap();
        band.write((0, 0), (w, h), &mut Buffer::new((w, h), data))
            .unwrap();
    }
    let mask = config.filter.cropland.as_mut().unwrap();
    mask.path = path;
    mask.crop_values = vec![40.0]; // ESA WorldCover's cropland class

    let routing = Routing::load(&config.regions).unwrap();
    let filters = prepare_store(&config.filter, &store).unwrap();
    let mut p = Pipeline::new(store, routing, filters, &config);
    for file in daily(dir.path(), &["2025-06-1", "2025-10-1"]) {
        p.ingest_file(&file).unwrap();
    }
    let all = p.store().detections(&DetectionQuery::default()).unwrap();
    assert!(all.len() > 100);
    let mut agree = 0;
    for d in &all {
        let expected = utm
            .class_at(d.detection.lon, d.detection.lat)
            .map(|c| c.as_str().to_owned());
        agree += (d.fire_class == expected) as usize;
    }
    // Both masks sample the same land at 100 m: they disagree only within a cell of an edge.
    assert!(
        agree as f64 >= 0.97 * all.len() as f64,
        "{agree}/{}",
        all.len()
    );
    let not_straw = p
        .store()
        .detections(&DetectionQuery {
            fire_class: Some("not_straw".into()),
            ..Default::default()
        })
        .unwrap();
    // Off-cropland detections are kept: at registered sites they are held back, the rest routed.
    assert!(not_straw
        .iter()
        .any(|d| d.suppressed_by.is_none() && d.region_id.is_some()));
}
