//! Observations of several cameras → located fires. An observation waits up to `hold_secs` for
//! another camera (at least `min_baseline_m` away, within `window_secs`) whose bearing crosses
//! it in front of both, within range and at a usable angle; then all such bearings are
//! intersected. An observation nobody else confirms in time is located by its own ground
//! estimate (or dropped with a reason when its ray never meets the ground).

use crate::boxes::FireClass;
use crate::geometry::inverse;
use crate::locate::Observation;
use crate::triangulate::{crossing_angle, triangulate, Bearing, Intersection};
use burnwatch_core::daemon_config::FusionConfig;
use burnwatch_core::{ConfidenceClass, Detection, Instrument, SourceKind};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The key a camera-fire file carries: what the pipeline recognises it by.
pub const FILE_MARKER: &str = "burnwatch_camera_fire";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocateMethod {
    Triangulated,
    SingleCamera,
}

/// A camera fire with a place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocatedFire {
    pub method: LocateMethod,
    pub lon: f64,
    pub lat: f64,
    /// The newest observation's time.
    pub at: DateTime<Utc>,
    pub class: FireClass,
    pub score: f32,
    /// Full extents of the area to search, km (along the major and minor axes).
    pub along_km: f64,
    pub across_km: f64,
    /// Triangulated: the widest crossing angle, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub angle_deg: Option<f64>,
    pub observations: Vec<Observation>,
}

