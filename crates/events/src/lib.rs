//! One fire, one event. Several pixels of a pass, several passes, several satellites see the same
//! fire; each would be an alert of its own without this stage (docs/domain.md, problem 1).
//!
//! 1. Within one pass (same instrument, satellite and acquisition minute) pixels belong together,
//!    transitively, when they are closer than the cluster radius or their footprints touch (a
//!    1 km MODIS pixel at the scan edge is 2 km wide: its neighbour's centre is 2 km away).
//! 2. Clusters are taken in time order; a cluster within the attach radius of an event's member
//!    pixel (or whose footprint touches it), and within the time window of the event's span,
//!    joins that event (the nearest one); otherwise it starts a new event, which later clusters
//!    of the same batch may join.
//! 3. An event is represented by its highest-FRP pixel among its finest-resolution pixels; its
//!    search radius covers every member pixel's footprint.

use burnwatch_core::event::{EventMember, EventRef, EventSummary, OpenEvent};
use burnwatch_core::geodesy::{haversine_km, km_to_degrees};
use chrono::{DateTime, Duration, Utc};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};
use std::collections::HashMap;

/// A new, routed, unsuppressed detection to place in an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub lon: f64,
    pub lat: f64,
    pub frp_mw: Option<f64>,
    pub acq_time: DateTime<Utc>,
    pub search_radius_km: f64,
    /// Detections with equal pass keys were acquired in one scan.
    pub pass_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub cluster_radius_km: f64,
    pub attach_radius_km: f64,
    pub attach_window: Duration,
}

/// A new event: its summary and which candidates formed it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEvent {
    pub summary: EventSummary,
    pub members: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// For each candidate, in input order.
    pub assignments: Vec<EventRef>,
    pub new_events: Vec<PlannedEvent>,
    /// Existing events that gained members, with their new summaries.
    pub updates: Vec<(i64, EventSummary)>,
}

type MemberPoint = GeomWithData<[f64; 2], usize>;
/// An event member in the search tree: (index of its event, its footprint's search radius).
type EventPoint = GeomWithData<[f64; 2], (usize, f64)>;

/// Two pixels are linked when closer than `radius_km` or when their footprints touch: each
/// pixel's search radius is half its diagonal, so touching pixels are at most the sum apart.
fn link_distance_km(radius_km: f64, a_search_km: f64, b_search_km: f64) -> f64 {
    radius_km.max(a_search_km + b_search_km)
}

struct Working {
    existing_id: Option<i64>,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    members: Vec<EventMember>,
    candidates: Vec<usize>,
}

/// Places candidates into events. Pure: the caller supplies the open events near the
/// candidates and stores the plan.
pub fn plan(candidates: &[Candidate], open: &[OpenEvent], params: &Params) -> Plan {
    let mut working: Vec<Working> = open
        .iter()
        .map(|e| Working {
            existing_id: Some(e.id),
            first_seen: e.summary.first_seen,
            last_seen: e.summary.last_seen,
            members: e.members.clone(),
            candidates: Vec::new(),
        })
        .collect();
    let mut tree: RTree<EventPoint> = RTree::bulk_load(
        working
            .iter()
            .enumerate()
            .flat_map(|(w, ev)| {
                ev.members
                    .iter()
                    .map(move |m| EventPoint::new([m.lon, m.lat], (w, m.search_radius_km)))
            })
            .collect(),
    );

    // The widest member footprint bounds how far a touching pixel's centre can be.
    let mut widest = working
        .iter()
        .flat_map(|ev| ev.members.iter().map(|m| m.search_radius_km))
        .fold(0.0, f64::max);
    let mut clusters = cluster_passes(candidates, params.cluster_radius_km);
    clusters.sort_by_key(|c| (c.iter().map(|&i| candidates[i].acq_time).min(), c[0]));

    let assignments = vec![EventRef::None; candidates.len()];
    for cluster in clusters {
        let t = candidates[cluster[0]].acq_time;
        let target = nearest_event(&tree, &working, candidates, &cluster, t, params, widest);
        let w = match target {
            Some(w) => w,
            None => {
                working.push(Working {
                    existing_id: None,
                    first_seen: t,
                    last_seen: t,
                    members: Vec::new(),
                    candidates: Vec::new(),
                });
                working.len() - 1
            }
        };
        let ev = &mut working[w];
        for &i in &cluster {
            let c = &candidates[i];
            ev.first_seen = ev.first_seen.min(c.acq_time);
            ev.last_seen = ev.last_seen.max(c.acq_time);
            ev.members.push(EventMember {
                lon: c.lon,
                lat: c.lat,
                frp_mw: c.frp_mw,
                search_radius_km: c.search_radius_km,
                acq_time: c.acq_time,
            });
            ev.candidates.push(i);
            tree.insert(EventPoint::new([c.lon, c.lat], (w, c.search_radius_km)));
            widest = widest.max(c.search_radius_km);
        }
    }

    let mut plan = Plan {
        assignments,
        new_events: Vec::new(),
        updates: Vec::new(),
    };
    for ev in working.into_iter().filter(|ev| !ev.candidates.is_empty()) {
        let summary = summarise(&ev);
        match ev.existing_id {
            Some(id) => {
                for &i in &ev.candidates {
                    plan.assignments[i] = EventRef::Existing(id);
                }
                plan.updates.push((id, summary));
            }
            None => {
                let n = plan.new_events.len();
                for &i in &ev.candidates {
                    plan.assignments[i] = EventRef::New(n);
                }
                plan.new_events.push(PlannedEvent {
                    summary,
                    members: ev.candidates,
                });
            }
        }
    }
    plan
}

