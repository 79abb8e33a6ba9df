//! Routing a CSV of points: every row comes out as it went in, with the owning region appended.

use crate::{RegionError, RegionIndex};
use std::io::{Read, Write};

/// What happened to the rows of one [`route_csv`] run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteStats {
    pub rows: u64,
    pub inside: u64,
    pub outside: u64,
    /// Rows whose lon/lat is missing, not a number, or not a place on Earth.
    pub unparsable: u64,
}

/// Copies a CSV with `lon`/`lat` (or `longitude`/`latitude`, any case) columns to `output`,
/// appending `region_id,region_name`: empty for points outside every region and for rows whose
/// coordinates do not parse. Fields are carried as bytes, so a GBK-encoded file passes through
/// untouched.
pub fn route_csv<R: Read, W: Write>(
    input: R,
    output: W,
    index: &RegionIndex,
) -> Result<RouteStats, RegionError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let mut writer = csv::Writer::from_writer(output);
    let header = reader.byte_headers()?.clone();
    let (lon_col, lat_col) =
        lon_lat_columns(&header).ok_or_else(|| RegionError::MissingLonLat {
            header: header
                .iter()
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(","),
        })?;
    let mut out_header = header.clone();
    out_header.push_field(b"region_id");
    out_header.push_field(b"region_name");
    writer.write_byte_record(&out_header)?;

    let mut stats = RouteStats::default();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        stats.rows += 1;
        let point = coordinate(record.get(lon_col), -180.0, 180.0).zip(coordinate(
            record.get(lat_col),
            -90.0,
            90.0,
        ));
        let region = match point {
            None => {
                stats.unparsable += 1;
                None
            }
            Some((lon, lat)) => {
                let found = index.locate(lon, lat);
                match found {
                    Some(_) => stats.inside += 1,
                    None => stats.outside += 1,
                }
                found.map(|i| index.get(i))
            }
        };
        match region {
            Some(r) => {
                record.push_field(r.id.as_bytes());
                record.push_field(r.name.as_bytes());
            }
            None => {
                record.push_field(b"");
                record.push_field(b"");
            }
        }
        writer.write_byte_record(&record)?;
    }
    writer.flush()?;
    Ok(stats)
}

/// The lon/lat pair first, longitude/latitude second; both columns of a pair must exist.
fn lon_lat_columns(header: &csv::ByteRecord) -> Option<(usize, usize)> {
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
    };
    find("lon")
        .zip(find("lat"))
        .or_else(|| find("longitude").zip(find("latitude")))
}

fn coordinate(field: Option<&[u8]>, min: f64, max: f64) -> Option<f64> {
    let text = std::str::from_utf8(field?).ok()?.trim();
    let v: f64 = text.parse().ok()?;
    (v.is_finite() && (min..=max).contains(&v)).then_some(v)
}