impl LocatedFire {
    /// The evidence's identity: the frames (by hash) that located it. Landing the same fire
    /// twice, from a re-sent file or a restart, adds nothing.
    pub fn key(&self) -> String {
        let mut shas: Vec<&str> = self
            .observations
            .iter()
            .map(|o| o.frame_sha256.as_str())
            .collect();
        shas.sort_unstable();
        shas.dedup();
        let mut h = Sha256::new();
        h.update(format!("{:?}", self.method));
        for s in shas {
            h.update(s.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn cameras(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .observations
            .iter()
            .map(|o| o.camera.id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The normalised detection: `satellite` names the cameras, the footprint is the search
    /// area (so the search radius covers the whole uncertainty), thermal frames give their
    /// hottest apparent temperature as the thermal-band brightness.
    pub fn to_detection(&self) -> Detection {
        let confidence = if self.score >= 0.8 {
            ConfidenceClass::High
        } else if self.score >= 0.5 {
            ConfidenceClass::Nominal
        } else {
            ConfidenceClass::Low
        };
        Detection {
            source: SourceKind::Camera,
            instrument: Instrument::Camera,
            satellite: format!("camera:{}", self.cameras().join("+")),
            acq_time: self.at,
            lon: self.lon,
            lat: self.lat,
            frp_mw: None,
            confidence,
            confidence_raw: Some(format!("{:.2} {}", self.score, self.class.as_str())),
            day_night: None,
            scan_km: Some(self.along_km.max(0.01)),
            track_km: Some(self.across_km.max(0.01)),
            firms_type: None,
            bright_t4_k: None,
            bright_t11_k: self
                .observations
                .iter()
                .filter_map(|o| o.max_temp_k)
                .reduce(f32::max)
                .map(f64::from),
        }
    }

    /// The file the daemon deposits for the pipeline: marker, key, detections, and the whole
    /// located fire for audit.
    pub fn to_file_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&serde_json::json!({
            FILE_MARKER: 1,
            "key": self.key(),
            "detections": [self.to_detection()],
            "fire": self,
        }))
        .expect("a located fire serialises")
    }
}

/// Why an observation produced no located fire.
#[derive(Debug, Clone, PartialEq)]
pub struct Unlocated {
    pub camera: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Pending {
    obs: Observation,
    received: DateTime<Utc>,
    used: bool,
}

#[derive(Debug, Clone)]
pub struct Fusion {
    config: FusionConfig,
    pending: Vec<Pending>,
}

/// Output of one fusion step.
#[derive(Debug, Clone, Default)]
pub struct FusionOutput {
    pub fires: Vec<LocatedFire>,
    pub unlocated: Vec<Unlocated>,
}

fn bearing(o: &Observation) -> Bearing {
    Bearing {
        lon: o.camera.lon,
        lat: o.camera.lat,
        azimuth_deg: o.azimuth_deg,
        sigma_deg: o.sigma_az_deg,
        max_range_m: o.camera.max_range_m,
    }
}

impl Fusion {
    pub fn new(config: FusionConfig) -> Self {
        Self {
            config,
            pending: Vec::new(),
        }
    }

    /// Takes a new observation (received at `now`) and returns what it located.
    pub fn push(&mut self, obs: Observation, now: DateTime<Utc>) -> FusionOutput {
        let window = Duration::milliseconds((self.config.window_secs * 1000.0) as i64);
        self.pending
            .retain(|p| (now - p.received) <= window && (obs.at - p.obs.at).abs() <= window);
        let mut out = FusionOutput::default();
        // The newest usable observation of every other camera whose bearing crosses this one.
        let mut partners: Vec<usize> = Vec::new();
        for (i, p) in self.pending.iter().enumerate().rev() {
            let o = &p.obs;
            if o.camera.id == obs.camera.id
                || partners
                    .iter()
                    .any(|&j| self.pending[j].obs.camera.id == o.camera.id)
                || (o.at - obs.at).abs() > window
            {
                continue;
            }
            let (baseline, _, _) =
                inverse(o.camera.lon, o.camera.lat, obs.camera.lon, obs.camera.lat);
            if baseline < self.config.min_baseline_m {
                continue;
            }
            if crossing_angle(o.azimuth_deg, obs.azimuth_deg) < self.config.min_angle_deg {
                continue;
            }
            if triangulate(&[bearing(&obs), bearing(o)], self.config.min_angle_deg).is_ok() {
                partners.push(i);
            }
        }
        if !partners.is_empty() {
            let mut group: Vec<Observation> = vec![obs.clone()];
            group.extend(partners.iter().map(|&i| self.pending[i].obs.clone()));
            let bearings: Vec<Bearing> = group.iter().map(bearing).collect();
            // All together, or (when a third bearing disagrees) the best pair.
            let solved = triangulate(&bearings, self.config.min_angle_deg)
                .map(|x| (x, group.clone()))
                .or_else(|_| {
                    let o = &self.pending[partners[0]].obs;
                    triangulate(&[bearing(&obs), bearing(o)], self.config.min_angle_deg)
                        .map(|x| (x, vec![obs.clone(), o.clone()]))
                });
            if let Ok((x, used)) = solved {
                for &i in &partners {
                    if used
                        .iter()
                        .any(|u| u.frame_sha256 == self.pending[i].obs.frame_sha256)
                    {
                        self.pending[i].used = true;
                    }
                }
                self.pending.push(Pending {
                    obs,
                    received: now,
                    used: true,
                });
                out.fires.push(triangulated(x, used));
                return out;
            }
        }
        self.pending.push(Pending {
            obs,
            received: now,
            used: false,
        });
        out
    }

    /// Locates, by their own ground estimate, the observations that waited `hold_secs` for a
    /// second camera in vain.
    pub fn expire(&mut self, now: DateTime<Utc>) -> FusionOutput {
        let hold = Duration::milliseconds((self.config.hold_secs * 1000.0) as i64);
        let mut out = FusionOutput::default();
        for p in &mut self.pending {
            if p.used || now - p.received < hold {
                continue;
            }
            p.used = true;
            match &p.obs.ground {
                Some(g) => out.fires.push(LocatedFire {
                    method: LocateMethod::SingleCamera,
                    lon: g.lon,
                    lat: g.lat,
                    at: p.obs.at,
                    class: p.obs.class,
                    score: p.obs.score,
                    along_km: g.along_km,
                    across_km: g.across_km,
                    angle_deg: None,
                    observations: vec![p.obs.clone()],
                }),
                None => out.unlocated.push(Unlocated {
                    camera: p.obs.camera.id.clone(),
                    reason: format!(
                        "bearing {:.1}° seen by one camera only, and {}",
                        p.obs.azimuth_deg,
                        p.obs
                            .ground_error
                            .as_deref()
                            .unwrap_or("no ground estimate")
                    ),
                }),
            }
        }
        out
    }
}

fn triangulated(x: Intersection, observations: Vec<Observation>) -> LocatedFire {
    let at = observations.iter().map(|o| o.at).max().expect("non-empty");
    let class = if observations.iter().any(|o| o.class == FireClass::Fire) {
        FireClass::Fire
    } else {
        FireClass::Smoke
    };
    let score = observations.iter().map(|o| o.score).sum::<f32>() / observations.len() as f32;
    // ±2σ along both axes of the error ellipse; never tighter than the pixel's own footprint
    // at that range (a fire is not a point).
    let footprint = observations
        .iter()
        .zip(&x.ranges_m)
        .map(|(o, r)| r * (o.pose.hfov_deg / o.frame_size[0] as f64).to_radians())
        .fold(0.0, f64::max);
    LocatedFire {
        method: LocateMethod::Triangulated,
        lon: x.lon,
        lat: x.lat,
        at,
        class,
        score,
        along_km: (4.0 * x.sigma_major_m).max(footprint) / 1000.0,
        across_km: (4.0 * x.sigma_minor_m).max(footprint) / 1000.0,
        angle_deg: Some(x.angle_deg),
        observations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::destination;
    use crate::geometry::Pose;
    use crate::locate::{CameraSite, GroundEstimate};
    use chrono::TimeZone;

    fn obs(id: &str, lon: f64, lat: f64, fire: (f64, f64), at: i64) -> Observation {
        let (d, az, _) = inverse(lon, lat, fire.0, fire.1);
        let (glon, glat) = destination(lon, lat, az, d * 1.3);
        Observation {
            camera: CameraSite {
                id: id.into(),
                lon,
                lat,
                height_m: 40.0,
                pan_sigma_deg: 0.2,
                tilt_sigma_deg: 0.1,
                max_range_m: 20_000.0,
            },
            at: Utc.with_ymd_and_hms(2025, 6, 10, 3, 0, 0).unwrap() + Duration::seconds(at),
            frame_sha256: format!("{id}{at}"),
            class: FireClass::Fire,
            score: 0.8,
            max_temp_k: None,
            pose: Pose {
                pan_deg: az,
                tilt_deg: -1.0,
                hfov_deg: 50.0,
                vfov_deg: 30.0,
            },
            frame_size: [1920, 1080],
            pixel_box: [950.0, 600.0, 970.0, 620.0],
            azimuth_deg: az,
            elevation_deg: -0.5,
            sigma_az_deg: 0.2,
            sigma_el_deg: 0.1,
            ground: Some(GroundEstimate {
                nominal_m: d * 1.3,
                near_m: d * 0.8,
                far_m: d * 1.8,
                lon: glon,
                lat: glat,
                along_km: d / 1000.0,
                across_km: 0.1,
            }),
            ground_error: None,
        }
    }

    fn now(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 10, 3, 0, 0).unwrap() + Duration::seconds(s)
    }

    #[test]
    fn two_cameras_triangulate_one_alone_waits_then_uses_its_ground_estimate() {
        let fire = (116.61, 35.14);
        let mut f = Fusion::new(FusionConfig::default());
        assert!(f
            .push(obs("a", 116.52, 35.08, fire, 0), now(1))
            .fires
            .is_empty());
        let out = f.push(obs("b", 116.70, 35.07, fire, 20), now(21));
        assert_eq!(out.fires.len(), 1);
        let x = &out.fires[0];
        assert_eq!(x.method, LocateMethod::Triangulated);
        assert_eq!(x.cameras(), vec!["a", "b"]);
        assert!(inverse(fire.0, fire.1, x.lon, x.lat).0 < 1.0);
        let d = x.to_detection();
        assert_eq!(
            (d.source, d.instrument),
            (SourceKind::Camera, Instrument::Camera)
        );
        assert_eq!(d.satellite, "camera:a+b");
        assert!(d.search_radius_km() < 0.5, "{}", d.search_radius_km());
        // Both were used: nothing is located again by a single camera.
        assert!(f.expire(now(1000)).fires.is_empty());

        // A camera alone: after the hold time its own (wide) ground estimate.
        let mut f = Fusion::new(FusionConfig::default());
        f.push(obs("a", 116.52, 35.08, fire, 0), now(0));
        assert!(f.expire(now(60)).fires.is_empty());
        let out = f.expire(now(121));
        assert_eq!(out.fires.len(), 1);
        assert_eq!(out.fires[0].method, LocateMethod::SingleCamera);
        assert!(out.fires[0].to_detection().search_radius_km() > 1.0);
    }

    #[test]
    fn cameras_too_close_together_do_not_triangulate() {
        let fire = (116.61, 35.14);
        let mut f = Fusion::new(FusionConfig::default());
        f.push(obs("a", 116.52, 35.08, fire, 0), now(0));
        // 50 m from "a": no independent bearing.
        let out = f.push(obs("b", 116.5205, 35.0803, fire, 10), now(10));
        assert!(out.fires.is_empty());
        assert_eq!(f.expire(now(500)).fires.len(), 2);
    }

    #[test]
    fn the_key_is_the_frames_not_the_order() {
        let fire = (116.61, 35.14);
        let a = obs("a", 116.52, 35.08, fire, 0);
        let b = obs("b", 116.70, 35.07, fire, 20);
        let mut f1 = Fusion::new(FusionConfig::default());
        f1.push(a.clone(), now(0));
        let x1 = f1.push(b.clone(), now(20)).fires.remove(0);
        let mut f2 = Fusion::new(FusionConfig::default());
        f2.push(b, now(0));
        let x2 = f2.push(a, now(20)).fires.remove(0);
        assert_eq!(x1.key(), x2.key());
        let json: serde_json::Value = serde_json::from_slice(&x1.to_file_json()).unwrap();
        assert_eq!(json[FILE_MARKER], 1);
        assert_eq!(json["detections"][0]["source"], "camera");
    }
}