/// Groups candidates by pass and links pixels within `radius_km`, transitively (union-find).
fn cluster_passes(candidates: &[Candidate], radius_km: f64) -> Vec<Vec<usize>> {
    let mut by_pass: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        by_pass.entry(c.pass_key.as_str()).or_default().push(i);
    }
    let mut parent: Vec<usize> = (0..candidates.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for members in by_pass.values() {
        let widest = members
            .iter()
            .map(|&i| candidates[i].search_radius_km)
            .fold(0.0, f64::max);
        let tree: RTree<MemberPoint> = RTree::bulk_load(
            members
                .iter()
                .map(|&i| MemberPoint::new([candidates[i].lon, candidates[i].lat], i))
                .collect(),
        );
        for &i in members {
            let c = &candidates[i];
            let reach = link_distance_km(radius_km, c.search_radius_km, widest);
            let (dlon, dlat) = km_to_degrees(reach, c.lat);
            let envelope =
                AABB::from_corners([c.lon - dlon, c.lat - dlat], [c.lon + dlon, c.lat + dlat]);
            for other in tree.locate_in_envelope(&envelope) {
                let j = other.data;
                let o = &candidates[j];
                let limit = link_distance_km(radius_km, c.search_radius_km, o.search_radius_km);
                if j != i && haversine_km(c.lon, c.lat, o.lon, o.lat) <= limit {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..candidates.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The event a cluster should join: the one with the closest member pixel within the attach
/// radius whose time span, widened by the window, covers the cluster's time.
fn nearest_event(
    tree: &RTree<EventPoint>,
    working: &[Working],
    candidates: &[Candidate],
    cluster: &[usize],
    t: DateTime<Utc>,
    params: &Params,
    widest_member_km: f64,
) -> Option<usize> {
    let mut best: Option<(f64, usize)> = None;
    for &i in cluster {
        let c = &candidates[i];
        let reach = link_distance_km(
            params.attach_radius_km,
            c.search_radius_km,
            widest_member_km,
        );
        let (dlon, dlat) = km_to_degrees(reach, c.lat);
        let envelope =
            AABB::from_corners([c.lon - dlon, c.lat - dlat], [c.lon + dlon, c.lat + dlat]);
        for p in tree.locate_in_envelope(&envelope) {
            let (w, member_km) = p.data;
            let ev = &working[w];
            let in_window = t >= ev.first_seen - params.attach_window
                && t <= ev.last_seen + params.attach_window;
            if !in_window {
                continue;
            }
            let d = haversine_km(c.lon, c.lat, p.geom()[0], p.geom()[1]);
            let limit = link_distance_km(params.attach_radius_km, c.search_radius_km, member_km);
            if d <= limit && best.is_none_or(|(bd, bw)| (d, w) < (bd, bw)) {
                best = Some((d, w));
            }
        }
    }
    best.map(|(_, w)| w)
}

fn summarise(ev: &Working) -> EventSummary {
    // The patrol is sent to the representative pixel, so it must be among the finest pixels that
    // saw the fire (a 2 km Himawari pixel's centre is a poor address when a 375 m VIIRS pixel
    // exists); among those, the highest FRP marks the fire's core; without FRP, the earliest.
    let finest = ev
        .members
        .iter()
        .map(|m| m.search_radius_km)
        .fold(f64::INFINITY, f64::min);
    let rep = ev
        .members
        .iter()
        .filter(|m| m.search_radius_km <= finest * 1.5)
        .max_by(|a, b| {
            let fa = a.frp_mw.unwrap_or(f64::NEG_INFINITY);
            let fb = b.frp_mw.unwrap_or(f64::NEG_INFINITY);
            fa.total_cmp(&fb).then(b.acq_time.cmp(&a.acq_time))
        })
        .expect("an event has members");
    let search_radius_km = ev
        .members
        .iter()
        .map(|m| haversine_km(rep.lon, rep.lat, m.lon, m.lat) + m.search_radius_km)
        .fold(0.0, f64::max);
    EventSummary {
        first_seen: ev.first_seen,
        last_seen: ev.last_seen,
        lon: rep.lon,
        lat: rep.lat,
        max_frp_mw: ev.members.iter().filter_map(|m| m.frp_mw).reduce(f64::max),
        detection_count: ev.members.len() as i64,
        search_radius_km,
    }
}

#[cfg(test)]
mod tests;
