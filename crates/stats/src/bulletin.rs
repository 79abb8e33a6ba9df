//! The daily bulletin (日报): one local day's fire points in the provincial detail-table shape,
//! the day's figures by county, the season so far, the map, and the exclusions stated.

use crate::compute::{compute, GroupBy, Regions, StatsReport, StatsRequest};
use crate::map::{parse_geometry, Area, Polygons};
use crate::period::{Period, PeriodSpec};
use crate::time::{parse_stored, store_text};
use crate::{Lang, StatsError};
use burnwatch_core::reports_config::ReportsConfig;
use burnwatch_core::Schedule;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct BulletinRequest {
    /// The local (Asia/Shanghai) date.
    pub date: NaiveDate,
    /// Verification status is shown as of this moment; `None` is now.
    pub as_of: Option<DateTime<Utc>>,
}

/// One row of the detail table: city | county | township | centre lon | centre lat | pass time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BulletinPoint {
    pub city: Option<String>,
    pub county: Option<String>,
    pub township: Option<String>,
    pub township_id: String,
    pub lon: f64,
    pub lat: f64,
    pub pass_time: DateTime<Utc>,
    pub satellite: String,
    pub detection_id: i64,
    pub alert_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bulletin {
    pub date: NaiveDate,
    pub prefecture_name: Option<String>,
    /// The day's figures by county (the total is the prefecture's).
    pub day: StatsReport,
    /// The same by township, for the map.
    pub township_counts: HashMap<String, u64>,
    pub points: Vec<BulletinPoint>,
    /// From the start of the season containing the date up to it, when there is one.
    pub season: Option<StatsReport>,
    #[serde(skip)]
    pub(crate) areas: Vec<(String, String, Polygons)>,
    #[serde(skip)]
    pub(crate) county_outlines: Vec<Polygons>,
}

pub fn bulletin(
    conn: &Connection,
    config: &ReportsConfig,
    schedule: &Schedule,
    request: &BulletinRequest,
) -> Result<Bulletin, StatsError> {
    let day_spec = PeriodSpec::dates(request.date, request.date);
    let mut by_county = StatsRequest::new(day_spec.clone(), GroupBy::County);
    by_county.as_of = request.as_of;
    by_county.compare_previous_year = false;
    let day = compute(conn, config, schedule, &by_county)?;
    let mut by_township = by_county.clone();
    by_township.by = GroupBy::Township;
    let township_counts = compute(conn, config, schedule, &by_township)?
        .rows
        .into_iter()
        .filter_map(|r| Some((r.region_id?, r.detections.points)))
        .collect();

    let season = match schedule.seasons.containing(request.date) {
        Some(s) => {
            let mut r = StatsRequest::new(
                PeriodSpec::dates(s.start, request.date),
                GroupBy::Prefecture,
            );
            r.as_of = request.as_of;
            let mut report = compute(conn, config, schedule, &r)?;
            report.period.season = Some(s.name.clone());
            Some(report)
        }
        None => None,
    };

    let period = Period::new(None, request.date, request.date)?;
    let regions = Regions::load(conn)?;
    let mut stmt = conn.prepare(
        "SELECT d.id, d.acq_time, d.lon, d.lat, d.region_id, d.county_id, d.satellite, a.id
         FROM detections d INDEXED BY detections_acq_time
         LEFT JOIN alerts a ON a.event_id = d.event_id
         WHERE d.acq_time >= ?1 AND d.acq_time < ?2 AND d.suppressed_by IS NULL
           AND d.region_id IS NOT NULL AND d.fire_class IS NOT 'not_straw'
           AND d.source NOT LIKE 'camera%'
         ORDER BY d.acq_time, d.id",
    )?;
    let mut rows = stmt.query(params![
        store_text(period.start_utc),
        store_text(period.end_utc)
    ])?;
    let mut points = Vec::new();
    while let Some(r) = rows.next()? {
        let township: String = r.get(4)?;
        let county: Option<String> = r
            .get::<_, Option<String>>(5)?
            .or_else(|| regions.by_id.get(&township).and_then(|t| t.parent.clone()));
        points.push(BulletinPoint {
            city: config.prefecture_name.clone(),
            county: regions.name(county.as_deref()).or(county),
            township: regions.name(Some(&township)),
            township_id: township,
            lon: r.get(2)?,
            lat: r.get(3)?,
            pass_time: parse_stored("detections.acq_time", &r.get::<_, String>(1)?)?,
            satellite: r.get(6)?,
            detection_id: r.get(0)?,
            alert_id: r.get(7)?,
        });
    }

    let mut areas = Vec::new();
    let mut county_outlines = Vec::new();
    let mut stmt =
        conn.prepare("SELECT id, name, level, geometry FROM regions ORDER BY level, id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, name, level, geometry): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let polygons = parse_geometry(&geometry).map_err(|e| StatsError::Corrupt {
            column: "regions.geometry",
            value: format!("{id}: {e}"),
        })?;
        match level.as_str() {
            "township" => areas.push((id, name, polygons)),
            "county" => county_outlines.push(polygons),
            _ => {}
        }
    }

    Ok(Bulletin {
        date: request.date,
        prefecture_name: config.prefecture_name.clone(),
        day,
        township_counts,
        points,
        season,
        areas,
        county_outlines,
    })
}

impl Bulletin {
    pub(crate) fn map_areas(&self) -> Vec<Area> {
        self.areas
            .iter()
            .map(|(id, name, polygons)| Area {
                name: name.clone(),
                polygons: polygons.clone(),
                count: self.township_counts.get(id).copied().unwrap_or(0),
            })
            .collect()
    }
}

/// The bulletin as one self-contained printable HTML page.
pub fn render_bulletin_html(b: &Bulletin, lang: Lang) -> String {
    crate::bulletin_html::render(b, lang)
}
