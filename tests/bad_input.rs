//! Bad input through the real binary: one `ingest` over the whole corpus of malformed and good
//! files. Bad files are quarantined with their reason, bad rows are reported with file and line,
//! and everything good still lands.

mod common;

use common::*;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(&p, to.join(&name)).unwrap();
        names.push(name);
    }
    names.sort();
    names
}

#[test]
fn one_batch_of_good_and_bad_files_quarantines_the_bad_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    copy_dir(&corpus.join("malformed"), &inbox);
    copy_dir(&corpus.join("good"), &inbox);
    // A FIRMS header then a single 10 MB line: refused without reading it all.
    let mut huge = b"latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight\n".to_vec();
    huge.extend(std::iter::repeat_n(b'7', 10 * 1024 * 1024));
    std::fs::write(inbox.join("ten_megabyte_line.csv"), huge).unwrap();
    // A path that does not exist: reported, the rest goes on.
    let mut files: Vec<String> = std::fs::read_dir(&inbox)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    files.push(inbox.join("vanished.csv").display().to_string());

    let mut args = vec!["ingest", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = burnwatch(&config, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let reports = json_lines(&ok(out));
    assert_eq!(reports.len(), files.len());
    let report = |name: &str| {
        reports
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no report for {name}"))
    };

    let quarantine = dir.path().join("var/quarantine");
    for (name, reason) in [
        ("garbage_binary_bytes.csv", "binary"),
        ("empty_0_bytes.csv", "empty"),
        (
            "wrong_header_firms_no_brightness_column.csv",
            "wrong header",
        ),
        ("truncated_mid_header_firms_modis.csv", "wrong header"),
        ("wrong_encoding_gbk_chinese_header.csv", "not UTF-8"),
        ("wrong_encoding_utf16le_bom_firms_modis.csv", "UTF-16"),
        ("html_error_page_from_firms_server.csv", "HTML"),
        ("firms_api_plain_text_invalid_map_key.csv", "unknown format"),
        (
            "cspp_afimg_without_time_in_header_or_name.txt",
            "acquisition time",
        ),
        (
            "every_row_bad_viirs_rows_under_modis_header.csv",
            "none of the 2 data rows",
        ),
        ("ten_megabyte_line.csv", "longer than"),
    ] {
        let r = report(name);
        let err = r["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} not rejected: {r}"));
        assert!(err.contains(reason), "{name}: {err}");
        assert!(stderr.contains(name), "stderr names {name}");
        assert!(!inbox.join(name).exists(), "{name} left in the inbox");
        let moved = Path::new(r["quarantined_to"].as_str().unwrap());
        assert!(
            moved.starts_with(&quarantine) && moved.exists(),
            "{name} not in quarantine"
        );
        let why = std::fs::read_to_string(format!("{}.reason.txt", moved.display())).unwrap();
        assert!(why.contains(reason), "{name} reason file: {why}");
        assert_eq!(r["detections_new"], 0);
    }
    assert!(report("vanished.csv")["error"]
        .as_str()
        .unwrap()
        .contains("cannot read"));

    // Bad rows: reported with line numbers, the good rows of the same file land (some corpus
    // files repeat the pixels of others, so those count as duplicates of stored detections).
    let kept = |r: &serde_json::Value| {
        r["detections_new"].as_u64().unwrap() + r["detections_duplicate"].as_u64().unwrap()
    };
    let truncated = report("truncated_mid_row_firms_modis.csv");
    assert_eq!(kept(truncated), 3);
    assert_eq!(truncated["rows_rejected"], 1);
    assert_eq!(truncated["row_errors"][0]["line"], 5);
    assert!(
        stderr.contains("truncated_mid_row_firms_modis.csv:5:"),
        "{stderr}"
    );
    let nan = report("nan_values_firms_viirs.csv");
    assert_eq!(kept(nan), 1);
    assert_eq!(nan["rows_rejected"], 4);
    let range = report("out_of_range_lat_lon_firms_modis.csv");
    assert_eq!(kept(range), 2);
    assert_eq!(report("header_only_firms_viirs.csv")["rows_read"], 0);
    assert!(report("header_only_firms_viirs.csv").get("error").is_none());

    // Every good file went through.
    for name in copy_dir(&corpus.join("good"), &dir.path().join("samples")) {
        let r = report(&name);
        assert!(r.get("error").is_none(), "{name}: {r}");
        assert!(kept(r) > 0, "{name}: {r}");
    }

    let status: serde_json::Value =
        serde_json::from_str(&ok(burnwatch(&config, &["status"]))).unwrap();
    assert_eq!(status["files_rejected"], 11);
}
