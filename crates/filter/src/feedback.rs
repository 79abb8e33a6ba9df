//! The feedback loop: when patrols verify alerts at the same place as "industrial_heat" again and
//! again, that place is proposed as a registry candidate (origin "feedback"), with the alerts as
//! evidence. As with learned places, nothing is held back until an operator approves it.

use crate::learn::{local_date, LearnedPlace};
use burnwatch_core::filter_config::FilterConfig;
use burnwatch_core::geodesy::haversine_km;
use burnwatch_core::Seasons;
use burnwatch_store::{CandidateEvidence, HistoryPoint, IndustrialVerification};
use chrono::Datelike;
use std::collections::BTreeSet;

/// Groups verifications whose events lie within `feedback.radius_km` of one another (single
/// linkage) and returns each group with at least `feedback.min_reports` alerts as a place.
pub fn places(
    verified: &[IndustrialVerification],
    config: &FilterConfig,
    seasons: &Seasons,
) -> Vec<LearnedPlace> {
    let radius = config.feedback.radius_km;
    let mut group: Vec<usize> = (0..verified.len()).collect();
    fn root(g: &mut [usize], mut i: usize) -> usize {
        while g[i] != i {
            g[i] = g[g[i]];
            i = g[i];
        }
        i
    }
    for i in 0..verified.len() {
        for j in i + 1..verified.len() {
            let (a, b) = (&verified[i], &verified[j]);
            if haversine_km(a.lon, a.lat, b.lon, b.lat) <= radius {
                let (ra, rb) = (root(&mut group, i), root(&mut group, j));
                group[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let roots: Vec<usize> = (0..verified.len()).map(|i| root(&mut group, i)).collect();
    let mut places = Vec::new();
    let mut done = BTreeSet::new();
    for i in 0..verified.len() {
        let r = roots[i];
        if !done.insert(r) {
            continue;
        }
        let members: Vec<&IndustrialVerification> = (0..verified.len())
            .filter(|&k| roots[k] == r)
            .map(|k| &verified[k])
            .collect();
        if members.len() < config.feedback.min_reports as usize {
            continue;
        }
        let n = members.len() as f64;
        let lon = members.iter().map(|m| m.lon).sum::<f64>() / n;
        let lat = members.iter().map(|m| m.lat).sum::<f64>() / n;
        let spread = members
            .iter()
            .map(|m| haversine_km(lon, lat, m.lon, m.lat))
            .fold(0.0, f64::max);
        let days: BTreeSet<_> = members.iter().map(|m| local_date(m.first_seen)).collect();
        let months: BTreeSet<_> = days.iter().map(|d| (d.year(), d.month())).collect();
        let night = members
            .iter()
            .filter(|m| {
                crate::learn::is_night(&HistoryPoint {
                    lon: m.lon,
                    lat: m.lat,
                    acq_time: m.first_seen,
                    day_night: None,
                })
            })
            .count();
        let off = members
            .iter()
            .filter(|m| !seasons.in_season(local_date(m.first_seen)))
            .count();
        let ids: Vec<i64> = members.iter().map(|m| m.alert_id).collect();
        places.push(LearnedPlace {
            lon,
            lat,
            buffer_km: (spread + 0.5 * radius)
                .clamp(config.learn.min_buffer_km, config.learn.max_buffer_km),
            evidence: CandidateEvidence {
                days: days.len() as i64,
                months: months.len() as i64,
                detections: members.len() as i64,
                night_share: night as f64 / n,
                off_season_share: off as f64 / n,
                score: n,
                first_seen: members.iter().map(|m| m.first_seen).min().expect("members"),
                last_seen: members
                    .iter()
                    .map(|m| m.verified_at)
                    .max()
                    .expect("members"),
                extra: Some(serde_json::json!({ "verified_alerts": ids }).to_string()),
            },
        });
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn v(id: i64, lon: f64, days: i64) -> IndustrialVerification {
        let t = Utc.with_ymd_and_hms(2025, 3, 1, 18, 0, 0).unwrap() + Duration::days(days);
        IndustrialVerification {
            alert_id: id,
            lon,
            lat: 35.0,
            first_seen: t,
            verified_at: t + Duration::hours(3),
        }
    }

    #[test]
    fn repeated_industrial_verifications_make_a_place() {
        let config = FilterConfig::default();
        // Two reports 300 m apart a month apart; one report elsewhere.
        let found = places(
            &[v(1, 116.0, 0), v(2, 116.2, 5), v(3, 116.0033, 30)],
            &config,
            &Seasons::default(),
        );
        assert_eq!(found.len(), 1);
        let p = &found[0];
        assert!((p.lon - 116.00165).abs() < 1e-6);
        assert_eq!((p.evidence.detections, p.evidence.days), (2, 2));
        assert_eq!(p.evidence.night_share, 1.0);
        assert!(p.evidence.extra.as_deref().unwrap().contains("[1,3]"));
    }
}
