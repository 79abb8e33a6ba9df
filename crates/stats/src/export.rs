//! Exports of the raw records for the bureau's own work and for map tools in the field:
//! detections, events, alerts and verifications as CSV (UTF-8 BOM), XLSX, GeoJSON or KML.
//! Rows stream from SQLite to the file, so a season of a million detections needs no more
//! memory than one row (XLSX uses rust_xlsxwriter's constant-memory mode).

use crate::compute::{burned_area_from_note, Regions};
use crate::labels::{self as lb, Lang, L};
use crate::sheet::{self, Cell, CsvSheet, Formats};
use crate::time::{parse_stored, store_text, utc_bounds};
use crate::StatsError;
use burnwatch_core::alert::{AlertState, Outcome};
use burnwatch_core::reports_config::ReportsConfig;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    Detections,
    Events,
    Alerts,
    Verifications,
}

impl ExportKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "detections" => Some(Self::Detections),
            "events" => Some(Self::Events),
            "alerts" => Some(Self::Alerts),
            "verifications" => Some(Self::Verifications),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Geojson,
    Kml,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            "geojson" | "json" => Some(Self::Geojson),
            "kml" => Some(Self::Kml),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub what: ExportKind,
    pub format: ExportFormat,
    /// Local dates, both included; either end may be open. Records belong to a date by the
    /// fire's time (a detection's pass, an event's or alert's first sighting).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A county or township.
    pub region: Option<String>,
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    pub rows: u64,
}

