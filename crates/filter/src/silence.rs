//! Silences, after Alertmanager's: "hold back what this area (and optionally this source or
//! sensor) shows between these times, because …, signed …". They end by themselves; an operator
//! may end one early. A silence applies by acquisition time, so late data from the silenced
//! span is held back too.

use crate::geom::{polygon_from_geojson, valid_lon_lat, Area};
use crate::FilterError;
use burnwatch_core::{Detection, SourceKind};
use burnwatch_pipeline::Filter;
use burnwatch_store::{NewSilence, SilenceRow, SourceStore};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A silence larger than this is more likely a typo than a plan, km.
pub const MAX_RADIUS_KM: f64 = 50.0;

/// Where a silence applies, as stored (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AreaSpec {
    Circle {
        lon: f64,
        lat: f64,
        radius_km: f64,
    },
    /// A GeoJSON Polygon or MultiPolygon, WGS84.
    Polygon(geojson::Geometry),
}

/// The stored matchers of a silence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matchers {
    pub area: AreaSpec,
    /// A product family (`firms_viirs`, `himawari_wlf`, …); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// An instrument (`VIIRS`, `MODIS`, `AHI`) or a satellite (`NOAA-20`); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
}

/// What an operator asks for. Every field the issue calls required is checked, so a silence
/// without author, reason or end is refused with a message rather than stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceSpec {
    pub matchers: Matchers,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub comment: String,
}

/// A silence that would also apply to some of the same detections.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overlap {
    pub id: i64,
    pub comment: String,
    pub created_by: String,
}

/// A compiled silence.
struct Compiled {
    id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    area: Area,
    source: Option<String>,
    sensor: Option<String>,
    reason: String,
}

impl Compiled {
    fn new(row: &SilenceRow) -> Result<Self, FilterError> {
        let matchers: Matchers = serde_json::from_str(&row.matchers).map_err(|e| {
            FilterError::Silence(format!("silence {} has unreadable matchers: {e}", row.id))
        })?;
        let area = area(&matchers.area)
            .map_err(|e| FilterError::Silence(format!("silence {}: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            starts_at: row.starts_at,
            ends_at: row.effective_end(),
            area,
            source: matchers.source,
            sensor: matchers.sensor,
            reason: format!("silence:{}:{}", row.id, short(&row.comment)),
        })
    }

    fn matches(&self, d: &Detection) -> bool {
        self.starts_at <= d.acq_time
            && d.acq_time < self.ends_at
            // An absent matcher matches everything.
            && self
                .source
                .iter()
                .all(|s| s.eq_ignore_ascii_case(d.source.as_str()))
            && self.sensor.iter().all(|s| {
                s.eq_ignore_ascii_case(d.instrument.as_str()) || s.eq_ignore_ascii_case(&d.satellite)
            })
            && self.area.contains(d.lon, d.lat)
    }
}

/// The reason names the silence by id; its comment is shortened so listings stay readable.
fn short(comment: &str) -> String {
    const MAX: usize = 40;
    let one_line = comment.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        one_line.chars().take(MAX - 1).chain(['…']).collect()
    }
}

fn area(spec: &AreaSpec) -> Result<Area, String> {
    match spec {
        AreaSpec::Circle {
            lon,
            lat,
            radius_km,
        } => {
            if !valid_lon_lat(*lon, *lat) {
                return Err(format!(
                    "circle centre {lon}, {lat} is not a lon/lat in [-180, 180] x [-90, 90]"
                ));
            }
            if !(radius_km.is_finite() && *radius_km > 0.0 && *radius_km <= MAX_RADIUS_KM) {
                return Err(format!(
                    "circle radius {radius_km} km must be above 0 and at most {MAX_RADIUS_KM} km"
                ));
            }
            Ok(Area::Circle {
                lon: *lon,
                lat: *lat,
                radius_km: *radius_km,
            })
        }
        AreaSpec::Polygon(g) => polygon_from_geojson(g).map(Area::Polygon),
    }
}

/// Holds back detections matched by a silence running at their acquisition time. When silences
/// overlap, the oldest names the reason.
pub struct SilenceFilter {
    silences: Vec<Compiled>,
}

impl SilenceFilter {
    pub fn new(rows: &[SilenceRow]) -> Result<Self, FilterError> {
        let mut silences = rows
            .iter()
            .map(Compiled::new)
            .collect::<Result<Vec<_>, _>>()?;
        silences.sort_by_key(|s| s.id);
        Ok(Self { silences })
    }
}

impl Filter for SilenceFilter {
    fn check(&self, d: &Detection) -> Option<String> {
        self.silences
            .iter()
            .find(|s| s.matches(d))
            .map(|s| s.reason.clone())
    }
}

