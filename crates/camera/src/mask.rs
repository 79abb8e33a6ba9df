//! Per-camera masks: image regions that are always hot or bright (a chimney, a street lamp, a
//! factory roof). Detections inside them are dropped before they can pool into a fire.

use crate::geometry::Pose;
use crate::CameraError;
use burnwatch_core::daemon_config::CameraMask;

/// Pose tolerance for a mask tied to a preset, degrees.
const POSE_TOLERANCE_DEG: f64 = 0.5;

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Rect([f64; 4]),
    Polygon(Vec<[f64; 2]>),
}

#[derive(Debug, Clone, PartialEq)]
struct Region {
    shape: Shape,
    pose: Option<(f64, f64)>,
}

/// All masks of one camera.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Masks {
    regions: Vec<Region>,
}

/// The masks that apply to one frame.
#[derive(Debug, Clone, Copy)]
pub struct ActiveMasks<'a> {
    regions: &'a [Region],
    pose: Option<Pose>,
}

impl Masks {
    pub fn new(camera: &str, masks: &[CameraMask]) -> Result<Self, CameraError> {
        let bad = |i: usize, reason: &str| CameraError::Config {
            camera: camera.to_owned(),
            reason: format!("masks[{i}]: {reason}"),
        };
        let mut regions = Vec::new();
        for (i, m) in masks.iter().enumerate() {
            let shape = match (&m.rect, &m.polygon) {
                (Some(r), None) => {
                    if !(r[0] < r[2] && r[1] < r[3]) || r.iter().any(|v| !v.is_finite()) {
                        return Err(bad(
                            i,
                            "rect must be [x0, y0, x1, y1] with x0 < x1, y0 < y1",
                        ));
                    }
                    Shape::Rect(*r)
                }
                (None, Some(p)) => {
                    if p.len() < 3 || p.iter().flatten().any(|v| !v.is_finite()) {
                        return Err(bad(i, "a polygon needs at least 3 finite [x, y] points"));
                    }
                    Shape::Polygon(p.clone())
                }
                _ => return Err(bad(i, "give exactly one of rect or polygon")),
            };
            let pose = match (m.pan_deg, m.tilt_deg) {
                (Some(p), Some(t)) => Some((p, t)),
                (None, None) => None,
                _ => return Err(bad(i, "pan_deg and tilt_deg go together")),
            };
            regions.push(Region { shape, pose });
        }
        Ok(Self { regions })
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    pub fn active(&self, pose: Option<Pose>) -> ActiveMasks<'_> {
        ActiveMasks {
            regions: &self.regions,
            pose,
        }
    }
}

fn angle_diff(a: f64, b: f64) -> f64 {
    ((a - b + 540.0).rem_euclid(360.0) - 180.0).abs()
}

impl ActiveMasks<'_> {
    pub fn none() -> Self {
        ActiveMasks {
            regions: &[],
            pose: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// True when pixel (x, y) (continuous coordinates) lies in a mask that applies to this pose.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        self.regions.iter().any(|r| {
            let applies = match (r.pose, self.pose) {
                (None, _) => true,
                (Some((pan, tilt)), Some(p)) => {
                    angle_diff(pan, p.pan_deg) <= POSE_TOLERANCE_DEG
                        && (tilt - p.tilt_deg).abs() <= POSE_TOLERANCE_DEG
                }
                (Some(_), None) => false,
            };
            applies
                && match &r.shape {
                    Shape::Rect([x0, y0, x1, y1]) => x >= *x0 && x < *x1 && y >= *y0 && y < *y1,
                    Shape::Polygon(p) => inside(p, x, y),
                }
        })
    }
}

/// Even-odd ray casting.
fn inside(poly: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut c = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let ([xi, yi], [xj, yj]) = (poly[i], poly[j]);
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            c = !c;
        }
        j = i;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(
        rect: Option<[f64; 4]>,
        polygon: Option<Vec<[f64; 2]>>,
        pose: Option<(f64, f64)>,
    ) -> CameraMask {
        CameraMask {
            rect,
            polygon,
            reason: Some("chimney".into()),
            pan_deg: pose.map(|p| p.0),
            tilt_deg: pose.map(|p| p.1),
        }
    }

    #[test]
    fn rectangles_polygons_and_preset_bound_masks() {
        let m = Masks::new(
            "t",
            &[
                mask(Some([10.0, 10.0, 20.0, 20.0]), None, None),
                mask(
                    None,
                    Some(vec![[100.0, 0.0], [200.0, 0.0], [150.0, 100.0]]),
                    Some((90.0, -2.0)),
                ),
            ],
        )
        .unwrap();
        let at = |pan: f64| {
            Some(Pose {
                pan_deg: pan,
                tilt_deg: -2.0,
                hfov_deg: 50.0,
                vfov_deg: 30.0,
            })
        };
        let a = m.active(at(90.2));
        assert!(a.contains(15.0, 15.0) && !a.contains(25.0, 15.0));
        assert!(a.contains(150.0, 50.0) && !a.contains(110.0, 90.0));
        // At another preset the polygon is somewhere else in the picture.
        assert!(!m.active(at(135.0)).contains(150.0, 50.0));
        assert!(m.active(at(135.0)).contains(15.0, 15.0));
    }

    #[test]
    fn malformed_masks_are_refused() {
        assert!(Masks::new("t", &[mask(Some([5.0, 0.0, 1.0, 1.0]), None, None)]).is_err());
        assert!(Masks::new("t", &[mask(None, None, None)]).is_err());
        assert!(Masks::new("t", &[mask(None, Some(vec![[0.0, 0.0], [1.0, 1.0]]), None)]).is_err());
    }
}
