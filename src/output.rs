//! How alerts are printed: a table for people, JSON, GeoJSON and CSV for tools.

use anyhow::Result;
use burnwatch_store::AlertView;
use chrono::{DateTime, FixedOffset, Utc};
use clap::ValueEnum;
use std::io::Write;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Geojson,
    Csv,
}

/// China has one time zone and no daylight saving: Asia/Shanghai is UTC+8 all year.
pub fn local_time(t: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    t.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()
}

pub fn write_alerts(out: &mut impl Write, alerts: &[AlertView], format: Format) -> Result<()> {
    match format {
        Format::Table => table(out, alerts),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, alerts)?;
            writeln!(out)?;
            Ok(())
        }
        Format::Geojson => {
            serde_json::to_writer_pretty(&mut *out, &feature_collection(alerts))?;
            writeln!(out)?;
            Ok(())
        }
        Format::Csv => csv(out, alerts),
    }
}

fn table(out: &mut impl Write, alerts: &[AlertView]) -> Result<()> {
    if alerts.is_empty() {
        writeln!(out, "no alerts")?;
        return Ok(());
    }
    // Grouped by owning township: this is what each patrol queue holds.
    let mut sorted: Vec<&AlertView> = alerts.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.county_id, &a.region_id)
            .cmp(&(&b.county_id, &b.region_id))
            .then(b.last_seen.cmp(&a.last_seen))
    });
    let mut current: Option<(&Option<String>, &Option<String>)> = None;
    for a in sorted {
        if current != Some((&a.county_id, &a.region_id)) {
            current = Some((&a.county_id, &a.region_id));
            writeln!(
                out,
                "\n{} {} ({})",
                a.county_name.as_deref().unwrap_or("-"),
                a.region_name.as_deref().unwrap_or("(no township)"),
                a.region_id.as_deref().unwrap_or("-"),
            )?;
            writeln!(
                out,
                "  {:>5}  {:<10} {:<16}  {:>10} {:>9}  {:>6}  {:>7}  {:<7} {:>3}  sources / also shown to",
                "alert", "state", "seen (CST)", "lon", "lat", "r_km", "frp_mw", "conf", "n",
            )?;
        }
        writeln!(
            out,
            "  {:>5}  {:<10} {:<16}  {:>10.5} {:>9.5}  {:>6.2}  {:>7}  {:<7} {:>3}  {}{}",
            a.alert_id,
            a.state.as_str(),
            local_time(a.last_seen),
            a.lon,
            a.lat,
            a.search_radius_km,
            a.max_frp_mw
                .map(|f| format!("{f:.1}"))
                .unwrap_or_else(|| "-".into()),
            a.confidence.as_str(),
            a.cluster_size,
            a.sources.join("+"),
            if a.neighbours.is_empty() {
                String::new()
            } else {
                format!(" / {}", a.neighbours.join(","))
            }
        )?;
    }
    Ok(())
}

fn feature_collection(alerts: &[AlertView]) -> serde_json::Value {
    let features: Vec<serde_json::Value> = alerts
        .iter()
        .map(|a| {
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [a.lon, a.lat]},
                "properties": {
                    "alert_id": a.alert_id,
                    "event_id": a.event_id,
                    "state": a.state.as_str(),
                    "outcome": a.outcome.map(|o| o.as_str()),
                    "detection_ids": a.detection_ids,
                    "source": a.sources,
                    "acq_time_utc": a.last_seen.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    "first_seen_utc": a.first_seen.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    "frp_mw": a.max_frp_mw,
                    "confidence": a.confidence.as_str(),
                    "search_radius_km": a.search_radius_km,
                    "day_night": a.day_night,
                    "county_code": a.county_id,
                    "county_name": a.county_name,
                    "township_code": a.region_id,
                    "township_name": a.region_name,
                    "also_shown_to": a.neighbours,
                    "cluster_size": a.cluster_size,
                }
            })
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

fn csv(out: &mut impl Write, alerts: &[AlertView]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "alert_id",
        "state",
        "outcome",
        "county_code",
        "county_name",
        "township_code",
        "township_name",
        "lon",
        "lat",
        "search_radius_km",
        "first_seen_utc",
        "last_seen_utc",
        "frp_mw",
        "confidence",
        "cluster_size",
        "sources",
        "also_shown_to",
    ])?;
    for a in alerts {
        w.write_record([
            a.alert_id.to_string(),
            a.state.as_str().into(),
            a.outcome.map(|o| o.as_str()).unwrap_or_default().into(),
            a.county_id.clone().unwrap_or_default(),
            a.county_name.clone().unwrap_or_default(),
            a.region_id.clone().unwrap_or_default(),
            a.region_name.clone().unwrap_or_default(),
            format!("{:.6}", a.lon),
            format!("{:.6}", a.lat),
            format!("{:.3}", a.search_radius_km),
            a.first_seen.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            a.last_seen.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            a.max_frp_mw.map(|f| format!("{f:.2}")).unwrap_or_default(),
            a.confidence.as_str().into(),
            a.cluster_size.to_string(),
            a.sources.join("+"),
            a.neighbours.join(" "),
        ])?;
    }
    w.flush()?;
    Ok(())
}
