//! A [`StatsReport`] as a terminal table, CSV (UTF-8 BOM), XLSX or JSON. Labels follow the
//! language; JSON keeps its English keys (it is for programs, and the API's body).

use crate::compute::{RegionStats, Response, StatsReport};
use crate::labels::{self as lb, Lang};
use crate::sheet::{self, Cell, CsvSheet, Formats};
use crate::time::local_time;
use crate::StatsError;
use burnwatch_core::alert::{Outcome, ALL_OUTCOMES};
use rust_xlsxwriter::{Chart, ChartType, Workbook};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    Table,
    Csv,
    Xlsx,
    Json,
}

impl StatsFormat {
    pub fn parse(s: &str) -> Option<StatsFormat> {
        match s {
            "table" => Some(StatsFormat::Table),
            "csv" => Some(StatsFormat::Csv),
            "xlsx" => Some(StatsFormat::Xlsx),
            "json" => Some(StatsFormat::Json),
            _ => None,
        }
    }

    /// Whether the bytes are text a terminal can show.
    pub fn is_text(self) -> bool {
        self != StatsFormat::Xlsx
    }
}

/// The report rendered in one format; the bytes of a file (or an HTTP body).
pub fn render_stats(
    report: &StatsReport,
    format: StatsFormat,
    lang: Lang,
) -> Result<Vec<u8>, StatsError> {
    match format {
        StatsFormat::Json => {
            let mut v = serde_json::to_vec_pretty(report)?;
            v.push(b'\n');
            Ok(v)
        }
        StatsFormat::Csv => {
            let (header, rows) = flat(report, lang);
            let mut sheet = CsvSheet::new(Vec::new(), &header)?;
            for r in &rows {
                sheet.row(r)?;
            }
            sheet.finish()
        }
        StatsFormat::Table => Ok(table(report, lang).into_bytes()),
        StatsFormat::Xlsx => xlsx(report, lang),
    }
}

fn region_label(r: &RegionStats, lang: Lang) -> String {
    match r.level.as_str() {
        "prefecture" => r
            .name
            .clone()
            .unwrap_or_else(|| lb::PREFECTURE.get(lang).to_owned()),
        _ => r
            .name
            .clone()
            .or_else(|| r.region_id.clone())
            .unwrap_or_else(|| lb::NO_COUNTY.get(lang).to_owned()),
    }
}

/// Percentage change, or none when there was nothing to compare with.
fn change(now: u64, before: u64) -> Option<f64> {
    (before > 0).then(|| (now as f64 - before as f64) / before as f64)
}

fn outcome_count(r: &RegionStats, o: Outcome) -> u64 {
    r.alerts.outcomes.get(o.as_str()).copied().unwrap_or(0)
}

/// Suppression kinds present anywhere in the report, so every row has the same columns.
fn reason_kinds(report: &StatsReport) -> Vec<String> {
    let mut kinds: Vec<String> = report
        .total
        .detections
        .suppressed_by
        .keys()
        .cloned()
        .collect();
    for r in &report.rows {
        for k in r.detections.suppressed_by.keys() {
            if !kinds.contains(k) {
                kinds.push(k.clone());
            }
        }
    }
    kinds.sort();
    kinds
}