/// Checks and stores a silence. Returns its id and the silences it overlaps (same ground, same
/// time, compatible matchers): overlapping silences are allowed, as in Alertmanager, but the
/// operator is told, since expiring one then leaves the other in force.
pub fn create_silence<S: SourceStore>(
    store: &mut S,
    spec: &SilenceSpec,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<Overlap>), FilterError> {
    let bad = |m: String| FilterError::Silence(m);
    if spec.created_by.trim().is_empty() {
        return Err(bad("who creates it is required (created_by)".into()));
    }
    if spec.comment.trim().is_empty() {
        return Err(bad("why is required (comment)".into()));
    }
    let starts_at = spec
        .starts_at
        .ok_or_else(|| bad("a start is required (use now for now)".into()))?;
    let ends_at = spec.ends_at.ok_or_else(|| {
        bad("an end is required: a silence must expire by itself (e.g. +8h)".into())
    })?;
    if ends_at <= starts_at {
        return Err(bad(format!(
            "it ends ({ends_at}) before it starts ({starts_at})"
        )));
    }
    if ends_at <= now {
        return Err(bad(format!(
            "it ended already ({ends_at}); it would hold nothing back from now on"
        )));
    }
    if ends_at - starts_at > Duration::days(366) {
        return Err(bad(
            "it lasts over a year: register the site instead (burnwatch sources import)".into(),
        ));
    }
    if let Some(s) = &spec.matchers.source {
        if SourceKind::parse(&s.to_lowercase()).is_none() {
            return Err(bad(format!(
                "unknown source {s:?}; one of firms_modis, firms_viirs, himawari_wlf, cspp_afimg, vnp14img"
            )));
        }
    }
    if spec
        .matchers
        .sensor
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        return Err(bad("the sensor matcher is empty".into()));
    }
    let new_area = area(&spec.matchers.area).map_err(bad)?;
    let matchers = serde_json::to_string(&spec.matchers)
        .map_err(|e| bad(format!("cannot encode the matchers: {e}")))?;

    let mut overlaps = Vec::new();
    for row in store.silences(false, now)? {
        let other = Compiled::new(&row)?;
        let same_time = other.starts_at < ends_at && starts_at < other.ends_at;
        let compatible = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => true,
        };
        if same_time
            && compatible(&other.source, &spec.matchers.source)
            && compatible(&other.sensor, &spec.matchers.sensor)
            && other.area.overlaps(&new_area)
        {
            overlaps.push(Overlap {
                id: row.id,
                comment: row.comment.clone(),
                created_by: row.created_by.clone(),
            });
        }
    }
    let id = store.insert_silence(&NewSilence {
        matchers,
        starts_at,
        ends_at,
        created_by: spec.created_by.trim().to_owned(),
        comment: spec.comment.trim().to_owned(),
    })?;
    Ok((id, overlaps))
}

/// A polygon area from a GeoJSON file: a geometry, a feature, or a collection of one feature.
pub fn polygon_file(path: &std::path::Path) -> Result<AreaSpec, FilterError> {
    let bad = |message: String| FilterError::File {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| FilterError::Read {
        path: path.to_owned(),
        source,
    })?;
    let gj: geojson::GeoJson = text.parse().map_err(|e| bad(format!("not GeoJSON: {e}")))?;
    let geometry = match gj {
        geojson::GeoJson::Geometry(g) => Some(g),
        geojson::GeoJson::Feature(f) => f.geometry,
        geojson::GeoJson::FeatureCollection(fc) => match fc.features.len() {
            1 => fc.features.into_iter().next().and_then(|f| f.geometry),
            n => return Err(bad(format!("expected one feature, found {n}"))),
        },
    };
    let geometry = geometry.ok_or_else(|| bad("has no geometry".into()))?;
    polygon_from_geojson(&geometry).map_err(bad)?;
    Ok(AreaSpec::Polygon(geometry))
}

