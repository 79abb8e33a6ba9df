//! Temporal confirmation: one glint or one passing truck raises nothing. The boxes of the last n
//! frames of one camera at one pose are pooled; a box of the newest frame is a fire when a
//! matching box was seen in at least half of those n frames with a high enough mean score —
//! a lower score while that fire is already reported (an alert is open), as Pyronear does.

use crate::boxes::FrameBox;
use crate::geometry::Pose;
use crate::profile::ConfirmParams;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};

/// Frames at the same pan, tilt and field of view (to 0.1°) are the same view of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoseKey(i64, i64, i64);

impl PoseKey {
    pub fn of(p: &Pose) -> Self {
        let q = |v: f64| (v * 10.0).round() as i64;
        Self(q(p.pan_deg.rem_euclid(360.0)), q(p.tilt_deg), q(p.hfov_deg))
    }
}

#[derive(Debug, Clone)]
struct Seen {
    at: DateTime<Utc>,
    boxes: Vec<FrameBox>,
}

/// What one frame changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// Boxes of this frame that are confirmed fires, with their mean score.
    pub confirmed: Vec<FrameBox>,
    /// Those to report now: newly confirmed, or still burning `repeat_secs` after the last report.
    pub report: Vec<FrameBox>,
}

#[derive(Debug, Clone)]
pub struct Tracker {
    params: ConfirmParams,
    history: HashMap<PoseKey, VecDeque<Seen>>,
    reported: HashMap<PoseKey, Vec<(FrameBox, DateTime<Utc>)>>,
}

impl Tracker {
    pub fn new(params: ConfirmParams) -> Self {
        Self {
            params,
            history: HashMap::new(),
            reported: HashMap::new(),
        }
    }

    pub fn params(&self) -> &ConfirmParams {
        &self.params
    }

    /// Adds one frame's boxes and says which are confirmed fires.
    pub fn update(&mut self, pose: PoseKey, at: DateTime<Utc>, boxes: Vec<FrameBox>) -> Update {
        let p = &self.params;
        let stale = at - Duration::milliseconds((p.alert_hold_secs * 1000.0) as i64);
        let history = self.history.entry(pose).or_default();
        // A view not seen for a long time starts afresh: its old frames say nothing about now.
        history.retain(|s| s.at >= stale);
        history.push_back(Seen { at, boxes });
        while history.len() > p.frames {
            history.pop_front();
        }
        let needed = (p.min_fraction * p.frames as f32).ceil().max(1.0) as usize;
        let reported = self.reported.entry(pose).or_default();
        reported.retain(|(_, t)| *t >= stale);

        let newest = &history.back().expect("just pushed").boxes;
        let mut update = Update::default();
        for b in newest {
            let mut seen = 0usize;
            let mut score_sum = 0f32;
            for frame in history.iter() {
                let best = frame
                    .boxes
                    .iter()
                    .filter(|o| b.matches(o, p.iou))
                    .map(|o| o.score)
                    .fold(None, |m: Option<f32>, s| Some(m.map_or(s, |m| m.max(s))));
                if let Some(s) = best {
                    seen += 1;
                    score_sum += s;
                }
            }
            let mean = score_sum / seen.max(1) as f32;
            let alert_open = reported.iter().any(|(r, _)| r.matches(b, p.iou));
            let threshold = if alert_open {
                p.open_alert_score
            } else {
                p.min_score
            };
            if seen < needed || mean < threshold {
                continue;
            }
            // Two boxes of this frame may match one earlier box: confirm each object once.
            if update
                .confirmed
                .iter()
                .any(|c: &FrameBox| c.matches(b, p.iou))
            {
                continue;
            }
            let confirmed = FrameBox { score: mean, ..*b };
            update.confirmed.push(confirmed);
            let repeat = at - Duration::milliseconds((p.repeat_secs * 1000.0) as i64);
            let recent = reported
                .iter()
                .any(|(r, t)| r.matches(b, p.iou) && *t > repeat);
            if !recent {
                update.report.push(confirmed);
            }
        }
        for r in &update.report {
            reported.retain(|(o, _)| !o.matches(r, p.iou));
            reported.push((*r, at));
        }
        update
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boxes::FireClass;
    use chrono::TimeZone;

    fn params() -> ConfirmParams {
        ConfirmParams {
            frames: 6,
            min_fraction: 0.5,
            min_score: 0.5,
            open_alert_score: 0.3,
            iou: 0.2,
            alert_hold_secs: 1800.0,
            repeat_secs: 600.0,
        }
    }

    fn fire(x: f32, score: f32) -> FrameBox {
        FrameBox {
            class: FireClass::Fire,
            x0: x,
            y0: 100.0,
            x1: x + 20.0,
            y1: 120.0,
            score,
            max_temp_k: None,
        }
    }

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 10, 3, 0, 0).unwrap() + Duration::seconds(s)
    }

    const POSE: PoseKey = PoseKey(1350, -20, 540);

    #[test]
    fn one_glint_raises_nothing_a_persisting_fire_is_confirmed_once() {
        let mut tr = Tracker::new(params());
        // A glint in one frame, then nothing.
        assert!(tr
            .update(POSE, t(0), vec![fire(300.0, 0.9)])
            .confirmed
            .is_empty());
        assert!(tr.update(POSE, t(30), vec![]).confirmed.is_empty());
        // A fire that flickers: seen in frames 3, 4, 6 → confirmed at the third sighting of six.
        assert!(tr
            .update(POSE, t(60), vec![fire(100.0, 0.7)])
            .report
            .is_empty());
        assert!(tr
            .update(POSE, t(90), vec![fire(102.0, 0.6)])
            .report
            .is_empty());
        assert!(tr.update(POSE, t(120), vec![]).report.is_empty());
        let u = tr.update(POSE, t(150), vec![fire(101.0, 0.8)]);
        assert_eq!(u.report.len(), 1);
        assert!((u.report[0].score - 0.7).abs() < 1e-6);
        // Still burning a minute later: confirmed, not reported again.
        let u = tr.update(POSE, t(180), vec![fire(101.0, 0.8)]);
        assert_eq!((u.confirmed.len(), u.report.len()), (1, 0));
        // Another pose has its own history.
        let other = PoseKey(900, -20, 540);
        assert!(tr
            .update(other, t(200), vec![fire(101.0, 0.9)])
            .confirmed
            .is_empty());
    }

    #[test]
    fn a_weak_fire_needs_an_open_alert() {
        let mut tr = Tracker::new(params());
        for k in 0..4 {
            let u = tr.update(POSE, t(30 * k), vec![fire(100.0, 0.4)]);
            assert!(u.confirmed.is_empty(), "0.4 < 0.5 without an open alert");
        }
        // A strong sighting history makes it reported…
        let mut tr = Tracker::new(params());
        for k in 0..3 {
            tr.update(POSE, t(30 * k), vec![fire(100.0, 0.9)]);
        }
        // …after which the same fire at 0.35 stays confirmed (open alert threshold 0.3).
        for k in 3..10 {
            let u = tr.update(POSE, t(30 * k), vec![fire(100.0, 0.35)]);
            assert_eq!(u.confirmed.len(), 1, "frame {k}");
        }
        // It is reported again once the repeat time has passed.
        let u = tr.update(POSE, t(30 * 9 + 700), vec![fire(100.0, 0.35)]);
        assert_eq!((u.confirmed.len(), u.report.len()), (1, 1));
    }
}
