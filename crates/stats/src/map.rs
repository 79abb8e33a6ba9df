//! The bulletin's map as plain SVG: townships shaded by their count of fire points, county
//! outlines over them, the points marked, a legend and a scale bar. Drawn from the regions'
//! GeoJSON in the store; no map tiles, so it prints the same anywhere.

use crate::labels::{Lang, L};
use std::fmt::Write as _;

/// Polygons → rings → (lon, lat).
pub(crate) type Polygons = Vec<Vec<Vec<(f64, f64)>>>;

/// Reads a GeoJSON Polygon or MultiPolygon geometry (the form the store keeps).
pub(crate) fn parse_geometry(text: &str) -> Result<Polygons, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not GeoJSON: {e}"))?;
    let ring = |r: &serde_json::Value| -> Result<Vec<(f64, f64)>, String> {
        r.as_array()
            .ok_or("a ring is not an array")?
            .iter()
            .map(|p| {
                let x = p.get(0).and_then(|x| x.as_f64());
                let y = p.get(1).and_then(|y| y.as_f64());
                match (x, y) {
                    (Some(x), Some(y)) => Ok((x, y)),
                    _ => Err("a position is not [lon, lat]".to_owned()),
                }
            })
            .collect()
    };
    let polygon = |p: &serde_json::Value| -> Result<Vec<Vec<(f64, f64)>>, String> {
        p.as_array()
            .ok_or("a polygon is not an array")?
            .iter()
            .map(ring)
            .collect()
    };
    let coords = v.get("coordinates").ok_or("no coordinates")?;
    match v.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => Ok(vec![polygon(coords)?]),
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or("coordinates are not an array")?
            .iter()
            .map(polygon)
            .collect(),
        other => Err(format!("unsupported geometry type {other:?}")),
    }
}

pub(crate) struct Area {
    pub name: String,
    pub polygons: Polygons,
    pub count: u64,
}

/// Count classes, as provincial maps use fixed steps rather than ones that move every day.
const CLASSES: [(u64, u64, &str); 6] = [
    (0, 0, "#f4f4f2"),
    (1, 1, "#fee5d9"),
    (2, 3, "#fcae91"),
    (4, 6, "#fb6a4a"),
    (7, 10, "#de2d26"),
    (11, u64::MAX, "#a50f15"),
];

fn fill(count: u64) -> &'static str {
    CLASSES
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&count))
        .map(|c| c.2)
        .unwrap_or(CLASSES[0].2)
}

struct Projection {
    lon0: f64,
    lat1: f64,
    kx: f64,
    scale: f64,
    pad: f64,
}

impl Projection {
    fn xy(&self, (lon, lat): (f64, f64)) -> (f64, f64) {
        (
            self.pad + (lon - self.lon0) * self.kx * self.scale,
            self.pad + (self.lat1 - lat) * self.scale,
        )
    }
}

/// The label point of a polygon set: the area-weighted centroid of its largest outer ring.
fn label_point(polygons: &Polygons) -> Option<(f64, f64)> {
    polygons
        .iter()
        .filter_map(|p| p.first())
        .map(|ring| {
            let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
            for w in ring.windows(2) {
                let (x0, y0) = w[0];
                let (x1, y1) = w[1];
                let cross = x0 * y1 - x1 * y0;
                a += cross;
                cx += (x0 + x1) * cross;
                cy += (y0 + y1) * cross;
            }
            (a.abs(), a, cx, cy)
        })
        .filter(|(abs, ..)| *abs > 0.0)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a, cx, cy)| (cx / (3.0 * a), cy / (3.0 * a)))
}

fn path(polygons: &Polygons, p: &Projection) -> String {
    let mut d = String::new();
    for poly in polygons {
        for ring in poly {
            for (i, pt) in ring.iter().enumerate() {
                let (x, y) = p.xy(*pt);
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
    }
    d
}

fn esc(s: &str) -> String {
    crate::bulletin_html::escape(s)
}

/// A 1-2-5 length near a fifth of the map's width, km.
fn nice_km(width_km: f64) -> f64 {
    let target = width_km / 5.0;
    let mut best = 1.0;
    for exp in -1..4 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(exp);
            if v <= target {
                best = v;
            }
        }
    }
    best
}

