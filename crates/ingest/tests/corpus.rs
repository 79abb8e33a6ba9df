//! The committed corpus (tests/corpus at the workspace root): every file's exact outcome.
//! See tests/corpus/README.md for what each file is.

use burnwatch_ingest::{parse_bytes, parse_file, IngestError, ParsedFile, MAX_LINE_BYTES};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus")
        .join(sub)
}

enum Expect {
    /// File-level error: `IngestError::kind()` and a fragment of its Display text.
    File(&'static str, &'static str),
    /// Parsed: detections kept, and each rejected row as (line, message fragment).
    Rows(usize, &'static [(usize, &'static str)]),
}
use Expect::{File, Rows};

const MALFORMED: &[(&str, Expect)] = &[
    (
        "truncated_mid_row_firms_modis.csv",
        Rows(
            3,
            &[(5, "expected 13 fields as in the header, found 6 (truncated row?)")],
        ),
    ),
    (
        "truncated_mid_header_firms_modis.csv",
        File("wrong_header", "neither brightness (MODIS) nor bright_ti4 (VIIRS)"),
    ),
    (
        "wrong_header_firms_no_brightness_column.csv",
        File("wrong_header", "wrong header: FIRMS header has latitude/longitude but neither"),
    ),
    (
        "garbage_binary_bytes.csv",
        File("binary", "binary data, not a text product"),
    ),
    ("empty_0_bytes.csv", File("empty", "empty file")),
    (
        "nan_values_firms_viirs.csv",
        Rows(
            1,
            &[
                (2, "latitude \"NaN\" is not a finite number"),
                (4, "longitude \"nan\" is not a finite number"),
                (5, "frp \"NaN\" is not a finite number"),
                (6, "bright_ti4 \"inf\" is not a finite number"),
            ],
        ),
    ),
    (
        "out_of_range_lat_lon_firms_modis.csv",
        Rows(
            2,
            &[
                (2, "latitude \"91.00000\" is out of range -90..90"),
                (4, "longitude \"-181.5\" is out of range -180..180"),
                (5, "latitude \"-90.00001\" is out of range -90..90"),
            ],
        ),
    ),
    (
        "wrong_encoding_gbk_chinese_header.csv",
        File("not_utf8", "not UTF-8 text: invalid byte 0xB6 at offset 2"),
    ),
    (
        "wrong_encoding_utf16le_bom_firms_modis.csv",
        File("not_utf8", "not UTF-8 text: UTF-16"),
    ),
    (
        "html_error_page_from_firms_server.csv",
        File("unknown_format", "an HTML page, not a product file"),
    ),
    (
        "firms_api_plain_text_invalid_map_key.csv",
        File("unknown_format", "first line \"Invalid MAP_KEY.\" is not the header"),
    ),
    ("header_only_firms_viirs.csv", Rows(0, &[])),
    (
        "bad_date_time_satellite_firms_modis.csv",
        Rows(
            1,
            &[
                (2, "acq_date \"2025-02-30\" is not a YYYY-MM-DD date"),
                (3, "acq_time \"2460\" is not an HHMM time"),
                (4, "satellite \"N20\" is not a MODIS platform"),
                (5, "confidence \"178\" is not 0-100"),
            ],
        ),
    ),
    (
        "wrong_field_count_H09_20250608_0500_L2WLF010_FLDK.06001_06001.csv",
        Rows(
            1,
            &[
                (4, "expected 14 fields, found 13 (truncated row?)"),
                (5, "expected 14 fields, found 15"),
                (6, "Reliability 4 is not 1/3/5"),
            ],
        ),
    ),
    (
        "cspp_afimg_without_time_in_header_or_name.txt",
        File("malformed", "CSPP AFIMG file has no acquisition time"),
    ),
    (
        "every_row_bad_viirs_rows_under_modis_header.csv",
        File(
            "malformed",
            "none of the 2 data rows could be parsed (first: line 2: satellite \"N\" is not a MODIS platform)",
        ),
    ),
];

