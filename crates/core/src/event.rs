//! Fire events: all detections of one fire, whichever pass, satellite or camera saw it.

use chrono::{DateTime, Utc};

/// A stored detection as the event builder needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMember {
    pub lon: f64,
    pub lat: f64,
    pub frp_mw: Option<f64>,
    pub search_radius_km: f64,
    pub acq_time: DateTime<Utc>,
}

/// An event that new detections may still join.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenEvent {
    pub id: i64,
    pub summary: EventSummary,
    pub members: Vec<EventMember>,
}

/// What an event looks like after a batch: its time span, its representative (highest-FRP)
/// pixel, and the radius the patrol must search to cover every member pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSummary {
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub lon: f64,
    pub lat: f64,
    pub max_frp_mw: Option<f64>,
    pub detection_count: i64,
    pub search_radius_km: f64,
}

/// Where a new detection goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRef {
    /// Held back by a filter, or outside every region: stored, but part of no event.
    None,
    Existing(i64),
    /// Index into the batch's new events.
    New(usize),
}