/// Every figure as one row per region plus the total: the CSV and the XLSX main sheet.
fn flat(report: &StatsReport, lang: Lang) -> (Vec<String>, Vec<Vec<Cell>>) {
    let kinds = reason_kinds(report);
    let township = report.rows.first().is_some_and(|r| r.level == "township");
    let compare = report.previous_period.is_some();
    let s = |l: lb::L| l.get(lang).to_owned();
    let mut header = vec![
        match lang {
            Lang::Zh => "代码".to_owned(),
            Lang::En => "code".to_owned(),
        },
        s(lb::COUNTY),
    ];
    if township {
        header.push(s(lb::TOWNSHIP));
    }
    header.extend([
        s(lb::POINTS),
        s(lb::CROPLAND_HA),
        s(lb::PER_1000_HA),
        s(lb::SATELLITE),
        s(lb::CAMERA),
        s(lb::SUPPRESSED),
    ]);
    for k in &kinds {
        header.push(format!("{}:{}", s(lb::SUPPRESSED), lb::reason(k, lang)));
    }
    header.extend([
        s(lb::NOT_STRAW),
        s(lb::EVENTS),
        s(lb::ALERTS),
        s(lb::VERIFIED),
    ]);
    for o in ALL_OUTCOMES {
        header.push(lb::outcome(o, lang).to_owned());
    }
    header.extend([
        s(lb::FALSE_ALARM_SHARE),
        s(lb::BURNED_MU),
        s(lb::BURNED_REPORTS),
    ]);
    for step in [lb::RECEIVED, lb::ON_SCENE, lb::VERIFIED_STEP] {
        let join = if lang == Lang::Zh { "" } else { " " };
        header.push(format!("{}{join}{}", s(step), s(lb::MEDIAN_MIN)));
        header.push(format!("{}{join}{}", s(step), s(lb::P90_MIN)));
        header.push(format!("{}{join}{}", s(lb::MISSED), s(step)));
    }
    header.extend([s(lb::NEVER_VERIFIED), s(lb::OVERDUE), s(lb::CANCELLED)]);
    if compare {
        let p = s(lb::PREVIOUS);
        let c = s(lb::CHANGE);
        let sp = if lang == Lang::Zh { "" } else { " " };
        let confirmed = lb::outcome(Outcome::ConfirmedStrawBurn, lang);
        for what in [s(lb::POINTS), s(lb::ALERTS), confirmed.to_owned()] {
            header.push(format!("{p}{sp}{what}"));
            header.push(format!("{what}{sp}{c}"));
        }
    }

    let row = |r: &RegionStats, is_total: bool| -> Vec<Cell> {
        let mut cells = Vec::with_capacity(header.len());
        cells.push(Cell::opt_text(r.region_id.clone()));
        if is_total {
            cells.push(Cell::text(format!(
                "{} {}",
                region_label(r, lang),
                s(lb::TOTAL)
            )));
            if township {
                cells.push(Cell::Empty);
            }
        } else if township {
            cells.push(Cell::opt_text(
                r.county_name.clone().or(r.county_id.clone()),
            ));
            cells.push(Cell::text(region_label(r, lang)));
        } else {
            cells.push(Cell::text(region_label(r, lang)));
        }
        let d = &r.detections;
        cells.extend([
            Cell::count(d.points),
            Cell::opt_num(r.cropland_ha, 0),
            Cell::opt_num(r.points_per_1000_ha, 3),
            Cell::count(d.satellite),
            Cell::count(d.camera),
            Cell::count(d.suppressed),
        ]);
        for k in &kinds {
            cells.push(Cell::count(d.suppressed_by.get(k).copied().unwrap_or(0)));
        }
        let a = &r.alerts;
        cells.extend([
            Cell::count(d.not_straw),
            Cell::count(r.events),
            Cell::count(a.total),
            Cell::count(a.verified),
        ]);
        for o in ALL_OUTCOMES {
            cells.push(Cell::count(outcome_count(r, o)));
        }
        cells.push(a.false_alarm_share.map(Cell::Pct).unwrap_or(Cell::Empty));
        cells.push(Cell::Num(a.burned_area_mu, 1));
        cells.push(Cell::count(a.burned_area_reports));
        for resp in [&a.received, &a.on_scene, &a.verified_response] {
            cells.push(Cell::opt_num(resp.median_min, 1));
            cells.push(Cell::opt_num(resp.p90_min, 1));
            cells.push(Cell::count(resp.missed));
        }
        cells.extend([
            Cell::count(a.never_verified),
            Cell::count(a.overdue_unverified),
            Cell::count(a.cancelled),
        ]);
        if let Some(p) = r.previous.as_ref().filter(|_| compare) {
            let confirmed = outcome_count(r, Outcome::ConfirmedStrawBurn);
            for (now, before) in [
                (d.points, p.points),
                (a.total, p.alerts),
                (confirmed, p.confirmed_straw_burns),
            ] {
                cells.push(Cell::count(before));
                cells.push(change(now, before).map(Cell::Pct).unwrap_or(Cell::Empty));
            }
        }
        cells
    };
    let mut rows: Vec<Vec<Cell>> = report.rows.iter().map(|r| row(r, false)).collect();
    rows.push(row(&report.total, true));
    (header, rows)
}

fn minutes(r: &Response) -> String {
    match (r.median_min, r.p90_min) {
        (Some(m), Some(p)) => format!("{m:.0}/{p:.0}"),
        _ => "-".into(),
    }
}