/// One exported column: a stable English key (GeoJSON/KML property names) and its label.
struct Col(&'static str, L);

struct Spec {
    columns: Vec<Col>,
    lon: usize,
    lat: usize,
    /// The UTC time of the record (KML's TimeStamp).
    time_utc: usize,
    sql: String,
    title: L,
}

fn spec(kind: ExportKind, filter: &str) -> Spec {
    const RECEIVED: &str = "'received','en_route','on_scene','verified','closed'";
    const ON_SCENE: &str = "'on_scene','verified','closed'";
    let step = |states: &str| {
        format!(
            "(SELECT MIN(t.at) FROM alert_transitions t WHERE t.alert_id = a.id AND t.to_state IN ({states}))"
        )
    };
    match kind {
        ExportKind::Detections => Spec {
            columns: vec![
                Col("detection_id", L("探测编号", "detection id")),
                Col("event_id", L("火情编号", "event id")),
                Col("alert_id", lb::ALERT_ID),
                Col("source", L("数据源", "source")),
                Col("instrument", L("传感器", "instrument")),
                Col("satellite", L("卫星", "satellite")),
                Col("acq_time_local", L("过境时间(北京时间)", "pass time (Beijing)")),
                Col("acq_time_utc", L("过境时间(UTC)", "pass time (UTC)")),
                Col("lon", lb::LON),
                Col("lat", lb::LAT),
                Col("frp_mw", L("辐射功率(MW)", "FRP (MW)")),
                Col("confidence", L("置信度", "confidence")),
                Col("confidence_raw", L("原始置信度", "raw confidence")),
                Col("day_night", L("昼夜", "day/night")),
                Col("scan_km", L("像元宽(km)", "scan (km)")),
                Col("track_km", L("像元高(km)", "track (km)")),
                Col("county_code", L("县代码", "county code")),
                Col("county", lb::COUNTY),
                Col("township_code", L("乡镇代码", "township code")),
                Col("township", lb::TOWNSHIP),
                Col("suppressed_by", L("剔除原因", "suppressed by")),
                Col("fire_class", L("耕地分类", "fire class")),
            ],
            lon: 8,
            lat: 9,
            time_utc: 7,
            sql: format!(
                "SELECT d.id, d.event_id, a.id, d.source, d.instrument, d.satellite, d.acq_time,
                        d.lon, d.lat, d.frp_mw, d.confidence, d.confidence_raw, d.day_night,
                        d.scan_km, d.track_km, d.county_id, c.name, d.region_id, r.name,
                        d.suppressed_by, d.fire_class
                 FROM detections d
                 LEFT JOIN alerts a ON a.event_id = d.event_id
                 LEFT JOIN regions r ON r.id = d.region_id
                 LEFT JOIN regions c ON c.id = d.county_id
                 WHERE d.acq_time >= ?1 AND d.acq_time < ?2{filter}
                 ORDER BY d.acq_time, d.id"
            ),
            title: L("卫星探测", "detections"),
        },
        ExportKind::Events => Spec {
            columns: vec![
                Col("event_id", L("火情编号", "event id")),
                Col("alert_id", lb::ALERT_ID),
                Col("first_seen_local", L("首次发现(北京时间)", "first seen (Beijing)")),
                Col("first_seen_utc", L("首次发现(UTC)", "first seen (UTC)")),
                Col("last_seen_local", L("最后发现(北京时间)", "last seen (Beijing)")),
                Col("lon", lb::LON),
                Col("lat", lb::LAT),
                Col("max_frp_mw", L("最大辐射功率(MW)", "max FRP (MW)")),
                Col("detection_count", L("探测数", "detections")),
                Col("search_radius_km", L("搜索半径(km)", "search radius (km)")),
                Col("county_code", L("县代码", "county code")),
                Col("county", lb::COUNTY),
                Col("township_code", L("乡镇代码", "township code")),
                Col("township", lb::TOWNSHIP),
            ],
            lon: 5,
            lat: 6,
            time_utc: 3,
            sql: format!(
                "SELECT e.id, a.id, e.first_seen, e.last_seen, e.lon, e.lat, e.max_frp_mw,
                        e.detection_count, e.search_radius_km, e.county_id, c.name, e.region_id, r.name
                 FROM events e
                 LEFT JOIN alerts a ON a.event_id = e.id
                 LEFT JOIN regions r ON r.id = e.region_id
                 LEFT JOIN regions c ON c.id = e.county_id
                 WHERE e.first_seen >= ?1 AND e.first_seen < ?2{filter}
                 ORDER BY e.first_seen, e.id"
            ),
            title: L("火情", "fire events"),
        },
        ExportKind::Alerts => Spec {
            columns: vec![
                Col("alert_id", lb::ALERT_ID),
                Col("event_id", L("火情编号", "event id")),
                Col("state", lb::STATE),
                Col("outcome", L("核查结果", "outcome")),
                Col("county_code", L("县代码", "county code")),
                Col("county", lb::COUNTY),
                Col("township_code", L("乡镇代码", "township code")),
                Col("township", lb::TOWNSHIP),
                Col("lon", lb::LON),
                Col("lat", lb::LAT),
                Col("search_radius_km", L("搜索半径(km)", "search radius (km)")),
                Col("first_seen_local", L("首次发现(北京时间)", "first seen (Beijing)")),
                Col("first_seen_utc", L("首次发现(UTC)", "first seen (UTC)")),
                Col("max_frp_mw", L("最大辐射功率(MW)", "max FRP (MW)")),
                Col("cluster_size", L("探测数", "detections")),
                Col("alerted_at", L("预警时间", "alerted at")),
                Col("received_at", L("签收时间", "received at")),
                Col("on_scene_at", L("到场时间", "on scene at")),
                Col("verified_at", L("核查时间", "verified at")),
                Col("neighbours", L("相邻乡镇", "neighbours")),
            ],
            lon: 8,
            lat: 9,
            time_utc: 12,
            sql: format!(
                "SELECT a.id, a.event_id, a.state, a.outcome, a.county_id, c.name, a.region_id, r.name,
                        e.lon, e.lat, e.search_radius_km, e.first_seen, e.max_frp_mw, e.detection_count,
                        a.created_at, {}, {}, {},
                        (SELECT group_concat(region_id, ';') FROM
                            (SELECT n.region_id FROM alert_neighbours n WHERE n.alert_id = a.id
                             ORDER BY n.distance_km))
                 FROM alerts a
                 JOIN events e ON e.id = a.event_id
                 LEFT JOIN regions r ON r.id = a.region_id
                 LEFT JOIN regions c ON c.id = a.county_id
                 WHERE e.first_seen >= ?1 AND e.first_seen < ?2{filter}
                 ORDER BY e.first_seen, a.id",
                step(RECEIVED),
                step(ON_SCENE),
                step("'verified'")
            ),
            title: L("预警", "alerts"),
        },
        ExportKind::Verifications => Spec {
            columns: vec![
                Col("alert_id", lb::ALERT_ID),
                Col("event_id", L("火情编号", "event id")),
                Col("county_code", L("县代码", "county code")),
                Col("county", lb::COUNTY),
                Col("township_code", L("乡镇代码", "township code")),
                Col("township", lb::TOWNSHIP),
                Col("lon", lb::LON),
                Col("lat", lb::LAT),
                Col("first_seen_local", L("首次发现(北京时间)", "first seen (Beijing)")),
                Col("first_seen_utc", L("首次发现(UTC)", "first seen (UTC)")),
                Col("alerted_at", L("预警时间", "alerted at")),
                Col("received_at", L("签收时间", "received at")),
                Col("on_scene_at", L("到场时间", "on scene at")),
                Col("verified_at", L("核查时间", "verified at")),
                Col("minutes_to_received", L("签收用时(分)", "minutes to received")),
                Col("minutes_to_on_scene", L("到场用时(分)", "minutes to on scene")),
                Col("minutes_to_verified", L("核查用时(分)", "minutes to verified")),
                Col("verifier", L("核查人", "verifier")),
                Col("outcome", L("核查结果代码", "outcome code")),
                Col("outcome_label", L("核查结果", "outcome")),
                Col("burned_area_mu", lb::BURNED_MU),
                Col("note", L("备注", "note")),
                Col("state", lb::STATE),
            ],
            lon: 6,
            lat: 7,
            time_utc: 9,
            sql: format!(
                "SELECT a.id, a.event_id, a.county_id, c.name, a.region_id, r.name, e.lon, e.lat,
                        e.first_seen, a.created_at, {}, {}, v.at, v.actor, v.outcome,
                        v.burned_area_mu, v.note, a.state
                 FROM alert_transitions v
                 JOIN alerts a ON a.id = v.alert_id
                 JOIN events e ON e.id = a.event_id
                 LEFT JOIN regions r ON r.id = a.region_id
                 LEFT JOIN regions c ON c.id = a.county_id
                 WHERE v.to_state = 'verified' AND e.first_seen >= ?1 AND e.first_seen < ?2{filter}
                 ORDER BY e.first_seen, a.id",
                step(RECEIVED),
                step(ON_SCENE)
            ),
            title: L("核查记录", "verifications"),
        },
    }
}

fn local_seconds(t: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&cst)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn time_cells(
    column: &'static str,
    s: Option<String>,
    utc_too: bool,
) -> Result<Vec<Cell>, StatsError> {
    let t = s.map(|s| parse_stored(column, &s)).transpose()?;
    let mut cells = vec![Cell::opt_text(t.map(local_seconds))];
    if utc_too {
        cells.push(Cell::opt_text(t.map(store_text)));
    }
    Ok(cells)
}

fn minutes_between(a: &Option<String>, b: &Option<String>) -> Result<Cell, StatsError> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let a = parse_stored("alerts.created_at", a)?;
            let b = parse_stored("alert_transitions.at", b)?;
            Ok(Cell::Num((b - a).num_seconds() as f64 / 60.0, 1))
        }
        _ => Ok(Cell::Empty),
    }
}