pub(crate) fn svg(
    areas: &[Area],
    outlines: &[Polygons],
    points: &[(f64, f64)],
    lang: Lang,
) -> String {
    let all = areas
        .iter()
        .flat_map(|a| a.polygons.iter())
        .chain(outlines.iter().flatten())
        .flatten()
        .flatten()
        .chain(points.iter());
    let (mut w, mut s, mut e, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in all {
        w = w.min(x);
        e = e.max(x);
        s = s.min(y);
        n = n.max(y);
    }
    if w > e || s > n {
        return format!(
            "<p class=\"nomap\">{}</p>",
            L(
                "无辖区边界数据，未绘制地图。",
                "No boundaries in the store: no map drawn."
            )
            .get(lang)
        );
    }
    let kx = ((s + n) / 2.0).to_radians().cos();
    let (width, pad, legend_h) = (760.0, 12.0, 46.0);
    let span_x = ((e - w) * kx).max(1e-6);
    let span_y = (n - s).max(1e-6);
    let scale = ((width - 2.0 * pad) / span_x).min(((width - 2.0 * pad) * 1.1) / span_y);
    let map_h = span_y * scale + 2.0 * pad;
    let height = map_h + legend_h;
    let p = Projection {
        lon0: w,
        lat1: n,
        kx,
        scale,
        pad,
    };
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" font-family="Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif" role="img">"#
    );
    out.push_str(
        r##"<g class="townships" stroke="#9a9a9a" stroke-width="0.6" fill-rule="evenodd">"##,
    );
    for a in areas {
        let _ = write!(
            out,
            r#"<path d="{}" fill="{}"><title>{} {}</title></path>"#,
            path(&a.polygons, &p),
            fill(a.count),
            esc(&a.name),
            a.count
        );
    }
    out.push_str("</g>");
    out.push_str(r##"<g class="counties" fill="none" stroke="#333" stroke-width="1.6">"##);
    for o in outlines {
        let _ = write!(out, r#"<path d="{}"/>"#, path(o, &p));
    }
    out.push_str("</g>");
    out.push_str(r##"<g class="points" fill="#ff1f1f" stroke="#000" stroke-width="0.8">"##);
    for pt in points {
        let (x, y) = p.xy(*pt);
        let _ = write!(out, r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.2"/>"#);
    }
    out.push_str("</g>");
    out.push_str(r##"<g class="labels" font-size="10" text-anchor="middle" fill="#111" stroke="#fff" stroke-width="2.5" paint-order="stroke">"##);
    for a in areas.iter().filter(|a| a.count > 0) {
        if let Some(c) = label_point(&a.polygons) {
            let (x, y) = p.xy(c);
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{:.1}">{} {}</text>"#,
                y - 5.0,
                esc(&a.name),
                a.count
            );
        }
    }
    out.push_str("</g>");

    // North arrow and scale bar, top right and bottom left of the map.
    let _ = write!(
        out,
        r##"<g class="north" font-size="12" text-anchor="middle"><path d="M{x:.1},{y0:.1}l6,16h-12z" fill="#333"/><text x="{x:.1}" y="{y1:.1}">N</text></g>"##,
        x = width - pad - 14.0,
        y0 = pad + 14.0,
        y1 = pad + 12.0
    );
    let width_km = span_x * 111.195;
    let km = nice_km(width_km);
    let bar = km / 111.195 * scale;
    let (bx, by) = (pad + 4.0, map_h - pad - 4.0);
    let _ = write!(
        out,
        r##"<g class="scale" font-size="10"><rect x="{bx:.1}" y="{:.1}" width="{bar:.1}" height="4" fill="#333"/><text x="{bx:.1}" y="{:.1}">0</text><text x="{:.1}" y="{:.1}" text-anchor="end">{km} km</text></g>"##,
        by - 4.0,
        by - 7.0,
        bx + bar,
        by - 7.0
    );

    // Legend below the map.
    let ly = map_h + 10.0;
    out.push_str(r#"<g class="legend" font-size="11">"#);
    let mut x = pad;
    for (lo, hi, colour) in CLASSES {
        let label = match (lo, hi) {
            (0, 0) => "0".to_owned(),
            (l, h) if l == h => l.to_string(),
            (l, u64::MAX) => format!("≥{l}"),
            (l, h) => format!("{l}–{h}"),
        };
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="{ly:.1}" width="18" height="12" fill="{colour}" stroke="#9a9a9a"/><text x="{:.1}" y="{:.1}">{label}</text>"##,
            x + 22.0,
            ly + 10.5
        );
        x += 70.0;
    }
    let _ = write!(
        out,
        r##"<circle cx="{:.1}" cy="{:.1}" r="3.2" fill="#ff1f1f" stroke="#000" stroke-width="0.8"/><text x="{:.1}" y="{:.1}">{}</text>"##,
        x + 9.0,
        ly + 6.0,
        x + 18.0,
        ly + 10.5,
        L("卫星火点", "fire point").get(lang)
    );
    let _ = write!(
        out,
        r##"<text x="{pad:.1}" y="{:.1}" fill="#555">{}</text>"##,
        ly + 30.0,
        L(
            "乡镇(街道)按当日火点数分级着色；粗线为县(市、区)界。",
            "Townships shaded by the day's fire points; thick lines are county borders."
        )
        .get(lang)
    );
    out.push_str("</g></svg>");
    out
}

/// Daily counts as a bar chart: one bar a day, the largest value and the first and last dates
/// labelled; plain SVG so it prints with the page.
pub(crate) fn bar_chart(days: &[(chrono::NaiveDate, u64)], title: &str) -> String {
    let (width, height, left, bottom, top) = (760.0, 180.0, 40.0, 24.0, 22.0);
    let max = days.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let n = days.len().max(1) as f64;
    let plot_w = width - left - 8.0;
    let plot_h = height - bottom - top;
    let bar = plot_w / n;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif" font-size="10" role="img"><text x="{left}" y="13" font-size="11">{}</text>"##,
        esc(title)
    );
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/><text x="{:.1}" y="{:.1}" text-anchor="end">{max}</text><text x="{:.1}" y="{:.1}" text-anchor="end">0</text>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h,
        left - 4.0,
        top + 8.0,
        left - 4.0,
        top + plot_h
    );
    out.push_str(r##"<g class="bars" fill="#de2d26">"##);
    for (i, (date, v)) in days.iter().enumerate() {
        let h = *v as f64 / max as f64 * plot_h;
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"><title>{date} {v}</title></rect>"#,
            left + i as f64 * bar + bar * 0.1,
            top + plot_h - h,
            (bar * 0.8).max(0.5)
        );
    }
    out.push_str("</g>");
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            out,
            r#"<text x="{left}" y="{:.1}">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            height - 8.0,
            first.0,
            left + plot_w,
            height - 8.0,
            last.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_and_multipolygons_are_read() {
        let p = parse_geometry(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#)
            .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0][0][1], (1.0, 0.0));
        let m = parse_geometry(
            r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}"#,
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        assert!(parse_geometry(r#"{"type":"Point","coordinates":[1,2]}"#).is_err());
    }

    #[test]
    fn the_label_sits_inside_a_square() {
        let sq = vec![vec![vec![
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 2.0),
            (0.0, 2.0),
            (0.0, 0.0),
        ]]];
        let (x, y) = label_point(&sq).unwrap();
        assert!((x - 1.0).abs() < 1e-9 && (y - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_bar_a_day_scaled_to_the_largest() {
        let d = |i| chrono::NaiveDate::from_ymd_opt(2025, 6, i).unwrap();
        let svg = bar_chart(&[(d(1), 0), (d(2), 4), (d(3), 2)], "x");
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("<title>2025-06-02 4</title>"));
        assert!(svg.contains(r#"height="134.0"><title>2025-06-02"#), "{svg}");
        assert!(svg.contains(r#"height="67.0"><title>2025-06-03"#));
    }

    #[test]
    fn counts_map_to_fixed_classes() {
        assert_eq!(fill(0), "#f4f4f2");
        assert_eq!(fill(3), "#fcae91");
        assert_eq!(fill(11), "#a50f15");
        assert_eq!(fill(500), "#a50f15");
        assert_eq!(nice_km(60.0), 10.0);
        assert_eq!(nice_km(8.0), 1.0);
    }
}