fn headline_lines(report: &StatsReport, lang: Lang) -> Vec<(String, String)> {
    let t = &report.total;
    let s = |l: lb::L| l.get(lang).to_owned();
    let mut lines = vec![
        (s(lb::POINTS), t.detections.points.to_string()),
        (
            s(lb::PER_1000_HA),
            t.points_per_1000_ha
                .map(|v| format!("{v:.3}"))
                .unwrap_or_else(|| "-".into()),
        ),
        (
            format!("{} / {}", s(lb::SATELLITE), s(lb::CAMERA)),
            format!("{} / {}", t.detections.satellite, t.detections.camera),
        ),
    ];
    let reasons: Vec<String> = t
        .detections
        .suppressed_by
        .iter()
        .map(|(k, n)| format!("{} {n}", lb::reason(k, lang)))
        .collect();
    lines.push((
        s(lb::SUPPRESSED),
        if reasons.is_empty() {
            "0".into()
        } else {
            format!("{} ({})", t.detections.suppressed, reasons.join(", "))
        },
    ));
    lines.push((s(lb::NOT_STRAW), t.detections.not_straw.to_string()));
    lines.push((s(lb::OUTSIDE), report.outside_detections.to_string()));
    lines.push((
        format!("{} / {}", s(lb::EVENTS), s(lb::ALERTS)),
        format!("{} / {}", t.events, t.alerts.total),
    ));
    let outcomes: Vec<String> = ALL_OUTCOMES
        .iter()
        .filter_map(|o| {
            let n = outcome_count(t, *o);
            (n > 0).then(|| format!("{} {n}", lb::outcome(*o, lang)))
        })
        .collect();
    lines.push((
        s(lb::VERIFIED),
        if outcomes.is_empty() {
            t.alerts.verified.to_string()
        } else {
            format!("{} ({})", t.alerts.verified, outcomes.join(", "))
        },
    ));
    lines.push((
        s(lb::FALSE_ALARM_SHARE),
        t.alerts
            .false_alarm_share
            .map(|v| format!("{:.1}%", v * 100.0))
            .unwrap_or_else(|| "-".into()),
    ));
    lines.push((
        s(lb::BURNED_MU),
        match lang {
            Lang::Zh => format!(
                "{:.1}（{} 条核查报了面积）",
                t.alerts.burned_area_mu, t.alerts.burned_area_reports
            ),
            Lang::En => format!(
                "{:.1} ({} verifications stated an area)",
                t.alerts.burned_area_mu, t.alerts.burned_area_reports
            ),
        },
    ));
    let tg = &report.deadlines;
    // No verified_minutes: by the end of the local day the alert was raised.
    let target = |v: Option<f64>| match (lang, v) {
        (Lang::Zh, Some(m)) => format!("时限{m:.0}分"),
        (Lang::Zh, None) => "时限当天".to_owned(),
        (Lang::En, Some(m)) => format!("target {m:.0} min"),
        (Lang::En, None) => "target: same day".to_owned(),
    };
    for (step, resp, limit) in [
        (lb::RECEIVED, &t.alerts.received, Some(tg.received_minutes)),
        (lb::ON_SCENE, &t.alerts.on_scene, Some(tg.on_scene_minutes)),
        (
            lb::VERIFIED_STEP,
            &t.alerts.verified_response,
            tg.verified_minutes,
        ),
    ] {
        let v = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
        lines.push(match lang {
            Lang::Zh => (
                format!("{}({})", s(step), target(limit)),
                format!(
                    "中位 {} / P90 {} 分钟，超时 {}",
                    v(resp.median_min),
                    v(resp.p90_min),
                    resp.missed
                ),
            ),
            Lang::En => (
                format!("{} ({})", s(step), target(limit)),
                format!(
                    "median {} / p90 {} min, {} missed",
                    v(resp.median_min),
                    v(resp.p90_min),
                    resp.missed
                ),
            ),
        });
    }
    lines.push((
        s(lb::NEVER_VERIFIED),
        match lang {
            Lang::Zh => format!(
                "{}（其中逾期 {}）；另已撤销 {}",
                t.alerts.never_verified, t.alerts.overdue_unverified, t.alerts.cancelled
            ),
            Lang::En => format!(
                "{} ({} overdue); {} cancelled",
                t.alerts.never_verified, t.alerts.overdue_unverified, t.alerts.cancelled
            ),
        },
    ));
    for (label, fire) in [
        (lb::FIRST_FIRE, &report.first_fire),
        (lb::FIRST_CONFIRMED, &report.first_confirmed),
    ] {
        lines.push((
            s(label),
            match fire {
                Some(f) => format!(
                    "{} {} {} ({:.4}, {:.4}){}",
                    local_time(f.at),
                    f.county_name.as_deref().unwrap_or("-"),
                    f.township_name
                        .as_deref()
                        .or(f.township_id.as_deref())
                        .unwrap_or("-"),
                    f.lon,
                    f.lat,
                    f.alert_id.map(|a| format!(" #{a}")).unwrap_or_default()
                ),
                None => s(lb::NO_DATA),
            },
        ));
    }
    if let (Some(prev), Some(p)) = (&report.previous_period, &t.previous) {
        let pct = |now: u64, before: u64| {
            change(now, before)
                .map(|c| format!("{:+.1}%", c * 100.0))
                .unwrap_or_else(|| "-".into())
        };
        lines.push((
            format!("{} ({})", s(lb::PREVIOUS), prev.label()),
            format!(
                "{} {} ({}), {} {} ({}), {} {} ({})",
                s(lb::POINTS),
                p.points,
                pct(t.detections.points, p.points),
                s(lb::ALERTS),
                p.alerts,
                pct(t.alerts.total, p.alerts),
                lb::outcome(Outcome::ConfirmedStrawBurn, lang),
                p.confirmed_straw_burns,
                pct(
                    outcome_count(t, Outcome::ConfirmedStrawBurn),
                    p.confirmed_straw_burns
                )
            ),
        ));
    }
    lines
}