fn state_label(s: &str, lang: Lang) -> Cell {
    Cell::text(
        AlertState::parse(s)
            .map(|st| lb::state(st, lang).to_owned())
            .unwrap_or_else(|| s.to_owned()),
    )
}

fn read_row(kind: ExportKind, r: &rusqlite::Row<'_>, lang: Lang) -> Result<Vec<Cell>, StatsError> {
    let text =
        |i: usize| -> rusqlite::Result<Cell> { Ok(Cell::opt_text(r.get::<_, Option<String>>(i)?)) };
    let int =
        |i: usize| -> rusqlite::Result<Cell> { Ok(Cell::opt_int(r.get::<_, Option<i64>>(i)?)) };
    let num = |i: usize, d: usize| -> rusqlite::Result<Cell> {
        Ok(Cell::opt_num(r.get::<_, Option<f64>>(i)?, d))
    };
    let mut c = Vec::new();
    match kind {
        ExportKind::Detections => {
            c.extend([int(0)?, int(1)?, int(2)?, text(3)?, text(4)?, text(5)?]);
            c.extend(time_cells("detections.acq_time", r.get(6)?, true)?);
            c.extend([
                num(7, 6)?,
                num(8, 6)?,
                num(9, 2)?,
                text(10)?,
                text(11)?,
                text(12)?,
                num(13, 3)?,
                num(14, 3)?,
                text(15)?,
                text(16)?,
                text(17)?,
                text(18)?,
                text(19)?,
                text(20)?,
            ]);
        }
        ExportKind::Events => {
            c.extend([int(0)?, int(1)?]);
            c.extend(time_cells("events.first_seen", r.get(2)?, true)?);
            c.extend(time_cells("events.last_seen", r.get(3)?, false)?);
            c.extend([
                num(4, 6)?,
                num(5, 6)?,
                num(6, 2)?,
                int(7)?,
                num(8, 3)?,
                text(9)?,
                text(10)?,
                text(11)?,
                text(12)?,
            ]);
        }
        ExportKind::Alerts => {
            c.extend([int(0)?, int(1)?]);
            let state: String = r.get(2)?;
            c.push(state_label(&state, lang));
            let outcome: Option<String> = r.get(3)?;
            c.push(Cell::opt_text(outcome.map(|o| {
                Outcome::parse(&o)
                    .map(|x| lb::outcome(x, lang).to_owned())
                    .unwrap_or(o)
            })));
            c.extend([
                text(4)?,
                text(5)?,
                text(6)?,
                text(7)?,
                num(8, 6)?,
                num(9, 6)?,
                num(10, 3)?,
            ]);
            c.extend(time_cells("events.first_seen", r.get(11)?, true)?);
            c.extend([num(12, 2)?, int(13)?]);
            for i in 14..=17 {
                c.extend(time_cells("alert_transitions.at", r.get(i)?, false)?);
            }
            c.push(text(18)?);
        }
        ExportKind::Verifications => {
            c.extend([
                int(0)?,
                int(1)?,
                text(2)?,
                text(3)?,
                text(4)?,
                text(5)?,
                num(6, 6)?,
                num(7, 6)?,
            ]);
            c.extend(time_cells("events.first_seen", r.get(8)?, true)?);
            let alerted: Option<String> = r.get(9)?;
            let received: Option<String> = r.get(10)?;
            let on_scene: Option<String> = r.get(11)?;
            let verified: Option<String> = r.get(12)?;
            for t in [&alerted, &received, &on_scene, &verified] {
                c.extend(time_cells("alert_transitions.at", t.clone(), false)?);
            }
            for t in [&received, &on_scene, &verified] {
                c.push(minutes_between(&alerted, t)?);
            }
            c.push(text(13)?);
            let outcome: Option<String> = r.get(14)?;
            c.push(Cell::opt_text(outcome.clone()));
            c.push(Cell::opt_text(
                outcome
                    .as_deref()
                    .and_then(Outcome::parse)
                    .map(|o| lb::outcome(o, lang)),
            ));
            let note: Option<String> = r.get(16)?;
            let area = r
                .get::<_, Option<f64>>(15)?
                .or_else(|| note.as_deref().and_then(burned_area_from_note));
            c.push(Cell::opt_num(area, 1));
            c.push(Cell::opt_text(note));
            let state: String = r.get(17)?;
            c.push(state_label(&state, lang));
        }
    }
    Ok(c)
}

