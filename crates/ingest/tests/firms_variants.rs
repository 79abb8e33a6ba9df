//! Every FIRMS CSV variant, as small hand-written strings.

use burnwatch_ingest::{
    parse_bytes, ConfidenceClass, DayNight, Detection, IngestError, Instrument, ParsedFile,
    ProductFormat, SourceKind,
};
use chrono::{TimeZone, Utc};

const MODIS: &str = "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight";
const VIIRS: &str = "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,version,bright_ti5,frp,daynight";

fn parse(text: &str) -> ParsedFile {
    let p = parse_bytes("firms.csv", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    p
}

fn one(text: &str) -> Detection {
    let p = parse(text);
    assert_eq!(p.detections.len(), 1);
    p.detections.into_iter().next().unwrap()
}

#[test]
fn modis_nrt_standard_columns() {
    let d = one(&format!(
        "{MODIS}\n35.41234,116.58712,318.45,1.02,1.01,2025-06-08,0512,T,78,6.1NRT,295.12,14.6,D\n"
    ));
    assert_eq!(d.source, SourceKind::FirmsModis);
    assert_eq!(d.instrument, Instrument::Modis);
    assert_eq!(d.satellite, "Terra");
    assert_eq!(
        d.acq_time,
        Utc.with_ymd_and_hms(2025, 6, 8, 5, 12, 0).unwrap()
    );
    assert_eq!((d.lat, d.lon), (35.41234, 116.58712));
    assert_eq!(d.bright_t4_k, Some(318.45));
    assert_eq!(d.bright_t11_k, Some(295.12));
    assert_eq!((d.scan_km, d.track_km), (Some(1.02), Some(1.01)));
    assert_eq!(d.frp_mw, Some(14.6));
    assert_eq!(d.confidence, ConfidenceClass::Nominal);
    assert_eq!(d.confidence_raw.as_deref(), Some("78"));
    assert_eq!(d.day_night, Some(DayNight::Day));
    assert_eq!(d.firms_type, None);
}

#[test]
fn modis_archive_with_type_and_instrument_in_any_order() {
    let p = parse(
        "type,instrument,satellite,version,confidence,daynight,frp,bright_t31,acq_time,acq_date,track,scan,brightness,longitude,latitude\n\
         0,MODIS,Aqua,6.03,29,N,5.1,289.9,46,2024-10-03,1.1,1.3,301.2,116.40277,35.30512\n\
         2,MODIS,Terra,6.03,80,D,61.0,296.4,5,2024-10-03,1.4,2.1,340.8,116.99013,35.11102\n\
         3,modis,A,6.03,30,D,9.9,293.0,1302,2024-10-03,1.0,1.0,310.0,119.90021,34.80011\n",
    );
    let d = &p.detections;
    assert_eq!(p.format, ProductFormat::FirmsModisCsv);
    assert_eq!(d.len(), 3);
    assert_eq!(d[0].satellite, "Aqua");
    assert_eq!(d[1].satellite, "Terra");
    assert_eq!(d[2].satellite, "Aqua");
    assert_eq!(
        d[0].acq_time,
        Utc.with_ymd_and_hms(2024, 10, 3, 0, 46, 0).unwrap()
    );
    assert_eq!(
        d[1].acq_time,
        Utc.with_ymd_and_hms(2024, 10, 3, 0, 5, 0).unwrap()
    );
    assert_eq!(
        d[2].acq_time,
        Utc.with_ymd_and_hms(2024, 10, 3, 13, 2, 0).unwrap()
    );
    let classes: Vec<_> = d.iter().map(|d| d.confidence).collect();
    assert_eq!(
        classes,
        [
            ConfidenceClass::Low,
            ConfidenceClass::High,
            ConfidenceClass::Nominal
        ]
    );
    let types: Vec<_> = d.iter().map(|d| d.firms_type).collect();
    assert_eq!(types, [Some(0), Some(2), Some(3)]);
    assert_eq!((d[0].lat, d[0].lon), (35.30512, 116.40277));
    assert_eq!((d[0].scan_km, d[0].track_km), (Some(1.3), Some(1.1)));
}

#[test]
fn viirs_with_l_n_h() {
    let p = parse(&format!(
        "{VIIRS}\n\
         35.4,116.6,330.12,0.39,0.36,2025-06-08,0521,N,n,2.0NRT,291.55,3.21,D\n\
         35.5,116.6,345.90,0.39,0.36,2025-06-08,0521,N20,h,2.0NRT,292.10,6.84,D\n\
         35.7,116.3,301.11,0.52,0.42,2025-06-08,1803,N21,L,2.0NRT,285.40,0.95,N\n"
    ));
    assert_eq!(p.format, ProductFormat::FirmsViirsCsv);
    let d = &p.detections;
    assert!(d
        .iter()
        .all(|d| d.instrument == Instrument::Viirs && d.source == SourceKind::FirmsViirs));
    let sats: Vec<_> = d.iter().map(|d| d.satellite.as_str()).collect();
    assert_eq!(sats, ["Suomi NPP", "NOAA-20", "NOAA-21"]);
    let classes: Vec<_> = d.iter().map(|d| d.confidence).collect();
    assert_eq!(
        classes,
        [
            ConfidenceClass::Nominal,
            ConfidenceClass::High,
            ConfidenceClass::Low
        ]
    );
    assert_eq!(d[2].confidence_raw.as_deref(), Some("L"));
    assert_eq!(d[0].bright_t4_k, Some(330.12));
    assert_eq!(d[0].bright_t11_k, Some(291.55));
    assert_eq!(d[2].day_night, Some(DayNight::Night));
}

#[test]
fn viirs_with_low_nominal_high_spelled_out_satellites_type_and_instrument() {
    let p = parse(
        "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight,type\n\
         35.2,116.1,333.3,0.44,0.38,2025-06-09,0433,Suomi NPP,VIIRS,nominal,2.0NRT,290.0,4.4,D,0\n\
         35.2,116.1,360.1,0.44,0.38,2025-06-09,0433,NOAA-20,VIIRS,HIGH,2.0NRT,295.0,12.5,D,1\n\
         35.9,117.0,300.5,0.60,0.50,2025-06-09,0433,NOAA-21,VIIRS,Low,2.0NRT,288.0,1.1,N,3\n\
         35.9,117.0,300.5,0.60,0.50,2025-06-09,0433,1,VIIRS,low,2.0NRT,288.0,1.1,N,2\n",
    );
    let sats: Vec<_> = p.detections.iter().map(|d| d.satellite.as_str()).collect();
    // "1" is the JPSS number older FIRMS NOAA-20 files use.
    assert_eq!(sats, ["Suomi NPP", "NOAA-20", "NOAA-21", "NOAA-20"]);
    let classes: Vec<_> = p.detections.iter().map(|d| d.confidence).collect();
    assert_eq!(
        classes,
        [
            ConfidenceClass::Nominal,
            ConfidenceClass::High,
            ConfidenceClass::Low,
            ConfidenceClass::Low
        ]
    );
    let types: Vec<_> = p.detections.iter().map(|d| d.firms_type).collect();
    assert_eq!(types, [Some(0), Some(1), Some(3), Some(2)]);
}

#[test]
fn acq_time_with_and_without_leading_zeros() {
    for (t, h, m) in [
        ("46", 0, 46),
        ("0046", 0, 46),
        ("5", 0, 5),
        ("005", 0, 5),
        ("1302", 13, 2),
    ] {
        let d = one(&format!(
            "{VIIRS}\n35.4,116.6,330.1,0.39,0.36,2025-06-08,{t},N,n,2.0NRT,291.5,3.2,N\n"
        ));
        assert_eq!(
            d.acq_time,
            Utc.with_ymd_and_hms(2025, 6, 8, h, m, 0).unwrap(),
            "{t}"
        );
    }
}

#[test]
fn minimal_columns_leave_optional_fields_empty() {
    let d = one(
        "latitude,longitude,brightness,acq_date,acq_time,satellite,confidence\n\
                 35.4,116.6,320.5,2025-06-08,512,A,100\n",
    );
    assert_eq!((d.scan_km, d.track_km, d.frp_mw), (None, None, None));
    assert_eq!(
        (d.day_night, d.bright_t11_k, d.firms_type),
        (None, None, None)
    );
    assert_eq!(d.confidence, ConfidenceClass::High);
    // Empty optional values are "not given", not errors.
    let d = one(&format!(
        "{MODIS}\n35.4,116.6,320.5,,,2025-06-08,0512,A,50,6.1NRT,,,\n"
    ));
    assert_eq!((d.scan_km, d.frp_mw, d.day_night), (None, None, None));
}

#[test]
fn quoted_fields_and_crlf_as_spreadsheets_save_them() {
    let d = one(&format!(
        "{MODIS}\r\n\"35.4\",\"116.6\",320.5,1,1,\"2025-06-08\",\"0512\",\"Aqua\",50,6.1NRT,290,5,D\r\n"
    ));
    assert_eq!((d.lat, d.lon), (35.4, 116.6));
}

#[test]
fn row_problems_name_line_column_and_value() {
    let p = parse_bytes(
        "firms.csv",
        format!(
            "{VIIRS}\n\
             35.4,116.6,330.1,0.39,0.36,2025-06-08,0521,N,maybe,2.0NRT,291.5,3.2,D\n\
             \n\
             35.4,116.6,330.1,0.39,0.36,2025-06-08,0521,Aqua,n,2.0NRT,291.5,3.2,D\n\
             35.4,116.6,330.1,-0.39,0.36,2025-06-08,0521,N,n,2.0NRT,291.5,3.2,X\n\
             35.4,116.6,330.1,0.39,0.36,2025-06-08,0521,N,n,2.0NRT,291.5,abc,D\n\
             35.4,116.6,330.1,0.39,0.36,2025-06-08,0521,N,n,2.0NRT,291.5,3.2,D\n"
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(p.rows_read, 5);
    assert_eq!(p.detections.len(), 1);
    let got: Vec<(usize, &str)> = p
        .rejected
        .iter()
        .map(|r| (r.line, r.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "confidence \"maybe\" is not l/n/h or low/nominal/high"),
            (4, "satellite \"Aqua\" is not a VIIRS platform"),
            (5, "daynight \"X\" is not D/N"),
            (6, "frp \"abc\" is not a number"),
        ]
    );
}

#[test]
fn wrong_or_ambiguous_headers_are_file_errors() {
    let err = |t: &str| parse_bytes("f.csv", t.as_bytes()).unwrap_err();
    let e = err(
        "latitude,longitude,acq_date,acq_time,satellite,confidence,frp\n1,2,2025-01-01,1,A,5,1\n",
    );
    assert!(matches!(e, IngestError::WrongHeader { .. }), "{e}");
    assert!(e.to_string().contains("neither brightness"), "{e}");
    let e =
        err("latitude,longitude,brightness,bright_ti4,acq_date,acq_time,satellite,confidence\n");
    assert!(e.to_string().contains("both brightness"), "{e}");
    let e = err("latitude,longitude,brightness,acq_date,satellite,confidence\n");
    assert!(e.to_string().contains("lacks column acq_time"), "{e}");
    let e = err("latitude,latitude,longitude,brightness,acq_date,acq_time,satellite,confidence\n");
    assert!(e.to_string().contains("appears twice"), "{e}");
}

#[test]
fn comments_are_allowed_above_the_header_only() {
    let p = parse_bytes(
        "f.csv",
        format!(
            "# exported by a station script\n{MODIS}\n\
             35.4,116.6,320.5,1,1,2025-06-08,0512,A,50,6.1NRT,290,5,D\n\
             #35.4,116.6,320.5,1,1,2025-06-08,0512,A,50,6.1NRT,290,5,D\n"
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!((p.rows_read, p.detections.len()), (2, 1));
    assert_eq!(p.rejected[0].line, 4);
    assert!(
        p.rejected[0].message.contains("latitude \"#35.4\""),
        "{:?}",
        p.rejected
    );
}