fn title(report: &StatsReport, lang: Lang) -> String {
    let place = match &report.region {
        Some(r) => r.name.clone(),
        None => report.prefecture_name.clone().unwrap_or_default(),
    };
    let sp = if lang == Lang::Zh { "" } else { " " };
    format!("{place}{sp}{}", lb::STATS_TITLE.get(lang))
        .trim()
        .to_owned()
}

fn table(report: &StatsReport, lang: Lang) -> String {
    let s = |l: lb::L| l.get(lang).to_owned();
    let mut out = format!(
        "{}\n{}: {}    {}: {}\n\n",
        title(report, lang),
        s(lb::PERIOD),
        report.period.label(),
        s(lb::AS_OF),
        local_time(report.as_of)
    );
    let lines = headline_lines(report, lang);
    let w = lines
        .iter()
        .map(|(k, _)| sheet::text_width(k))
        .max()
        .unwrap_or(0);
    for (k, v) in &lines {
        out.push_str(&format!(
            "  {k}{}  {v}\n",
            " ".repeat(w - sheet::text_width(k))
        ));
    }
    if !report.rows.is_empty() {
        let township = report.rows[0].level == "township";
        let mut header = vec![s(lb::COUNTY)];
        if township {
            header.push(s(lb::TOWNSHIP));
        }
        let resp = |l: lb::L| {
            format!(
                "{}{}",
                s(l),
                if lang == Lang::Zh {
                    "(中位/P90分)"
                } else {
                    " (med/p90 min)"
                }
            )
        };
        header.extend([
            s(lb::POINTS),
            s(lb::PER_1000_HA),
            s(lb::EVENTS),
            s(lb::ALERTS),
            s(lb::VERIFIED),
            lb::outcome(Outcome::ConfirmedStrawBurn, lang).to_owned(),
            s(lb::FALSE_ALARM_SHARE),
            s(lb::BURNED_MU),
            resp(lb::RECEIVED),
            resp(lb::ON_SCENE),
            resp(lb::VERIFIED_STEP),
            match lang {
                Lang::Zh => "超时(签收/到场/核查)".to_owned(),
                Lang::En => "missed (recv/scene/verif)".to_owned(),
            },
            s(lb::NEVER_VERIFIED),
        ]);
        let compare = report.previous_period.is_some();
        if compare {
            let sp = if lang == Lang::Zh { "" } else { " " };
            header.push(format!("{}{sp}{}", s(lb::PREVIOUS), s(lb::POINTS)));
            header.push(s(lb::CHANGE));
        }
        let row = |r: &RegionStats, total: bool| {
            let a = &r.alerts;
            let mut cells = Vec::new();
            if total {
                cells.push(Cell::text(s(lb::TOTAL)));
                if township {
                    cells.push(Cell::Empty);
                }
            } else {
                if township {
                    cells.push(Cell::opt_text(
                        r.county_name.clone().or(r.county_id.clone()),
                    ));
                }
                cells.push(Cell::text(region_label(r, lang)));
            }
            cells.extend([
                Cell::count(r.detections.points),
                Cell::opt_num(r.points_per_1000_ha, 3),
                Cell::count(r.events),
                Cell::count(a.total),
                Cell::count(a.verified),
                Cell::count(outcome_count(r, Outcome::ConfirmedStrawBurn)),
                a.false_alarm_share.map(Cell::Pct).unwrap_or(Cell::Empty),
                Cell::Num(a.burned_area_mu, 1),
                Cell::text(minutes(&a.received)),
                Cell::text(minutes(&a.on_scene)),
                Cell::text(minutes(&a.verified_response)),
                Cell::text(format!(
                    "{}/{}/{}",
                    a.received.missed, a.on_scene.missed, a.verified_response.missed
                )),
                Cell::count(a.never_verified),
            ]);
            if let Some(p) = r.previous.as_ref().filter(|_| compare) {
                cells.push(Cell::count(p.points));
                cells.push(
                    change(r.detections.points, p.points)
                        .map(Cell::Pct)
                        .unwrap_or(Cell::text("-")),
                );
            }
            cells
        };
        let mut rows: Vec<Vec<Cell>> = report.rows.iter().map(|r| row(r, false)).collect();
        rows.push(row(&report.total, true));
        out.push('\n');
        out.push_str(&sheet::text_table(
            &header,
            &rows,
            if township { 2 } else { 1 },
        ));
    }
    if !report.unverified.is_empty() {
        out.push_str(&format!(
            "\n{} ({}):\n",
            s(lb::NEVER_VERIFIED),
            report.unverified.len()
        ));
        let shown = 20;
        for u in report.unverified.iter().take(shown) {
            out.push_str(&format!(
                "  #{:<7} {}  {} {}  {}  {:.0} h{}\n",
                u.alert_id,
                local_time(u.first_seen),
                u.county_name.as_deref().unwrap_or("-"),
                u.township_name
                    .as_deref()
                    .or(u.township_id.as_deref())
                    .unwrap_or("-"),
                burnwatch_core::AlertState::parse(&u.state)
                    .map(|st| lb::state(st, lang))
                    .unwrap_or(u.state.as_str()),
                u.age_hours,
                if u.overdue {
                    format!("  {}", s(lb::OVERDUE))
                } else {
                    String::new()
                }
            ));
        }
        if report.unverified.len() > shown {
            out.push_str(&match lang {
                Lang::Zh => format!(
                    "  …另有 {} 条，完整清单见 --format xlsx/json\n",
                    report.unverified.len() - shown
                ),
                Lang::En => format!(
                    "  … {} more; the full list is in --format xlsx/json\n",
                    report.unverified.len() - shown
                ),
            });
        }
    }
    out.push_str(&format!(
        "\n{}:\n  - {}\n",
        s(lb::EXCLUSIONS),
        s(lb::CLOUD_NOTE)
    ));
    for d in lb::definitions(lang) {
        out.push_str(&format!("  - {d}\n"));
    }
    out
}