/// Where rows go.
trait Sink {
    fn row(&mut self, cells: &[Cell]) -> Result<(), StatsError>;
    fn finish(self: Box<Self>) -> Result<(), StatsError>;
}

struct CsvSink<W: Write>(CsvSheet<W>);

impl<W: Write> Sink for CsvSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), StatsError> {
        self.0.row(cells)
    }
    fn finish(self: Box<Self>) -> Result<(), StatsError> {
        self.0.finish()?.flush()?;
        Ok(())
    }
}

/// XLSX holds at most 1,048,576 rows a sheet, header included.
const XLSX_MAX_ROWS: u32 = 1_048_575;

struct XlsxSink<'w> {
    workbook: rust_xlsxwriter::Workbook,
    formats: Formats,
    row: u32,
    out: &'w mut dyn Write,
}

impl Sink for XlsxSink<'_> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), StatsError> {
        if self.row >= XLSX_MAX_ROWS {
            return Err(StatsError::BadRequest(format!(
                "more than {XLSX_MAX_ROWS} rows do not fit in one XLSX sheet; narrow the dates or use --format csv"
            )));
        }
        self.row += 1;
        let ws = self.workbook.worksheet_from_index(0)?;
        for (i, cell) in cells.iter().enumerate() {
            sheet::write_cell(ws, self.row, i as u16, cell, &self.formats)?;
        }
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> Result<(), StatsError> {
        let bytes = self.workbook.save_to_buffer()?;
        self.out.write_all(&bytes)?;
        self.out.flush()?;
        Ok(())
    }
}