const GOOD: &[(&str, usize)] = &[
    ("firms_modis_nrt.csv", 3),
    ("firms_modis_archive_type_instrument_reordered.csv", 3),
    ("firms_viirs_snpp_nrt.csv", 3),
    ("firms_viirs_noaa20_spelled_out_bom_crlf.csv", 3),
    ("H09_20250608_0500_L2WLF010_FLDK.06001_06001.csv", 4),
    (
        "AFIMG_npp_d20250608_t0512001_e0513243_b69000_c20250608053012345678_cspp_dev.txt",
        3,
    ),
    (
        "AFIMG_j02_d20250608_t1750123_e1751365_b12000_c20250608180000000000_cspp_dev.txt",
        1,
    ),
];

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Both entry points must agree on every file.
fn parse_both(path: &Path) -> Result<ParsedFile, IngestError> {
    let from_file = parse_file(path);
    let name = path.file_name().unwrap().to_string_lossy();
    let from_bytes = parse_bytes(&name, &std::fs::read(path).unwrap());
    match (&from_file, &from_bytes) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
        _ => panic!("{name}: parse_file {from_file:?} but parse_bytes {from_bytes:?}"),
    }
    from_file
}

#[test]
fn every_malformed_file_has_its_exact_outcome() {
    let dir = corpus("malformed");
    let mut listed: Vec<String> = MALFORMED.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        files_in(&dir),
        listed,
        "corpus files and expectations differ"
    );

    for (name, expect) in MALFORMED {
        let got = parse_both(&dir.join(name));
        match (expect, got) {
            (File(kind, text), Err(e)) => {
                assert_eq!(e.kind(), *kind, "{name}: {e}");
                assert!(e.to_string().contains(text), "{name}: {e:?} lacks {text:?}");
            }
            (Rows(n, rejected), Ok(p)) => {
                assert_eq!(p.detections.len(), *n, "{name}: {:?}", p.rejected);
                assert_eq!(p.rows_read, n + rejected.len(), "{name}");
                let lines: Vec<usize> = p.rejected.iter().map(|r| r.line).collect();
                let want: Vec<usize> = rejected.iter().map(|r| r.0).collect();
                assert_eq!(lines, want, "{name}: {:?}", p.rejected);
                for (r, (_, text)) in p.rejected.iter().zip(rejected.iter()) {
                    assert!(r.message.contains(text), "{name}: {r} lacks {text:?}");
                }
            }
            (File(..), Ok(p)) => panic!("{name}: expected a file error, parsed {p:?}"),
            (Rows(..), Err(e)) => panic!("{name}: expected rows, got file error {e}"),
        }
    }
}

#[test]
fn every_good_file_parses_completely() {
    let dir = corpus("good");
    let mut listed: Vec<String> = GOOD.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        files_in(&dir),
        listed,
        "corpus files and expectations differ"
    );
    for (name, n) in GOOD {
        let p = parse_both(&dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(p.rejected.is_empty(), "{name}: {:?}", p.rejected);
        assert_eq!((p.rows_read, p.detections.len()), (*n, *n), "{name}");
        assert!(p.detections.iter().all(|d| d.has_valid_position()));
    }
}

/// A 10 MB line must be refused after reading about MAX_LINE_BYTES, quickly, from memory
/// and from disk, whether it is line 1 or a later line.
#[test]
fn a_ten_megabyte_line_fails_fast_and_clearly() {
    const TEN_MB: usize = 10 * 1024 * 1024;
    let header = "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight\n";
    let mut after_header = header.as_bytes().to_vec();
    after_header.extend(b"35.1,".iter().cycle().take(TEN_MB));
    let no_newline: Vec<u8> = b"35.1,".iter().cycle().take(TEN_MB).copied().collect();

    let dir = tempfile::tempdir().unwrap();
    for (bytes, line) in [(&after_header, 2), (&no_newline, 1)] {
        let path = dir.path().join("firms_huge_line.csv");
        std::fs::write(&path, bytes).unwrap();
        for result in [
            time_limited(|| parse_bytes("firms_huge_line.csv", bytes)),
            time_limited(|| parse_file(&path)),
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(err, IngestError::LineTooLong { line: l, limit } if l == line && limit == MAX_LINE_BYTES),
                "{err:?}"
            );
            assert!(
                err.to_string()
                    .contains(&format!("line {line} is longer than 1048576 bytes")),
                "{err}"
            );
        }
    }
}

fn time_limited<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    // Generous for a debug build on a loaded 2-core machine; reading all 10 MB line by line
    // with per-byte work, or hanging, would blow it.
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    out
}