fn unverified_sheet(report: &StatsReport, lang: Lang) -> (Vec<String>, Vec<Vec<Cell>>) {
    let s = |l: lb::L| l.get(lang).to_owned();
    let header = vec![
        s(lb::ALERT_ID),
        s(lb::COUNTY),
        s(lb::TOWNSHIP),
        match lang {
            Lang::Zh => "乡镇代码".into(),
            Lang::En => "township code".into(),
        },
        s(lb::LON),
        s(lb::LAT),
        s(lb::FIRE_TIME),
        match lang {
            Lang::Zh => "预警时间".into(),
            Lang::En => "alerted at".into(),
        },
        s(lb::STATE),
        s(lb::AGE_H),
        s(lb::OVERDUE),
    ];
    let rows = report
        .unverified
        .iter()
        .map(|u| {
            vec![
                Cell::Int(u.alert_id),
                Cell::opt_text(u.county_name.clone()),
                Cell::opt_text(u.township_name.clone()),
                Cell::opt_text(u.township_id.clone()),
                Cell::Num(u.lon, 5),
                Cell::Num(u.lat, 5),
                Cell::text(local_time(u.first_seen)),
                Cell::text(local_time(u.alerted_at)),
                Cell::text(
                    burnwatch_core::AlertState::parse(&u.state)
                        .map(|st| lb::state(st, lang).to_owned())
                        .unwrap_or_else(|| u.state.clone()),
                ),
                Cell::Num(u.age_hours, 1),
                Cell::text(if u.overdue {
                    lb::L("是", "yes").get(lang)
                } else {
                    lb::L("否", "no").get(lang)
                }),
            ]
        })
        .collect();
    (header, rows)
}

