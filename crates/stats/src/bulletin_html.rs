//! The bulletin page: A4, printable, self-contained (inline CSS and SVG, no scripts, no fonts
//! fetched), so the same file prints from any browser and converts to PDF in headless chromium.

use crate::bulletin::Bulletin;
use crate::compute::{RegionStats, StatsReport};
use crate::labels::{self as lb, Lang, L};
use crate::time::local_time;
use burnwatch_core::alert::{Outcome, ALL_OUTCOMES};
use chrono::Datelike;
use std::fmt::Write as _;

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
       "PingFang SC", "SimSun", sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto;
       max-width: 186mm; line-height: 1.5; }
h1 { text-align: center; font-size: 18pt; margin: 4mm 0 1mm; letter-spacing: 0.05em; }
.sub { text-align: center; color: #444; margin: 0 0 4mm; }
h2 { font-size: 12.5pt; margin: 5mm 0 2mm; border-left: 4px solid #a50f15; padding-left: 2mm; }
p { margin: 1mm 0; text-indent: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border: 1px solid #555; padding: 1px 4px; text-align: center; }
th { background: #eef1f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
tfoot td { font-weight: bold; }
.map { text-align: center; break-inside: avoid; page-break-inside: avoid; }
.map svg { width: 100%; height: auto; max-height: 150mm; }
.chart { margin-top: 3mm; break-inside: avoid; page-break-inside: avoid; }
.chart svg { width: 100%; height: auto; }
.notes li { margin: 0.5mm 0; }
.exclusion { font-weight: bold; }
.empty { text-align: center; color: #444; }
footer { margin-top: 6mm; color: #555; font-size: 9pt; text-align: right; }
"#;

fn date_text(d: chrono::NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::En => d.format("%-d %B %Y").to_string(),
    }
}

fn confirmed(r: &RegionStats) -> u64 {
    r.alerts
        .outcomes
        .get(Outcome::ConfirmedStrawBurn.as_str())
        .copied()
        .unwrap_or(0)
}

fn summary(b: &Bulletin, lang: Lang) -> String {
    let t = &b.day.total;
    let place = b
        .prefecture_name
        .clone()
        .unwrap_or_else(|| lb::PREFECTURE.get(lang).to_owned());
    let counties = b
        .day
        .rows
        .iter()
        .filter(|r| r.detections.points > 0)
        .count();
    let townships = b.township_counts.values().filter(|n| **n > 0).count();
    let outcomes: Vec<String> = ALL_OUTCOMES
        .iter()
        .filter_map(|o| {
            let n = t.alerts.outcomes.get(o.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{} {n}", crate::labels::outcome(*o, lang)))
        })
        .collect();
    let mut html = String::new();
    match lang {
        Lang::Zh => {
            let _ = write!(
                html,
                "<p>{}，{}共监测到卫星火点 <b>{}</b> 个，涉及 {} 个县(市、区)、{} 个乡镇(街道)；生成预警 {} 条，已核查 {} 条{}，未核查 {} 条。</p>",
                date_text(b.date, lang),
                escape(&place),
                t.detections.points,
                counties,
                townships,
                t.alerts.total,
                t.alerts.verified,
                if outcomes.is_empty() { String::new() } else { format!("（{}）", outcomes.join("，")) },
                t.alerts.never_verified,
            );
        }
        Lang::En => {
            let _ = write!(
                html,
                "<p>On {}, {} had <b>{}</b> satellite fire points in {} counties and {} townships; {} alerts were raised, {} verified{}, {} not verified.</p>",
                date_text(b.date, lang),
                escape(&place),
                t.detections.points,
                counties,
                townships,
                t.alerts.total,
                t.alerts.verified,
                if outcomes.is_empty() { String::new() } else { format!(" ({})", outcomes.join(", ")) },
                t.alerts.never_verified,
            );
        }
    }
    if let Some(season) = &b.season {
        let name = season.period.season.clone().unwrap_or_default();
        let st = &season.total;
        let first = season.first_fire.as_ref().map(|f| {
            format!(
                "{} {}{}",
                local_time(f.at),
                f.county_name.as_deref().unwrap_or(""),
                f.township_name
                    .as_deref()
                    .or(f.township_id.as_deref())
                    .unwrap_or("")
            )
        });
        let _ = match lang {
            Lang::Zh => write!(
                html,
                "<p>{name}期间（{}起）累计卫星火点 {} 个、预警 {} 条，确认秸秆焚烧 {} 起，未核查 {} 条{}。</p>",
                season.period.from,
                st.detections.points,
                st.alerts.total,
                confirmed(st),
                st.alerts.never_verified,
                first
                    .map(|f| format!("；本季第一把火：{}", escape(&f)))
                    .unwrap_or_default()
            ),
            Lang::En => write!(
                html,
                "<p>Since the start of {name} ({}): {} fire points, {} alerts, {} confirmed straw burns, {} not verified{}.</p>",
                season.period.from,
                st.detections.points,
                st.alerts.total,
                confirmed(st),
                st.alerts.never_verified,
                first
                    .map(|f| format!("; the season's first fire: {}", escape(&f)))
                    .unwrap_or_default()
            ),
        };
    }
    html
}

/// The season so far, day by day.
fn season_chart(b: &Bulletin, lang: Lang) -> String {
    let Some(season) = &b.season else {
        return String::new();
    };
    let days: Vec<(chrono::NaiveDate, u64)> =
        season.daily.iter().map(|d| (d.date, d.points)).collect();
    let title = match lang {
        Lang::Zh => format!(
            "{}逐日卫星火点",
            season.period.season.clone().unwrap_or_default()
        ),
        Lang::En => format!(
            "{} fire points by day",
            season.period.season.clone().unwrap_or_default()
        ),
    };
    format!(
        "<div class=\"chart\">{}</div>",
        crate::map::bar_chart(&days, &title)
    )
}

fn county_table(day: &StatsReport, lang: Lang) -> String {
    let s = |l: L| l.get(lang);
    let mut html = format!(
        "<table class=\"counties\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        s(lb::COUNTY),
        s(lb::POINTS),
        s(lb::ALERTS),
        s(lb::VERIFIED),
        crate::labels::outcome(Outcome::ConfirmedStrawBurn, lang),
        s(lb::NEVER_VERIFIED)
    );
    let row = |r: &RegionStats, name: &str| {
        format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(name),
            r.detections.points,
            r.alerts.total,
            r.alerts.verified,
            confirmed(r),
            r.alerts.never_verified
        )
    };
    for r in &day.rows {
        let name = r
            .name
            .clone()
            .or(r.region_id.clone())
            .unwrap_or_else(|| s(lb::NO_COUNTY).to_owned());
        html.push_str(&row(r, &name));
    }
    html.push_str("</tbody><tfoot>");
    html.push_str(&row(&day.total, s(lb::TOTAL)));
    html.push_str("</tfoot></table>");
    html
}

fn detail_table(b: &Bulletin, lang: Lang) -> String {
    let s = |l: L| l.get(lang);
    if b.points.is_empty() {
        return format!(
            "<p class=\"empty\">{}</p>",
            L("当日无卫星火点。", "No satellite fire points on this day.").get(lang)
        );
    }
    let mut html = format!(
        "<table class=\"detail\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        s(lb::SEQ),
        s(lb::CITY),
        s(lb::COUNTY),
        s(lb::TOWNSHIP),
        s(lb::LON),
        s(lb::LAT),
        s(lb::PASS_TIME)
    );
    for (i, p) in b.points.iter().enumerate() {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.4}</td><td class=\"num\">{:.4}</td><td>{}</td></tr>",
            i + 1,
            escape(p.city.as_deref().unwrap_or("")),
            escape(p.county.as_deref().unwrap_or("")),
            escape(p.township.as_deref().unwrap_or(&p.township_id)),
            p.lon,
            p.lat,
            local_time(p.pass_time)
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn notes(b: &Bulletin, lang: Lang) -> String {
    let t = &b.day.total;
    let mut items = vec![format!(
        "<li class=\"exclusion\">{}{}</li>",
        lb::CLOUD_NOTE.get(lang),
        L("。", ".").get(lang)
    )];
    let reasons: Vec<String> = t
        .detections
        .suppressed_by
        .iter()
        .map(|(k, n)| format!("{} {n}", crate::labels::reason(k, lang)))
        .collect();
    items.push(match lang {
        Lang::Zh => format!(
            "<li>已剔除非秸秆热源探测 {} 个{}；非耕地热点 {} 个；辖区外探测 {} 个：均不计入火点。</li>",
            t.detections.suppressed,
            if reasons.is_empty() { String::new() } else { format!("（{}）", reasons.join("，")) },
            t.detections.not_straw,
            b.day.outside_detections
        ),
        Lang::En => format!(
            "<li>Not counted as fire points: {} detections held back as non-straw heat{}; {} off cropland; {} outside the prefecture.</li>",
            t.detections.suppressed,
            if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) },
            t.detections.not_straw,
            b.day.outside_detections
        ),
    });
    items.push(format!(
        "<li>{}</li>",
        match lang {
            Lang::Zh => format!(
                "时间均为北京时间；火点坐标为卫星像元中心(WGS84)，实地核查以搜索范围为准。核查状态截至 {}。",
                local_time(b.day.as_of)
            ),
            Lang::En => format!(
                "Times are Beijing time; coordinates are pixel centres (WGS84) — patrols search the area around them. Verification status as of {}.",
                local_time(b.day.as_of)
            ),
        }
    ));
    for d in lb::definitions(lang).into_iter().skip(1) {
        items.push(format!("<li>{}</li>", escape(d)));
    }
    format!("<ul class=\"notes\">{}</ul>", items.concat())
}

pub(crate) fn render(b: &Bulletin, lang: Lang) -> String {
    let place = b.prefecture_name.clone().unwrap_or_default();
    let title = match lang {
        Lang::Zh => format!("{place}秸秆焚烧卫星火点日报"),
        Lang::En => format!("{place} straw-burning fire points: daily bulletin")
            .trim()
            .to_owned(),
    };
    let points: Vec<(f64, f64)> = b.points.iter().map(|p| (p.lon, p.lat)).collect();
    let map = crate::map::svg(&b.map_areas(), &b.county_outlines, &points, lang);
    let heads = match lang {
        Lang::Zh => ["一、总体情况", "二、火点分布", "三、火点明细", "四、说明"],
        Lang::En => ["1. Summary", "2. Map", "3. Fire points", "4. Notes"],
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang_attr}">
<head>
<meta charset="utf-8">
<title>{title_e} {date}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{title_e}</h1>
<p class="sub">{date}（{cloud}）</p>
<h2>{h0}</h2>
{summary}
{counties}
{chart}
<h2>{h1}</h2>
<div class="map">{map}</div>
<h2>{h2}</h2>
{detail}
<h2>{h3}</h2>
{notes}
<footer>{generated} {now} · burnwatch</footer>
</body>
</html>
"#,
        lang_attr = if lang == Lang::Zh { "zh-CN" } else { "en" },
        title_e = escape(&title),
        date = date_text(b.date, lang),
        cloud = lb::CLOUD_NOTE.get(lang),
        h0 = heads[0],
        h1 = heads[1],
        h2 = heads[2],
        h3 = heads[3],
        summary = summary(b, lang),
        counties = county_table(&b.day, lang),
        chart = season_chart(b, lang),
        detail = detail_table(b, lang),
        notes = notes(b, lang),
        generated = L("数据截至", "data as of").get(lang),
        now = local_time(b.day.as_of),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
