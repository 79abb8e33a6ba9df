//! Seeded random mutations of good files: whatever comes out, nothing panics and every result
//! is self-consistent.

use burnwatch_ingest::{parse_bytes, ParsedFile};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

fn good(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/good")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mutate(rng: &mut ChaCha8Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..rng.random_range(1..=8) {
        let at = rng.random_range(0..=b.len());
        match rng.random_range(0..7) {
            0 if at < b.len() => b[at] = rng.random(),
            1 if at < b.len() => {
                b.remove(at);
            }
            2 => b.insert(at, rng.random()),
            // Structural bytes are the interesting ones for a CSV parser.
            3 => b.insert(
                at,
                *b",\n\r\"#.-\xEF\xBB\xBF\0"
                    .get(rng.random_range(0..12))
                    .unwrap_or(&b','),
            ),
            4 => b.truncate(at),
            5 if at < b.len() => {
                let end = rng.random_range(at..b.len().min(at + 40) + 1);
                let chunk = b[at..end].to_vec();
                b.splice(at..at, chunk);
            }
            _ => {
                let words: [&[u8]; 6] = [
                    b"NaN",
                    b"inf",
                    b"-1e309",
                    b"99999999999999999999",
                    b"\xFF\xFE",
                    b"9",
                ];
                let w = words[rng.random_range(0..words.len())];
                b.splice(at..at, w.iter().copied());
            }
        }
    }
    b
}

fn check(p: &ParsedFile) {
    assert_eq!(p.rows_read, p.detections.len() + p.rejected.len());
    for d in &p.detections {
        assert!(d.has_valid_position(), "{d:?}");
    }
    for r in &p.rejected {
        assert!(r.line >= 1 && r.message.len() < 400, "{r}");
    }
}

#[test]
fn two_thousand_mutations_of_a_firms_file_never_panic() {
    let base = good("firms_modis_archive_type_instrument_reordered.csv");
    let mut rng = ChaCha8Rng::seed_from_u64(0x6275_726e);
    let (mut ok, mut file_errors) = (0, 0);
    for _ in 0..2000 {
        let bytes = mutate(&mut rng, &base);
        match parse_bytes("firms_modis.csv", &bytes) {
            Ok(p) => {
                check(&p);
                ok += 1;
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                file_errors += 1;
            }
        }
    }
    // Both paths must have been exercised, or the mutations are too gentle / too harsh.
    assert!(
        ok > 200 && file_errors > 50,
        "ok {ok}, file errors {file_errors}"
    );
}

#[test]
fn mutations_of_the_other_text_formats_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (name, as_name) in [
        ("firms_viirs_noaa20_spelled_out_bom_crlf.csv", "viirs.csv"),
        (
            "H09_20250608_0500_L2WLF010_FLDK.06001_06001.csv",
            "H09_20250608_0500_L2WLF010_FLDK.06001_06001.csv",
        ),
        (
            "AFIMG_npp_d20250608_t0512001_e0513243_b69000_c20250608053012345678_cspp_dev.txt",
            "AFIMG_npp_d20250608_t0512001_e0513243_b69000_c20250608053012345678_cspp_dev.txt",
        ),
    ] {
        let base = good(name);
        for _ in 0..500 {
            if let Ok(p) = parse_bytes(as_name, &mutate(&mut rng, &base)) {
                check(&p);
            }
        }
    }
}
