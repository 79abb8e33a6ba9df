//! The daily bulletin: its content checked in the HTML (detail table in the provincial shape,
//! summary, exclusions, map), then rendered in headless chromium — a PDF and a screenshot kept
//! under the target folder — or skipped with a clear message when chromium is absent.

mod stats_fixture;

use burnwatch_stats::{bulletin, chromium, render_bulletin_html, BulletinRequest, Lang};
use burnwatch_store::SqliteStore;
use chrono::NaiveDate;
use stats_fixture::*;

fn page(f: &Fixture, date: &str, lang: &str) -> (String, std::path::PathBuf) {
    let out = path(f, &format!("bulletin-{date}-{lang}.html"));
    let stdout = ok(burnwatch(
        f,
        &[
            "bulletin",
            "--date",
            date,
            "--out",
            out.to_str().unwrap(),
            "--no-pdf",
            "--lang",
            lang,
            "--as-of",
            &f.as_of().to_rfc3339(),
        ],
    ));
    assert!(stdout.contains(date), "{stdout}");
    (std::fs::read_to_string(&out).unwrap(), out)
}

/// The cells of the detail table's rows, in order.
fn detail_rows(html: &str) -> Vec<Vec<String>> {
    let table = &html[html
        .find("<table class=\"detail\">")
        .expect("a detail table")..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<t")
                .skip(1)
                .filter_map(|cell| {
                    let start = cell.find('>')? + 1;
                    let end = cell.find("</t")?;
                    Some(cell[start..end].to_owned())
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_page_has_the_provincial_table_the_summary_and_the_exclusions() {
    let f = build();
    let (html, _) = page(&f, "2025-06-02", "zh");
    let rows = detail_rows(&html);
    assert_eq!(
        rows[0],
        [
            "序号",
            "市",
            "县(市、区)",
            "乡镇(街道)",
            "中心经度",
            "中心纬度",
            "过境时间"
        ]
    );
    // E1's three pixels, 05:30 UTC = 13:30 in Beijing.
    assert_eq!(rows.len(), 4);
    for (i, r) in rows[1..].iter().enumerate() {
        assert_eq!(r[0], (i + 1).to_string());
        assert_eq!(&r[1..4], ["测试市", "东县", "甲镇"]);
        assert!(r[4].starts_with("116.01"), "{r:?}");
        assert_eq!(r[5], "35.0500");
        assert_eq!(r[6], "2025-06-02 13:30");
    }
    for expected in [
        "测试市秸秆焚烧卫星火点日报",
        "2025年6月2日",
        "共监测到卫星火点 <b>3</b> 个",
        "不含云覆盖下火点",
        // The season so far: E0 (1 June) and E1.
        "三夏期间（2025-06-01起）累计卫星火点 4 个",
        "本季第一把火：2025-06-01 00:00 西县丙镇",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    // The map: three townships (one shaded for its 3 points), two county outlines, 3 points.
    let map = &html[html.find("<div class=\"map\">").unwrap()..];
    let svg = &map[..map.find("</svg>").unwrap()];
    let townships =
        &svg[svg.find("class=\"townships\"").unwrap()..svg.find("class=\"counties\"").unwrap()];
    assert_eq!(townships.matches("<path").count(), 3);
    assert_eq!(
        townships.matches("fill=\"#fcae91\"").count(),
        1,
        "甲镇 with 3 points"
    );
    assert_eq!(townships.matches("fill=\"#f4f4f2\"").count(), 2);
    let counties =
        &svg[svg.find("class=\"counties\"").unwrap()..svg.find("class=\"points\"").unwrap()];
    assert_eq!(counties.matches("<path").count(), 2);
    assert_eq!(
        svg.matches("<circle").count(),
        3 + 1,
        "three points and the legend's marker"
    );
    assert!(svg.contains(">甲镇 3</text>"));
    // The season so far as bars, one a day: 1 June (E0) and 2 June (E1's three pixels).
    let chart = &html[html.find("<div class=\"chart\">").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert!(chart.contains("三夏逐日卫星火点"));
    assert_eq!(chart.matches("<rect").count(), 2);
    assert!(chart.contains("<title>2025-06-02 3</title>"));
}

#[test]
fn a_day_without_points_says_so_and_states_what_was_left_out() {
    let f = build();
    // 12 June: only the three detections the filters held back.
    let (html, _) = page(&f, "2025-06-12", "zh");
    assert!(html.contains("当日无卫星火点"));
    assert!(
        html.contains("已剔除非秸秆热源探测 3 个（工业热源名录 2，静默规则 1）"),
        "{html}"
    );
    let (en, _) = page(&f, "2025-06-12", "en");
    assert!(en.contains("points under cloud not included"));
    assert!(en.contains("No satellite fire points on this day."));
}

#[test]
fn the_bulletin_counts_what_the_statistics_count() {
    let f = build();
    let store = SqliteStore::open(&f.db).unwrap();
    for day in ["2025-06-02", "2025-06-15", "2025-06-21", "2025-06-01"] {
        let date: NaiveDate = day.parse().unwrap();
        let b = bulletin(
            store.connection(),
            &config(),
            &schedule(),
            &BulletinRequest {
                date,
                as_of: Some(f.as_of()),
            },
        )
        .unwrap();
        assert_eq!(
            b.points.len() as u64,
            b.day.total.detections.points,
            "{day}"
        );
        assert_eq!(
            b.township_counts.values().sum::<u64>(),
            b.day.total.detections.points
        );
        let html = render_bulletin_html(&b, Lang::Zh);
        assert_eq!(detail_rows(&html).len().saturating_sub(1), b.points.len());
    }
}

#[test]
fn chromium_prints_the_pdf_and_a_screenshot_is_kept() {
    let f = build();
    let (_, html_path) = page(&f, "2025-06-02", "zh");
    let Some(browser) = chromium::find() else {
        eprintln!(
            "skipping the chromium rendering: no chromium on PATH (Debian: apt-get install chromium fonts-noto-cjk)"
        );
        // Without chromium the command still succeeds and says why there is no PDF.
        let out = burnwatch(
            &f,
            &[
                "bulletin",
                "--date",
                "2025-06-02",
                "--out",
                html_path.to_str().unwrap(),
            ],
        );
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("PDF skipped"));
        return;
    };
    let pdf = path(&f, "bulletin.pdf");
    let stdout = ok(burnwatch(
        &f,
        &[
            "bulletin",
            "--date",
            "2025-06-02",
            "--out",
            html_path.to_str().unwrap(),
            "--pdf",
            pdf.to_str().unwrap(),
        ],
    ));
    assert!(stdout.contains("PDF"), "{stdout}");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(
        bytes.starts_with(b"%PDF") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );

    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bulletin-2025-06-02.png");
    chromium::screenshot(&browser, &html_path, &shot, 900, 1400).unwrap();
    let img = image::open(&shot).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (900, 1400));
    // The map drew: the fire points' red and the shaded township are on the page.
    let red = img
        .pixels()
        .filter(|p| p[0] > 230 && p[1] < 60 && p[2] < 60)
        .count();
    let shade = img
        .pixels()
        .filter(|p| {
            (p[0] as i32 - 0xfc).abs() < 6
                && (p[1] as i32 - 0xae).abs() < 6
                && (p[2] as i32 - 0x91).abs() < 6
        })
        .count();
    assert!(red > 20 && shade > 200, "red {red}, shaded {shade}");
    // Dark pixels are text: the page is not blank.
    let dark = img
        .pixels()
        .filter(|p| p[0] < 80 && p[1] < 80 && p[2] < 80)
        .count();
    assert!(dark > 2000, "dark {dark}");
    eprintln!("bulletin screenshot kept at {}", shot.display());
}

#[test]
fn without_chromium_the_pdf_is_skipped_with_a_message() {
    let f = build();
    let out = path(&f, "b.html");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(&f.config_path)
        .args([
            "bulletin",
            "--date",
            "2025-06-02",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("BURNWATCH_CHROMIUM", "/nonexistent/chromium")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("PDF skipped: no headless chromium found"));
    assert!(out.exists() && !out.with_extension("pdf").exists());
}
