//! Boxes in frame pixels: what every detector (colour rules, thermal contextual test, ONNX model)
//! hands to temporal confirmation, plus IoU, NMS and connected components.

use serde::{Deserialize, Serialize};

/// What a box shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FireClass {
    Fire,
    Smoke,
}

impl FireClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FireClass::Fire => "fire",
            FireClass::Smoke => "smoke",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "fire" | "flame" => Some(Self::Fire),
            "smoke" => Some(Self::Smoke),
            _ => None,
        }
    }
}

/// One detection in one frame; corners in pixels, x0 < x1, y0 < y1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameBox {
    pub class: FireClass,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    /// 0–1.
    pub score: f32,
    /// Thermal frames: the hottest apparent temperature in the box, K.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_temp_k: Option<f32>,
}

impl FrameBox {
    pub fn area(&self) -> f32 {
        (self.x1 - self.x0).max(0.0) * (self.y1 - self.y0).max(0.0)
    }

    pub fn centre(&self) -> (f32, f32) {
        (0.5 * (self.x0 + self.x1), 0.5 * (self.y0 + self.y1))
    }

    pub fn iou(&self, other: &FrameBox) -> f32 {
        let w = (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0);
        let h = (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0);
        let inter = w * h;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// Same object in two frames: overlapping enough, or (for boxes of a few pixels, where one
    /// pixel of jitter kills the IoU) centres within a box size of each other.
    pub fn matches(&self, other: &FrameBox, iou: f32) -> bool {
        if self.class != other.class {
            return false;
        }
        if self.iou(other) >= iou {
            return true;
        }
        let (ax, ay) = self.centre();
        let (bx, by) = other.centre();
        let size = (self.x1 - self.x0)
            .max(self.y1 - self.y0)
            .max(other.x1 - other.x0)
            .max(other.y1 - other.y0)
            .max(2.0);
        size <= 16.0 && (ax - bx).abs() <= size && (ay - by).abs() <= size
    }
}

/// Greedy non-maximum suppression per class: the best-scoring box wins, boxes overlapping it by
/// more than `iou` go.
pub fn nms(mut boxes: Vec<FrameBox>, iou: f32) -> Vec<FrameBox> {
    boxes.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<FrameBox> = Vec::with_capacity(boxes.len().min(64));
    for b in boxes {
        if kept.iter().all(|k| k.class != b.class || k.iou(&b) <= iou) {
            kept.push(b);
        }
    }
    kept
}

/// A connected region of set cells in a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Bounding cells, inclusive.
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
    pub cells: usize,
    /// Index (y·width + x) of the cell where `weight` was largest.
    pub peak: usize,
}

/// 8-connected components of `mask` (row-major, `width` wide), each with its bounding box, size,
/// and the cell where `weight` peaks. An explicit stack keeps a frame-sized blob from
/// overflowing the call stack.
pub fn components(mask: &[bool], width: usize, weight: &dyn Fn(usize) -> f32) -> Vec<Component> {
    let height = mask.len().checked_div(width).unwrap_or(0);
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (sx, sy) = (start % width, start / width);
        let mut c = Component {
            x0: sx,
            y0: sy,
            x1: sx,
            y1: sy,
            cells: 0,
            peak: start,
        };
        let mut best = f32::NEG_INFINITY;
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            c.cells += 1;
            c.x0 = c.x0.min(x);
            c.x1 = c.x1.max(x);
            c.y0 = c.y0.min(y);
            c.y1 = c.y1.max(y);
            let w = weight(i);
            if w > best {
                best = w;
                c.peak = i;
            }
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= width as i64 || ny >= height as i64 {
                        continue;
                    }
                    let j = ny as usize * width + nx as usize;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(class: FireClass, x0: f32, y0: f32, x1: f32, y1: f32, score: f32) -> FrameBox {
        FrameBox {
            class,
            x0,
            y0,
            x1,
            y1,
            score,
            max_temp_k: None,
        }
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes_per_class() {
        let kept = nms(
            vec![
                b(FireClass::Fire, 0.0, 0.0, 10.0, 10.0, 0.6),
                b(FireClass::Fire, 1.0, 1.0, 11.0, 11.0, 0.9),
                b(FireClass::Smoke, 1.0, 1.0, 11.0, 11.0, 0.5),
                b(FireClass::Fire, 50.0, 50.0, 60.0, 60.0, 0.3),
            ],
            0.45,
        );
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0].score, 0.9);
        assert!(kept.iter().any(|k| k.class == FireClass::Smoke));
    }

    #[test]
    fn components_are_eight_connected_with_their_peak() {
        #[rustfmt::skip]
        let grid = [
            1, 0, 0, 0,
            0, 1, 0, 1,
            0, 0, 0, 1,
        ];
        let mask: Vec<bool> = grid.iter().map(|&g| g == 1).collect();
        let weight = |i: usize| i as f32;
        let mut comps = components(&mask, 4, &weight);
        comps.sort_by_key(|c| c.x0);
        assert_eq!(comps.len(), 2);
        assert_eq!(
            (comps[0].cells, comps[0].x1, comps[0].y1, comps[0].peak),
            (2, 1, 1, 5)
        );
        assert_eq!(
            (comps[1].cells, comps[1].x0, comps[1].y0, comps[1].peak),
            (2, 3, 1, 11)
        );
    }

    #[test]
    fn tiny_boxes_match_by_centre_despite_jitter() {
        let a = b(FireClass::Fire, 100.0, 100.0, 102.0, 102.0, 0.5);
        let moved = b(FireClass::Fire, 101.5, 100.5, 103.5, 102.5, 0.5);
        assert!(a.iou(&moved) < 0.3);
        assert!(a.matches(&moved, 0.3));
        let far = b(FireClass::Fire, 140.0, 100.0, 142.0, 102.0, 0.5);
        assert!(!a.matches(&far, 0.3));
    }
}
