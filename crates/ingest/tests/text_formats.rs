//! Himawari WLF and CSPP AFIMG edge cases, and file-level errors common to all text formats.

use burnwatch_ingest::{parse_bytes, parse_file, ConfidenceClass, IngestError, ProductFormat};
use chrono::{TimeZone, Utc};

const WLF_HEADER: &str = "# 2025  6  8  0  0 UTC  2025  6  8  0 10 UTC\n# ID,Year,Month,Day,Time(UTC),Lat,Lon,Area(km^2),Volcano,Level,Reliability,FRP(Wm^-2),QF,Hot(ID)\n";

#[test]
fn himawari_confidence_volcano_time_and_satellite() {
    let p = parse_bytes(
        "H08_20250608_0000_L2WLF010_FLDK.06001_06001.csv",
        format!(
            "{WLF_HEADER}\
             1,2025,6,8,2,35.42,116.58,4.00,0,3,5,12.50,0,1\n\
             2,2025,6,8,2,35.44,116.58,4.00,0,2,3,3.10,1,1\n\
             3,2025,6,8,2,35.10,116.90,4.41,0,1,1,.80,0,3\n\
             4,2025,6,8,8,31.50,130.66,5.76,1,3,5,40.00,2,4\n"
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(p.format, ProductFormat::HimawariWlfCsv);
    let d = &p.detections;
    assert_eq!(d.len(), 4);
    assert!(d.iter().all(|d| d.satellite == "Himawari-8"));
    assert_eq!(
        d[0].acq_time,
        Utc.with_ymd_and_hms(2025, 6, 8, 0, 2, 0).unwrap()
    );
    let classes: Vec<_> = d.iter().map(|d| d.confidence).collect();
    // Reliability 5/3/1 → high/nominal/low; QF 2 forces low even at reliability 5.
    assert_eq!(
        classes,
        [
            ConfidenceClass::High,
            ConfidenceClass::Nominal,
            ConfidenceClass::Low,
            ConfidenceClass::Low
        ]
    );
    assert_eq!(d[0].confidence_raw.as_deref(), Some("reliability=5;qf=0"));
    assert_eq!(d[3].firms_type, Some(1));
    assert_eq!(d[0].firms_type, None);
    assert_eq!(d[0].scan_km, Some(2.0));
    assert_eq!(d[2].frp_mw, Some(0.8));
}

#[test]
fn himawari_without_its_column_line_uses_the_documented_order() {
    let p = parse_bytes(
        "H09_20250608_0000_L2WLF010_FLDK.06001_06001.csv",
        b"1,2025,6,8,502,35.42,116.58,4.00,0,3,5,12.50,0,1\n",
    )
    .unwrap();
    assert_eq!(p.detections.len(), 1);
    assert_eq!(p.detections[0].satellite, "Himawari-9");
    // Unnamed: a plain "Himawari".
    let p = parse_bytes(
        "wlf.csv",
        format!("{WLF_HEADER}1,2025,6,8,502,35.42,116.58,4.00,0,3,5,12.50,0,1\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(p.detections[0].satellite, "Himawari");
}

#[test]
fn cspp_time_from_name_whitespace_columns_and_empty_granules() {
    let name = "AFIMG_npp_d20250608_t0512001_e0513243_b69000_c20250608053012345678_cspp_dev.txt";
    let p = parse_bytes(
        name,
        b"# Active Fires I-band EDR\n35.1 116.2 330.5 0.375 0.375 9 12.5\n",
    )
    .unwrap();
    let d = &p.detections[0];
    assert_eq!(d.satellite, "Suomi NPP");
    assert_eq!(
        d.acq_time,
        Utc.with_ymd_and_hms(2025, 6, 8, 5, 12, 0).unwrap()
    );
    assert_eq!(d.confidence, ConfidenceClass::High);

    // The source line wins over the name.
    let p = parse_bytes(
        name,
        b"# Active Fires I-band EDR\n# source: AFIMG_j02_d20250609_t1750123_e1751365.nc\n35.1, 116.2, 330.5, 0.4, 0.4, 7, 1.5\n",
    )
    .unwrap();
    assert_eq!(p.detections[0].satellite, "NOAA-21");
    assert_eq!(
        p.detections[0].acq_time,
        Utc.with_ymd_and_hms(2025, 6, 9, 17, 50, 12).unwrap()
    );

    // Header only: a valid granule without fires.
    let p = parse_bytes(
        name,
        b"# Active Fires I-band EDR\n#\n# number of fire pixels: 0\n#\n",
    )
    .unwrap();
    assert_eq!((p.rows_read, p.detections.len()), (0, 0));

    // A bad confidence class and a short row are row errors.
    let p = parse_bytes(
        name,
        b"# Active Fires I-band EDR\n35.1,116.2,330.5,0.4,0.4,6,1.5\n35.1,116.2,330.5\n35.1,116.2,330.5,0.4,0.4,8,1.5\n",
    )
    .unwrap();
    let got: Vec<_> = p
        .rejected
        .iter()
        .map(|r| (r.line, r.message.clone()))
        .collect();
    assert_eq!(got[0], (2, "confidence \"6\" is not 7/8/9".to_string()));
    assert_eq!(got[1].0, 3);
    assert_eq!(p.detections.len(), 1);

    // No time anywhere, even with no rows: a file error.
    let e = parse_bytes("fires.txt", b"# Active Fires I-band EDR\n").unwrap_err();
    assert!(matches!(e, IngestError::Malformed { .. }), "{e}");
}

#[test]
fn io_errors_name_the_path() {
    let e = parse_file(std::path::Path::new("/nonexistent/firms.csv")).unwrap_err();
    assert_eq!(e.kind(), "io");
    assert!(e.to_string().contains("/nonexistent/firms.csv"), "{e}");
}

#[test]
fn a_bad_byte_deep_in_a_file_costs_a_row_not_the_file() {
    let mut text =
        String::from("latitude,longitude,brightness,acq_date,acq_time,satellite,confidence\n");
    for _ in 0..300 {
        text.push_str("35.4,116.6,320.5,2025-06-08,512,A,100\n");
    }
    let mut bytes = text.into_bytes();
    bytes.extend(b"35.4,116.6,320.5,2025-06-08,512,\xB0\xA1,100\n");
    let p = parse_bytes("f.csv", &bytes).unwrap();
    assert_eq!(p.detections.len(), 300);
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(p.rejected[0].line, 302);
    assert_eq!(p.rejected[0].message, "not UTF-8 text");
}