fn xlsx(report: &StatsReport, lang: Lang) -> Result<Vec<u8>, StatsError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let s = |l: lb::L| l.get(lang).to_owned();
    {
        let ws = wb.add_worksheet();
        ws.set_name(lb::L("统计", "Statistics").get(lang))?;
        ws.write_string_with_format(0, 0, title(report, lang), &f.bold)?;
        ws.write_string(
            1,
            0,
            format!("{}: {}", s(lb::PERIOD), report.period.label()),
        )?;
        ws.write_string(
            2,
            0,
            format!("{}: {}", s(lb::AS_OF), local_time(report.as_of)),
        )?;
        let mut row = 4u32;
        for (k, v) in headline_lines(report, lang) {
            ws.write_string_with_format(row, 0, &k, &f.bold)?;
            ws.write_string(row, 1, &v)?;
            row += 1;
        }
        row += 1;
        let (header, rows) = flat(report, lang);
        sheet::write_header(ws, row, &header, &f)?;
        ws.set_freeze_panes(row + 1, 0)?;
        for (i, cells) in rows.iter().enumerate() {
            let r = row + 1 + i as u32;
            for (c, cell) in cells.iter().enumerate() {
                sheet::write_cell(ws, r, c as u16, cell, &f)?;
            }
        }
        sheet::set_widths(ws, &header, &rows)?;
        let mut note_row = row + rows.len() as u32 + 2;
        ws.write_string_with_format(note_row, 0, s(lb::EXCLUSIONS), &f.bold)?;
        for d in std::iter::once(s(lb::CLOUD_NOTE).as_str()).chain(lb::definitions(lang)) {
            note_row += 1;
            ws.write_string(note_row, 0, d)?;
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(lb::L("未核查预警", "Unverified alerts").get(lang))?;
        let (header, rows) = unverified_sheet(report, lang);
        sheet::write_header(ws, 0, &header, &f)?;
        ws.set_freeze_panes(1, 0)?;
        for (i, cells) in rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                sheet::write_cell(ws, 1 + i as u32, c as u16, cell, &f)?;
            }
        }
        sheet::set_widths(ws, &header, &rows[..rows.len().min(200)])?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(lb::L("逐日", "By day").get(lang))?;
        let header = [
            lb::L("日期", "date").get(lang).to_owned(),
            s(lb::POINTS),
            s(lb::ALERTS),
            lb::outcome(Outcome::ConfirmedStrawBurn, lang).to_owned(),
        ];
        sheet::write_header(ws, 0, &header, &f)?;
        for (i, d) in report.daily.iter().enumerate() {
            let r = 1 + i as u32;
            ws.write_string(r, 0, d.date.to_string())?;
            ws.write_number(r, 1, d.points as f64)?;
            ws.write_number(r, 2, d.alerts as f64)?;
            ws.write_number(r, 3, d.confirmed_straw_burns as f64)?;
        }
        ws.set_column_width(0, 12)?;
        ws.set_column_width(1, 12)?;
        ws.set_column_width(2, 10)?;
        ws.set_column_width(3, 14)?;
        if !report.daily.is_empty() {
            // A native chart, so it stays live if the bureau edits the numbers.
            let last = report.daily.len() as u32;
            let sheet_name = lb::L("逐日", "By day").get(lang);
            let mut chart = Chart::new(ChartType::Column);
            chart
                .add_series()
                .set_categories((sheet_name, 1, 0, last, 0))
                .set_values((sheet_name, 1, 1, last, 1))
                .set_name(s(lb::POINTS).as_str());
            chart
                .title()
                .set_name(&format!("{} — {}", title(report, lang), s(lb::POINTS)));
            chart.legend().set_hidden();
            ws.insert_chart(1, 5, &chart)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}
