//! VNP14IMG NetCDF: files written by `write_vnp14img_netcdf` (through GDAL) read back by
//! `parse_file`, field by field.

use burnwatch_ingest::{
    parse_file, write_vnp14img_netcdf, ConfidenceClass, DayNight, IngestError, Instrument,
    ProductFormat, SourceKind, Vnp14imgFire,
};
use chrono::{TimeZone, Utc};

fn fire(lat: f64, lon: f64, confidence: u8, day: bool) -> Vnp14imgFire {
    Vnp14imgFire {
        lat,
        lon,
        t4_k: 331.583_099,
        t5_k: 290.125,
        frp_mw: 4.678_257_94,
        confidence,
        day,
    }
}

/// What a value becomes after a float32 round trip (the product stores float32).
fn f32ed(x: f64) -> f64 {
    x as f32 as f64
}

#[test]
fn written_file_reads_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim_granule.nc");
    let start = Utc.with_ymd_and_hms(2025, 11, 18, 5, 12, 30).unwrap();
    let fires = vec![
        fire(35.693_57, 116.948_46, 9, true),
        fire(-8.571_64, 35.603_41, 7, false),
        fire(59.147_838_59, 37.858_867_65, 8, true),
    ];
    write_vnp14img_netcdf(&path, start, "NOAA-20", &fires).unwrap();

    let parsed = parse_file(&path).unwrap();
    assert_eq!(parsed.format, ProductFormat::Vnp14imgNetcdf);
    assert_eq!(parsed.rows_read, 3);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.detections.len(), 3);
    let classes = [
        ConfidenceClass::High,
        ConfidenceClass::Low,
        ConfidenceClass::Nominal,
    ];
    for ((d, f), class) in parsed.detections.iter().zip(&fires).zip(classes) {
        assert_eq!(d.source, SourceKind::Vnp14img);
        assert_eq!(d.instrument, Instrument::Viirs);
        assert_eq!(d.satellite, "NOAA-20");
        assert_eq!(d.acq_time, start);
        assert_eq!(d.lat, f32ed(f.lat));
        assert_eq!(d.lon, f32ed(f.lon));
        assert_eq!(d.bright_t4_k, Some(f32ed(f.t4_k)));
        assert_eq!(d.bright_t11_k, Some(f32ed(f.t5_k)));
        assert_eq!(d.frp_mw, Some(f32ed(f.frp_mw)));
        assert_eq!(d.confidence, class);
        assert_eq!(
            d.confidence_raw.as_deref(),
            Some(f.confidence.to_string().as_str())
        );
        let dn = if f.day {
            DayNight::Day
        } else {
            DayNight::Night
        };
        assert_eq!(d.day_night, Some(dn));
        assert_eq!(d.scan_km, Some(0.375));
        assert_eq!(d.track_km, Some(0.375));
        assert_eq!(d.firms_type, None);
    }
}

#[test]
fn bad_pixels_are_rejected_by_index_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.nc");
    let start = Utc.with_ymd_and_hms(2025, 11, 18, 5, 12, 0).unwrap();
    let fires = vec![
        fire(f64::NAN, 116.0, 9, true),
        fire(35.0, 116.0, 9, true),
        fire(35.0, 200.0, 9, true),
        fire(35.0, 116.0, 5, true),
    ];
    write_vnp14img_netcdf(&path, start, "N21", &fires).unwrap();
    let parsed = parse_file(&path).unwrap();
    assert_eq!(parsed.rows_read, 4);
    assert_eq!(parsed.detections.len(), 1);
    assert_eq!(parsed.detections[0].satellite, "NOAA-21");
    let lines: Vec<usize> = parsed.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 3, 4]);
    assert!(parsed.rejected[0].message.contains("FP_latitude NaN"));
    assert!(parsed.rejected[1].message.contains("FP_longitude 200"));
    assert!(parsed.rejected[2].message.contains("FP_confidence 5"));
}

#[test]
fn a_granule_without_fires_is_valid_and_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("VJ114IMG.A2025322.0512.002.2025322120000.nc");
    let start = Utc.with_ymd_and_hms(2025, 11, 18, 5, 12, 0).unwrap();
    write_vnp14img_netcdf(&path, start, "NOAA-20", &[]).unwrap();
    let parsed = parse_file(&path).unwrap();
    assert_eq!((parsed.rows_read, parsed.detections.len()), (0, 0));
}

#[test]
fn netcdf_without_fire_arrays_is_rejected_and_garbage_after_magic_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("VNP14IMG.A2025322.0512.002.nc");
    std::fs::write(&path, b"CDF\x01 this is not really netcdf").unwrap();
    let err = parse_file(&path).unwrap_err();
    assert!(matches!(err, IngestError::Netcdf { .. }), "{err}");
    assert!(err.to_string().contains("cannot open"), "{err}");
    // bytes of a NetCDF name given to parse_bytes: needs a path.
    let err = burnwatch_ingest::parse_bytes("x.nc", b"CDF\x01\0\0\0\0").unwrap_err();
    assert!(matches!(err, IngestError::Unsupported { .. }), "{err}");
}