/// The area of a stored silence, for listings.
pub fn describe(row: &SilenceRow) -> String {
    match serde_json::from_str::<Matchers>(&row.matchers) {
        Ok(m) => {
            let mut s = match &m.area {
                AreaSpec::Circle {
                    lon,
                    lat,
                    radius_km,
                } => format!("circle {lon:.5},{lat:.5} r={radius_km} km"),
                AreaSpec::Polygon(_) => "polygon".to_owned(),
            };
            if let Some(src) = &m.source {
                s.push_str(&format!(" source={src}"));
            }
            if let Some(sensor) = &m.sensor {
                s.push_str(&format!(" sensor={sensor}"));
            }
            s
        }
        Err(_) => "(unreadable matchers)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_core::{ConfidenceClass, Instrument};
    use burnwatch_store::SqliteStore;
    use chrono::TimeZone;

    fn spec(lon: f64, start: DateTime<Utc>, hours: i64) -> SilenceSpec {
        SilenceSpec {
            matchers: Matchers {
                area: AreaSpec::Circle {
                    lon,
                    lat: 35.0,
                    radius_km: 1.0,
                },
                source: None,
                sensor: Some("VIIRS".into()),
            },
            starts_at: Some(start),
            ends_at: Some(start + Duration::hours(hours)),
            created_by: "duty-wang".into(),
            comment: "boiler start-up test at the thermal plant".into(),
        }
    }

    fn detection(lon: f64, at: DateTime<Utc>, instrument: Instrument) -> Detection {
        Detection {
            source: SourceKind::FirmsViirs,
            instrument,
            satellite: "NOAA-20".into(),
            acq_time: at,
            lon,
            lat: 35.0,
            frp_mw: None,
            confidence: ConfidenceClass::Nominal,
            confidence_raw: None,
            day_night: None,
            scan_km: None,
            track_km: None,
            firms_type: None,
            bright_t4_k: None,
            bright_t11_k: None,
        }
    }

    #[test]
    fn required_fields_are_refused_with_a_reason() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let now = Utc.with_ymd_and_hms(2025, 6, 10, 0, 0, 0).unwrap();
        let ok = spec(116.0, now, 8);
        let mut s = ok.clone();
        s.created_by = "  ".into();
        let e = create_silence(&mut store, &s, now).unwrap_err().to_string();
        assert!(e.contains("created_by"), "{e}");
        let mut s = ok.clone();
        s.comment = String::new();
        let e = create_silence(&mut store, &s, now).unwrap_err().to_string();
        assert!(e.contains("comment"), "{e}");
        let mut s = ok.clone();
        s.ends_at = None;
        let e = create_silence(&mut store, &s, now).unwrap_err().to_string();
        assert!(e.contains("end is required"), "{e}");
        let mut s = ok.clone();
        s.ends_at = Some(now - Duration::hours(1));
        assert!(create_silence(&mut store, &s, now).is_err());
        let mut s = ok.clone();
        s.matchers.area = AreaSpec::Circle {
            lon: 116.0,
            lat: 95.0,
            radius_km: 1.0,
        };
        let e = create_silence(&mut store, &s, now).unwrap_err().to_string();
        assert!(e.contains("lon/lat"), "{e}");
        let mut s = ok.clone();
        s.matchers.source = Some("landsat".into());
        assert!(create_silence(&mut store, &s, now).is_err());
        assert!(store.silences(true, now).unwrap().is_empty());
        create_silence(&mut store, &ok, now).unwrap();
    }

    #[test]
    fn overlapping_silences_are_reported_and_both_apply() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let now = Utc.with_ymd_and_hms(2025, 6, 10, 0, 0, 0).unwrap();
        let (a, overlaps) = create_silence(&mut store, &spec(116.0, now, 8), now).unwrap();
        assert!(overlaps.is_empty());
        // 1.4 km east, same hours: the two 1 km circles share ground.
        let (b, overlaps) = create_silence(&mut store, &spec(116.015, now, 8), now).unwrap();
        assert_eq!(overlaps.iter().map(|o| o.id).collect::<Vec<_>>(), vec![a]);
        // Far away, or later: no overlap.
        let (_, far) = create_silence(&mut store, &spec(116.2, now, 8), now).unwrap();
        assert!(far.is_empty());
        let (_, later) =
            create_silence(&mut store, &spec(116.0, now + Duration::hours(9), 2), now).unwrap();
        assert!(later.is_empty());

        let rows = store.silences(true, now).unwrap();
        let f = SilenceFilter::new(&rows).unwrap();
        let t = now + Duration::hours(1);
        // In both circles: the older silence names the reason.
        let both = detection(116.0075, t, Instrument::Viirs);
        assert!(f
            .check(&both)
            .unwrap()
            .starts_with(&format!("silence:{a}:")));
        // MODIS is not matched by a VIIRS silence; after the end nothing is held back.
        assert_eq!(f.check(&detection(116.0075, t, Instrument::Modis)), None);
        assert_eq!(
            f.check(&detection(
                116.0075,
                now + Duration::hours(8),
                Instrument::Viirs
            )),
            None
        );
        // Expiring the older one leaves the newer in force.
        store.expire_silence(a, "duty-li", t).unwrap();
        let f = SilenceFilter::new(&store.silences(true, now).unwrap()).unwrap();
        let later = detection(116.0075, t + Duration::minutes(5), Instrument::Viirs);
        assert!(f
            .check(&later)
            .unwrap()
            .starts_with(&format!("silence:{b}:")));
        // Data acquired before the early end is still held back by the older one.
        let earlier = detection(116.0075, t - Duration::minutes(5), Instrument::Viirs);
        assert!(f
            .check(&earlier)
            .unwrap()
            .starts_with(&format!("silence:{a}:")));
    }
}
