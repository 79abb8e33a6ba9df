//! What a field photo says about itself: its type (by content, not by name or header), size,
//! EXIF capture time and GPS fix, and how that compares with the alert. Faked evidence (an old
//! picture, a picture taken elsewhere) is flagged here, not refused: the county decides.

use burnwatch_core::geodesy::haversine_km;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use exif::{In, Tag, Value};
use std::io::Cursor;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum PhotoError {
    #[error("not a JPEG or PNG image")]
    NotAnImage,
    #[error("the {kind} image cannot be read: {why}")]
    Unreadable { kind: &'static str, why: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhotoFacts {
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
    pub exif_time_raw: Option<String>,
    pub taken_at: Option<DateTime<Utc>>,
    /// (lon, lat), WGS84 as phones write it.
    pub gps: Option<(f64, f64)>,
    pub gps_accuracy_m: Option<f64>,
}

/// Camera clocks in China run on Beijing time; used when the photo does not state its offset.
const CHINA_OFFSET_SECS: i32 = 8 * 3600;

pub fn inspect(bytes: &[u8]) -> Result<PhotoFacts, PhotoError> {
    let (format, content_type, extension, kind) = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (image::ImageFormat::Jpeg, "image/jpeg", "jpg", "JPEG")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        (image::ImageFormat::Png, "image/png", "png", "PNG")
    } else {
        return Err(PhotoError::NotAnImage);
    };
    // Reads only the headers: enough to refuse a file that merely starts like an image, without
    // decoding megapixels on the server.
    let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| PhotoError::Unreadable {
            kind,
            why: e.to_string(),
        })?;
    if width == 0 || height == 0 {
        return Err(PhotoError::Unreadable {
            kind,
            why: "zero-sized".into(),
        });
    }
    let mut facts = PhotoFacts {
        content_type,
        extension,
        width,
        height,
        exif_time_raw: None,
        taken_at: None,
        gps: None,
        gps_accuracy_m: None,
    };
    // Many messaging apps strip EXIF; a photo without it is kept and flagged, not refused.
    if let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        read_time(&exif, &mut facts);
        read_gps(&exif, &mut facts);
    }
    Ok(facts)
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<Vec<u8>> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first().cloned(),
        _ => None,
    }
}

fn read_time(exif: &exif::Exif, facts: &mut PhotoFacts) {
    let (raw, offset_tag) = match ascii(exif, Tag::DateTimeOriginal) {
        Some(raw) => (raw, Tag::OffsetTimeOriginal),
        None => match ascii(exif, Tag::DateTimeDigitized) {
            Some(raw) => (raw, Tag::OffsetTimeDigitized),
            None => return,
        },
    };
    facts.exif_time_raw = Some(String::from_utf8_lossy(&raw).trim().to_owned());
    let Ok(mut dt) = exif::DateTime::from_ascii(&raw) else {
        return;
    };
    if let Some(off) = ascii(exif, offset_tag) {
        let _ = dt.parse_offset(&off);
    }
    let offset_secs = dt
        .offset
        .map(|m| i32::from(m) * 60)
        .unwrap_or(CHINA_OFFSET_SECS);
    let local = NaiveDate::from_ymd_opt(dt.year.into(), dt.month.into(), dt.day.into())
        .and_then(|d| d.and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into()));
    facts.taken_at = local
        .zip(FixedOffset::east_opt(offset_secs))
        .and_then(|(l, o)| {
            o.from_local_datetime(&l)
                .single()
                .map(|t| t.with_timezone(&Utc))
        });
}

fn rationals(exif: &exif::Exif, tag: Tag) -> Option<Vec<f64>> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(v) => Some(v.iter().map(|r| r.to_f64()).collect()),
        _ => None,
    }
}

fn degrees(exif: &exif::Exif, tag: Tag, ref_tag: Tag, negative: u8) -> Option<f64> {
    let dms = rationals(exif, tag)?;
    let [d, m, s] = dms.get(..3)?.try_into().ok()?;
    let mut v: f64 = d + m / 60.0 + s / 3600.0;
    if ascii(exif, ref_tag)?.first()?.to_ascii_uppercase() == negative {
        v = -v;
    }
    v.is_finite().then_some(v)
}

fn read_gps(exif: &exif::Exif, facts: &mut PhotoFacts) {
    let lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S');
    let lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W');
    if let (Some(lon), Some(lat)) = (lon, lat) {
        // Cameras without a fix often write 0/0: that is "no GPS", not a point off Africa.
        let plausible = lat.abs() <= 90.0 && lon.abs() <= 180.0 && (lat, lon) != (0.0, 0.0);
        if plausible {
            facts.gps = Some((lon, lat));
            facts.gps_accuracy_m = rationals(exif, Tag::GPSHPositioningError)
                .and_then(|v| v.first().copied())
                .filter(|a| a.is_finite() && *a >= 0.0);
        }
    }
}

