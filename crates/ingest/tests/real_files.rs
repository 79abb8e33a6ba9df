//! The real product samples in ../shared/data/satellite (not part of this repository). Each
//! test skips with a message when the folder is absent, and runs in CI where it is present.

use burnwatch_ingest::{
    parse_bytes, parse_file, ConfidenceClass, DayNight, Instrument, ProductFormat, SourceKind,
};
use chrono::{TimeZone, Utc};
use std::path::PathBuf;

fn real(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/satellite")
        .join(name);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: real sample {} is absent (../shared not mounted)",
            path.display()
        );
        None
    }
}

#[test]
fn real_modis_global_24h_parses_every_row() {
    let Some(path) = real("MODIS_C6_1_Global_24h_2025-11-18.csv") else {
        return;
    };
    let p = parse_file(&path).unwrap();
    assert_eq!(p.format, ProductFormat::FirmsModisCsv);
    assert_eq!(p.rows_read, 6624);
    assert_eq!(p.detections.len(), 6624);
    assert!(
        p.rejected.is_empty(),
        "{:?}",
        &p.rejected[..p.rejected.len().min(5)]
    );

    // Row 1: -8.57164,35.60341,317.24,2.64,1.56,2025-11-18,0005,A,95,6.1NRT,279.24,76.61,N
    let d = &p.detections[0];
    assert_eq!(d.source, SourceKind::FirmsModis);
    assert_eq!(d.instrument, Instrument::Modis);
    assert_eq!(d.satellite, "Aqua");
    assert_eq!((d.lat, d.lon), (-8.57164, 35.60341));
    assert_eq!(
        d.acq_time,
        Utc.with_ymd_and_hms(2025, 11, 18, 0, 5, 0).unwrap()
    );
    assert_eq!(d.bright_t4_k, Some(317.24));
    assert_eq!(d.bright_t11_k, Some(279.24));
    assert_eq!((d.scan_km, d.track_km), (Some(2.64), Some(1.56)));
    assert_eq!(d.frp_mw, Some(76.61));
    assert_eq!(d.confidence, ConfidenceClass::High);
    assert_eq!(d.confidence_raw.as_deref(), Some("95"));
    assert_eq!(d.day_night, Some(DayNight::Night));
    assert_eq!(d.firms_type, None);

    // The one near Jining: 35.69357,116.94846,301.13,1.22,1.1,2025-11-19,0635,A,45,…,6.99,D
    let near: Vec<_> = p
        .detections
        .iter()
        .filter(|d| (d.lat - 35.69).abs() < 0.01 && (d.lon - 116.95).abs() < 0.01)
        .collect();
    assert_eq!(near.len(), 1);
    let j = near[0];
    assert_eq!((j.lat, j.lon), (35.69357, 116.94846));
    assert_eq!(
        j.acq_time,
        Utc.with_ymd_and_hms(2025, 11, 19, 6, 35, 0).unwrap()
    );
    assert_eq!(j.confidence, ConfidenceClass::Nominal);
    assert_eq!(j.frp_mw, Some(6.99));
    assert_eq!(j.day_night, Some(DayNight::Day));

    let terra = p
        .detections
        .iter()
        .filter(|d| d.satellite == "Terra")
        .count();
    assert!(terra > 0 && terra < 6624);
    // Same result from memory.
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        parse_bytes("MODIS_C6_1_Global_24h_2025-11-18.csv", &bytes).unwrap(),
        p
    );
}

#[test]
fn real_himawari_wlf_gives_212_detections() {
    let Some(path) = real("H09_20251209_1900_L2WLF010_FLDK.06001_06001.csv") else {
        return;
    };
    let p = parse_file(&path).unwrap();
    assert_eq!(p.format, ProductFormat::HimawariWlfCsv);
    assert_eq!((p.rows_read, p.detections.len()), (212, 212));
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    // Row 1: 1,2025,12,9,1902,41.14,122.98,3.73,0,2,1,3.75,0,1
    let d = &p.detections[0];
    assert_eq!(d.source, SourceKind::HimawariWlf);
    assert_eq!(d.instrument, Instrument::Ahi);
    assert_eq!(d.satellite, "Himawari-9");
    assert_eq!(
        d.acq_time,
        Utc.with_ymd_and_hms(2025, 12, 9, 19, 2, 0).unwrap()
    );
    assert_eq!((d.lat, d.lon), (41.14, 122.98));
    assert_eq!(d.scan_km, Some(3.73f64.sqrt()));
    assert_eq!(d.track_km, d.scan_km);
    assert_eq!(d.frp_mw, Some(3.75));
    assert_eq!(d.confidence, ConfidenceClass::Low);
    assert_eq!(d.day_night, None);
    assert_eq!(d.firms_type, None);
    let last = p.detections.last().unwrap();
    assert_eq!((last.lat, last.lon), (-44.40, 171.26));
    assert_eq!(last.confidence, ConfidenceClass::Nominal);
}

#[test]
fn real_cspp_excerpt_gives_3_noaa20_detections() {
    let Some(path) = real("AFIMG_j01_cspp_dev_EXCERPT_3of18rows.txt") else {
        return;
    };
    let p = parse_file(&path).unwrap();
    assert_eq!(p.format, ProductFormat::CsppAfimgText);
    assert_eq!((p.rows_read, p.detections.len()), (3, 3));
    let t = Utc.with_ymd_and_hms(2021, 4, 14, 11, 26, 43).unwrap();
    for d in &p.detections {
        assert_eq!(d.acq_time, t);
        assert_eq!(d.satellite, "NOAA-20");
        assert_eq!(d.instrument, Instrument::Viirs);
        assert_eq!(d.source, SourceKind::CsppAfimg);
        assert_eq!(d.confidence, ConfidenceClass::Nominal);
        assert_eq!((d.scan_km, d.track_km), (Some(0.375), Some(0.375)));
    }
    let d = &p.detections[0];
    assert_eq!((d.lat, d.lon), (59.14783859, 37.85886765));
    assert_eq!(d.bright_t4_k, Some(331.58309937));
    assert_eq!(d.frp_mw, Some(4.67825794));
    assert_eq!(d.confidence_raw.as_deref(), Some("8"));
}