struct GeojsonSink<'w> {
    keys: Vec<&'static str>,
    lon: usize,
    lat: usize,
    first: bool,
    out: &'w mut dyn Write,
}

fn json_value(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Text(s) => serde_json::Value::from(s.as_str()),
        Cell::Int(i) => serde_json::Value::from(*i),
        Cell::Num(v, _) | Cell::Pct(v) => serde_json::Value::from(*v),
        Cell::Empty => serde_json::Value::Null,
    }
}

impl Sink for GeojsonSink<'_> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), StatsError> {
        let coord = |i: usize| match cells.get(i) {
            Some(Cell::Num(v, _)) => Some(*v),
            _ => None,
        };
        let properties: serde_json::Map<String, serde_json::Value> = self
            .keys
            .iter()
            .zip(cells)
            .map(|(k, c)| ((*k).to_owned(), json_value(c)))
            .collect();
        let geometry = match (coord(self.lon), coord(self.lat)) {
            (Some(x), Some(y)) => serde_json::json!({"type": "Point", "coordinates": [x, y]}),
            _ => serde_json::Value::Null,
        };
        let feature = serde_json::json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": properties,
        });
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut *self.out, &feature)?;
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<(), StatsError> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(())
    }
}

struct KmlSink<'w> {
    keys: Vec<&'static str>,
    labels: Vec<String>,
    lon: usize,
    lat: usize,
    time_utc: usize,
    name: L,
    lang: Lang,
    out: &'w mut dyn Write,
}

fn xml(s: &str) -> String {
    crate::bulletin_html::escape(s)
}

impl Sink for KmlSink<'_> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), StatsError> {
        let (Some(Cell::Num(lon, _)), Some(Cell::Num(lat, _))) =
            (cells.get(self.lon), cells.get(self.lat))
        else {
            // A placemark needs a place; every exported kind has one, so this is only defence.
            return Ok(());
        };
        let township = self
            .keys
            .iter()
            .position(|k| *k == "township")
            .and_then(|i| cells.get(i))
            .map(Cell::display)
            .unwrap_or_default();
        let mut s = format!(
            "<Placemark><name>{} {} {}</name><styleUrl>#fire</styleUrl>",
            self.name.get(self.lang),
            cells[0].display(),
            xml(&township)
        );
        if let Some(Cell::Text(t)) = cells.get(self.time_utc) {
            s.push_str(&format!("<TimeStamp><when>{}</when></TimeStamp>", xml(t)));
        }
        s.push_str("<ExtendedData>");
        for ((k, label), c) in self.keys.iter().zip(&self.labels).zip(cells) {
            s.push_str(&format!(
                "<Data name=\"{k}\"><displayName>{}</displayName><value>{}</value></Data>",
                xml(label),
                xml(&c.display())
            ));
        }
        s.push_str(&format!(
            "</ExtendedData><Point><coordinates>{lon:.6},{lat:.6},0</coordinates></Point></Placemark>\n"
        ));
        self.out.write_all(s.as_bytes())?;
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<(), StatsError> {
        self.out.write_all(b"</Document>\n</kml>\n")?;
        self.out.flush()?;
        Ok(())
    }
}