/// How a photo compares with its alert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    pub distance_km: Option<f64>,
    pub far: Option<bool>,
    pub old: Option<bool>,
}

/// Where and when the alert's fire was seen, and what counts as far and old.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub lon: f64,
    pub lat: f64,
    pub search_radius_km: f64,
    pub first_seen: DateTime<Utc>,
    pub far_km: f64,
    pub old_slack_minutes: f64,
}

/// A photo is far when it was taken more than `far_km` from the alert point and outside the
/// search circle too: the fire may be anywhere in a large pixel's footprint, and a patrol that
/// photographs it there is doing its job.
pub fn judge(facts: &PhotoFacts, e: &Expect) -> Judgement {
    let distance_km = facts
        .gps
        .map(|(lon, lat)| haversine_km(e.lon, e.lat, lon, lat));
    let slack = Duration::seconds((e.old_slack_minutes * 60.0) as i64);
    Judgement {
        distance_km,
        far: distance_km.map(|d| d > e.far_km.max(e.search_radius_km)),
        old: facts.taken_at.map(|t| t < e.first_seen - slack),
    }
}

/// The flags shown to the county next to a photo.
pub fn flags(far: Option<bool>, old: Option<bool>) -> Vec<&'static str> {
    let mut out = Vec::new();
    match far {
        Some(true) => out.push("far"),
        None => out.push("no_gps"),
        Some(false) => {}
    }
    match old {
        Some(true) => out.push("old"),
        None => out.push("no_time"),
        Some(false) => {}
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small JPEG with an EXIF block holding DateTimeOriginal (and its offset) and a GPS fix,
    /// written by hand so the reader is checked against the format, not against itself.
    pub(crate) fn jpeg_with_exif(time: &str, offset: Option<&str>, lon: f64, lat: f64) -> Vec<u8> {
        let mut jpeg = Vec::new();
        image::RgbImage::from_pixel(16, 8, image::Rgb([200, 80, 20]))
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let tiff = tiff_block(time, offset, lon, lat);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend(&jpeg[2..]);
        out
    }

    fn dms(v: f64) -> [(u32, u32); 3] {
        let v = v.abs();
        let d = v.floor();
        let m = ((v - d) * 60.0).floor();
        let s = ((v - d) * 60.0 - m) * 60.0;
        [
            (d as u32, 1),
            (m as u32, 1),
            ((s * 10000.0).round() as u32, 10000),
        ]
    }

    /// Big-endian TIFF: IFD0 → Exif IFD (0x9003, 0x9011) and GPS IFD (refs, lat, lon, error).
    fn tiff_block(time: &str, offset: Option<&str>, lon: f64, lat: f64) -> Vec<u8> {
        struct Entry {
            tag: u16,
            typ: u16,
            count: u32,
            data: Vec<u8>,
        }
        fn ascii(tag: u16, s: &str) -> Entry {
            let mut data = s.as_bytes().to_vec();
            data.push(0);
            Entry {
                tag,
                typ: 2,
                count: data.len() as u32,
                data,
            }
        }
        fn rational(tag: u16, v: &[(u32, u32)]) -> Entry {
            let data = v
                .iter()
                .flat_map(|(n, d)| [n.to_be_bytes(), d.to_be_bytes()].concat())
                .collect();
            Entry {
                tag,
                typ: 5,
                count: v.len() as u32,
                data,
            }
        }
        fn long(tag: u16, v: u32) -> Entry {
            Entry {
                tag,
                typ: 4,
                count: 1,
                data: v.to_be_bytes().to_vec(),
            }
        }
        // Lays out one IFD at `start`, values that do not fit in 4 bytes right after it.
        fn ifd(entries: &[Entry], start: u32) -> Vec<u8> {
            let mut out = (entries.len() as u16).to_be_bytes().to_vec();
            let mut extra = Vec::new();
            let extra_start = start + 2 + 12 * entries.len() as u32 + 4;
            for e in entries {
                out.extend(e.tag.to_be_bytes());
                out.extend(e.typ.to_be_bytes());
                out.extend(e.count.to_be_bytes());
                if e.data.len() <= 4 {
                    let mut v = e.data.clone();
                    v.resize(4, 0);
                    out.extend(v);
                } else {
                    out.extend((extra_start + extra.len() as u32).to_be_bytes());
                    extra.extend(&e.data);
                    if extra.len() % 2 == 1 {
                        extra.push(0);
                    }
                }
            }
            out.extend(0u32.to_be_bytes());
            out.extend(extra);
            out
        }
        let mut exif_entries = vec![ascii(0x9003, time)];
        if let Some(o) = offset {
            exif_entries.push(ascii(0x9011, o));
        }
        let gps_entries = vec![
            Entry {
                tag: 0x0000,
                typ: 1,
                count: 4,
                data: vec![2, 3, 0, 0],
            },
            ascii(0x0001, if lat < 0.0 { "S" } else { "N" }),
            rational(0x0002, &dms(lat)),
            ascii(0x0003, if lon < 0.0 { "W" } else { "E" }),
            rational(0x0004, &dms(lon)),
            rational(0x001F, &[(125, 10)]),
        ];
        // Header (8) + IFD0 with two pointers (2 + 24 + 4).
        let exif_start = 8 + 30;
        let exif_ifd = ifd(&exif_entries, exif_start);
        let gps_start = exif_start + exif_ifd.len() as u32;
        let gps_ifd = ifd(&gps_entries, gps_start);
        let mut out = b"MM\0\x2a".to_vec();
        out.extend(8u32.to_be_bytes());
        out.extend(ifd(&[long(0x8769, exif_start), long(0x8825, gps_start)], 8));
        out.extend(exif_ifd);
        out.extend(gps_ifd);
        out
    }

    #[test]
    fn reads_time_and_gps_from_exif() {
        let bytes = jpeg_with_exif("2025:06:10 14:30:00", None, 116.5873, 35.4152);
        let f = inspect(&bytes).unwrap();
        assert_eq!(f.content_type, "image/jpeg");
        assert_eq!((f.width, f.height), (16, 8));
        assert_eq!(f.exif_time_raw.as_deref(), Some("2025:06:10 14:30:00"));
        // No offset written: Beijing time assumed.
        assert_eq!(f.taken_at, Some("2025-06-10T06:30:00Z".parse().unwrap()));
        let (lon, lat) = f.gps.unwrap();
        assert!(
            (lon - 116.5873).abs() < 1e-6 && (lat - 35.4152).abs() < 1e-6,
            "{lon} {lat}"
        );
        assert_eq!(f.gps_accuracy_m, Some(12.5));

        let f = inspect(&jpeg_with_exif(
            "2025:06:10 14:30:00",
            Some("+00:00"),
            -3.5,
            -20.25,
        ))
        .unwrap();
        assert_eq!(f.taken_at, Some("2025-06-10T14:30:00Z".parse().unwrap()));
        let (lon, lat) = f.gps.unwrap();
        assert!((lon + 3.5).abs() < 1e-6 && (lat + 20.25).abs() < 1e-6);
    }

    #[test]
    fn refuses_what_is_not_an_image_and_keeps_photos_without_exif() {
        assert_eq!(inspect(b"%PDF-1.4 hello"), Err(PhotoError::NotAnImage));
        assert_eq!(inspect(b""), Err(PhotoError::NotAnImage));
        // Starts like a JPEG but is not one.
        assert!(matches!(
            inspect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 2, 1, 2, 3]),
            Err(PhotoError::Unreadable { .. })
        ));
        let mut png = Vec::new();
        image::GrayImage::new(3, 2)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let f = inspect(&png).unwrap();
        assert_eq!(
            (f.content_type, f.width, f.gps, f.taken_at),
            ("image/png", 3, None, None)
        );
        assert_eq!(flags(None, None), vec!["no_gps", "no_time"]);
    }

    #[test]
    fn far_and_old_photos_are_flagged() {
        let expect = Expect {
            lon: 116.5850,
            lat: 35.4150,
            search_radius_km: 0.4,
            first_seen: "2025-06-10T05:00:00Z".parse().unwrap(),
            far_km: 1.0,
            old_slack_minutes: 30.0,
        };
        let near = inspect(&jpeg_with_exif(
            "2025:06:10 14:00:00",
            None,
            116.5873,
            35.4152,
        ))
        .unwrap();
        let j = judge(&near, &expect);
        assert!(j.distance_km.unwrap() < 0.3);
        assert_eq!((j.far, j.old), (Some(false), Some(false)));
        // 5 km east, and taken the previous season.
        let fake = inspect(&jpeg_with_exif("2024:10:01 09:00:00", None, 116.64, 35.415)).unwrap();
        let j = judge(&fake, &expect);
        assert!(j.distance_km.unwrap() > 4.5);
        assert_eq!((j.far, j.old), (Some(true), Some(true)));
        assert_eq!(flags(j.far, j.old), vec!["far", "old"]);
        // Within a large search circle (a MODIS pixel at the scan edge) 5 km is not far.
        let wide = Expect {
            search_radius_km: 6.0,
            ..expect
        };
        assert_eq!(judge(&fake, &wide).far, Some(false));
        // Within the slack before the first detection: the fire was already burning.
        let early = inspect(&jpeg_with_exif(
            "2025:06:10 12:45:00",
            None,
            116.5873,
            35.4152,
        ))
        .unwrap();
        assert_eq!(judge(&early, &expect).old, Some(false));
    }
}
