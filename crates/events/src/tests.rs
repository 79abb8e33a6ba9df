use super::*;
use chrono::TimeZone;

fn params() -> Params {
    Params {
        cluster_radius_km: 0.8,
        attach_radius_km: 0.8,
        attach_window: Duration::hours(24),
    }
}

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, h, m, 0).unwrap()
}

/// A point `east_km` east and `north_km` north of (116.5E, 35.4N).
fn at(east_km: f64, north_km: f64) -> (f64, f64) {
    let lat = 35.4 + north_km / 111.195;
    let lon = 116.5 + east_km / (111.195 * 35.4f64.to_radians().cos());
    (lon, lat)
}

fn cand(east_km: f64, north_km: f64, frp: f64, time: DateTime<Utc>, pass: &str) -> Candidate {
    let (lon, lat) = at(east_km, north_km);
    Candidate {
        lon,
        lat,
        frp_mw: Some(frp),
        acq_time: time,
        search_radius_km: 0.265,
        pass_key: pass.into(),
    }
}

#[test]
fn a_chain_of_pixels_in_one_pass_is_one_event_represented_by_the_hottest() {
    // 0.7 km steps: each link is within 0.8 km, the ends are 2.1 km apart.
    let c = vec![
        cand(0.0, 0.0, 5.0, t(5, 0), "p1"),
        cand(0.7, 0.0, 20.0, t(5, 0), "p1"),
        cand(1.4, 0.0, 7.0, t(5, 0), "p1"),
        cand(2.1, 0.0, 3.0, t(5, 0), "p1"),
    ];
    let p = plan(&c, &[], &params());
    assert_eq!(p.new_events.len(), 1);
    assert!(p.assignments.iter().all(|a| *a == EventRef::New(0)));
    let s = &p.new_events[0].summary;
    assert_eq!(s.max_frp_mw, Some(20.0));
    assert_eq!((s.lon, s.lat), (c[1].lon, c[1].lat));
    // From the hottest pixel to the far end (1.4 km) plus that pixel's own footprint.
    assert!(
        (s.search_radius_km - (1.4 + 0.265)).abs() < 0.01,
        "{}",
        s.search_radius_km
    );
}

#[test]
fn pixels_farther_than_the_radius_are_separate_fires() {
    let c = vec![
        cand(0.0, 0.0, 5.0, t(5, 0), "p1"),
        cand(0.0, 0.81, 5.0, t(5, 0), "p1"),
    ];
    let p = plan(&c, &[], &params());
    assert_eq!(p.new_events.len(), 2);
}

#[test]
fn near_pixels_of_different_passes_in_one_batch_join_one_event() {
    let c = vec![
        cand(0.0, 0.0, 5.0, t(5, 0), "terra"),
        cand(0.3, 0.0, 9.0, t(13, 30), "aqua"),
    ];
    let p = plan(&c, &[], &params());
    assert_eq!(p.new_events.len(), 1);
    let s = &p.new_events[0].summary;
    assert_eq!((s.first_seen, s.last_seen), (t(5, 0), t(13, 30)));
    assert_eq!(s.detection_count, 2);
}

#[test]
fn a_later_pass_attaches_to_an_open_event_within_the_window_only() {
    let (lon, lat) = at(0.0, 0.0);
    let open = OpenEvent {
        id: 42,
        summary: EventSummary {
            first_seen: t(5, 0),
            last_seen: t(5, 0),
            lon,
            lat,
            max_frp_mw: Some(10.0),
            detection_count: 1,
            search_radius_km: 0.7,
        },
        members: vec![EventMember {
            lon,
            lat,
            frp_mw: Some(10.0),
            search_radius_km: 0.7,
            acq_time: t(5, 0),
        }],
    };
    let near = cand(0.5, 0.0, 30.0, t(18, 0), "npp");
    let p = plan(
        std::slice::from_ref(&near),
        std::slice::from_ref(&open),
        &params(),
    );
    assert_eq!(p.assignments, vec![EventRef::Existing(42)]);
    assert!(p.new_events.is_empty());
    let (id, s) = &p.updates[0];
    assert_eq!(*id, 42);
    assert_eq!(s.detection_count, 2);
    assert_eq!(s.max_frp_mw, Some(30.0));
    assert_eq!((s.lon, s.lat), (near.lon, near.lat));

    // Two days later the same field burns again: a new fire, a new alert.
    let mut late = near.clone();
    late.acq_time = t(5, 0) + Duration::hours(49);
    let p = plan(&[late], &[open], &params());
    assert_eq!(p.assignments, vec![EventRef::New(0)]);
}

#[test]
fn a_cluster_touching_two_events_joins_the_nearest() {
    let mk = |id: i64, east: f64| {
        let (lon, lat) = at(east, 0.0);
        OpenEvent {
            id,
            summary: EventSummary {
                first_seen: t(5, 0),
                last_seen: t(5, 0),
                lon,
                lat,
                max_frp_mw: None,
                detection_count: 1,
                search_radius_km: 0.5,
            },
            members: vec![EventMember {
                lon,
                lat,
                frp_mw: None,
                search_radius_km: 0.5,
                acq_time: t(5, 0),
            }],
        }
    };
    let open = vec![mk(1, 0.0), mk(2, 1.0)];
    let p = plan(&[cand(0.6, 0.0, 1.0, t(6, 0), "x")], &open, &params());
    assert_eq!(p.assignments, vec![EventRef::Existing(2)]);
}

#[test]
fn empty_input_plans_nothing() {
    let p = plan(&[], &[], &params());
    assert!(p.assignments.is_empty() && p.new_events.is_empty() && p.updates.is_empty());
}

#[test]
fn touching_wide_modis_pixels_are_one_fire_even_beyond_the_radius() {
    // Scan-edge MODIS pixels 2 km × 1.2 km: adjacent centres are 2 km apart.
    let sr = 0.5 * (2.0f64 * 2.0 + 1.2 * 1.2).sqrt();
    let mut a = cand(0.0, 0.0, 5.0, t(5, 0), "aqua");
    let mut b = cand(2.0, 0.0, 5.0, t(5, 0), "aqua");
    a.search_radius_km = sr;
    b.search_radius_km = sr;
    let p = plan(&[a.clone(), b], &[], &params());
    assert_eq!(p.new_events.len(), 1);
    // Two small VIIRS pixels 2 km apart are two fires.
    let p = plan(
        &[
            cand(0.0, 0.0, 5.0, t(5, 0), "npp"),
            cand(2.0, 0.0, 5.0, t(5, 0), "npp"),
        ],
        &[],
        &params(),
    );
    assert_eq!(p.new_events.len(), 2);
}

#[test]
fn a_coarse_geostationary_pixel_never_becomes_the_address() {
    let mut hima = cand(0.6, 0.0, 80.0, t(3, 0), "ahi");
    hima.search_radius_km = 1.37;
    let viirs = cand(0.0, 0.0, 12.0, t(3, 0), "npp");
    let p = plan(&[hima, viirs.clone()], &[], &params());
    assert_eq!(p.new_events.len(), 1);
    let s = &p.new_events[0].summary;
    assert_eq!((s.lon, s.lat), (viirs.lon, viirs.lat));
    assert_eq!(s.max_frp_mw, Some(80.0));
}