/// Writes the export to `out` (a file, or an HTTP body) and says how many rows it held.
pub fn export(
    conn: &Connection,
    config: &ReportsConfig,
    request: &ExportRequest,
    out: &mut dyn Write,
) -> Result<ExportSummary, StatsError> {
    if let (Some(from), Some(to)) = (request.from, request.to) {
        if from > to {
            return Err(StatsError::EmptyRange { from, to });
        }
    }
    let regions = Regions::load(conn)?;
    let filter = regions.filter(request.region.as_deref())?;
    let start = request
        .from
        .map(|d| store_text(utc_bounds(d, d).0))
        .unwrap_or_else(|| "0000".into());
    let end = request
        .to
        .map(|d| store_text(utc_bounds(d, d).1))
        .unwrap_or_else(|| "9999".into());
    let alias = match request.what {
        ExportKind::Detections => "d",
        ExportKind::Events => "e",
        _ => "a",
    };
    let clause = match &filter {
        None => String::new(),
        Some(f) if f.level == "county" => format!(" AND {alias}.county_id = ?3"),
        Some(_) => format!(" AND {alias}.region_id = ?3"),
    };
    let spec = spec(request.what, &clause);
    let lang = request.lang;
    let keys: Vec<&'static str> = spec.columns.iter().map(|c| c.0).collect();
    let labels: Vec<String> = spec
        .columns
        .iter()
        .map(|c| c.1.get(lang).to_owned())
        .collect();

    let mut sink: Box<dyn Sink + '_> = match request.format {
        ExportFormat::Csv => Box::new(CsvSink(CsvSheet::new(&mut *out, &labels)?)),
        ExportFormat::Xlsx => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let formats = Formats::new();
            let ws = workbook.add_worksheet_with_constant_memory()?;
            ws.set_name(spec.title.get(lang))?;
            let widths: Vec<Vec<Cell>> = Vec::new();
            sheet::set_widths(ws, &labels, &widths)?;
            sheet::write_header(ws, 0, &labels, &formats)?;
            ws.set_freeze_panes(1, 0)?;
            Box::new(XlsxSink {
                workbook,
                formats,
                row: 0,
                out: &mut *out,
            })
        }
        ExportFormat::Geojson => {
            out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
            Box::new(GeojsonSink {
                keys: keys.clone(),
                lon: spec.lon,
                lat: spec.lat,
                first: true,
                out: &mut *out,
            })
        }
        ExportFormat::Kml => {
            let name = format!(
                "{} {}",
                config.prefecture_name.clone().unwrap_or_default(),
                spec.title.get(lang)
            );
            write!(
                out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document><name>{}</name>\
                 <Style id=\"fire\"><IconStyle><color>ff0000ff</color><scale>0.9</scale>\
                 <Icon><href>http://maps.google.com/mapfiles/kml/shapes/firedept.png</href></Icon></IconStyle></Style>\n",
                xml(name.trim())
            )?;
            Box::new(KmlSink {
                keys: keys.clone(),
                labels: labels.clone(),
                lon: spec.lon,
                lat: spec.lat,
                time_utc: spec.time_utc,
                name: spec.title,
                lang,
                out: &mut *out,
            })
        }
    };

    let mut stmt = conn.prepare(&spec.sql)?;
    let mut rows = match &filter {
        Some(f) => stmt.query(params![start, end, f.id])?,
        None => stmt.query(params![start, end])?,
    };
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let cells = read_row(request.what, r, lang)?;
        debug_assert_eq!(cells.len(), keys.len());
        sink.row(&cells)?;
        n += 1;
    }
    sink.finish()?;
    Ok(ExportSummary { rows: n })
}
