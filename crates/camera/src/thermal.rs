//! Thermal frames: the satellite contextual idea on one band of temperatures. A pixel is a fire
//! when it is hot in absolute terms, or when it stands out from a background window that grows
//! until it holds enough valid pixels: T > Tb + k·δ and T − Tb > ΔT (δ = mean absolute
//! deviation). A sub-pixel fire reads far cooler than it burns, so the absolute floor is low and
//! the context does the work. Window sizes and thresholds come from the profile (same `[window]`
//! table as the satellite profiles).

use crate::boxes::{components, FireClass, FrameBox};
use crate::frame::ThermalFrame;
use crate::mask::ActiveMasks;
use crate::profile::ThermalProfile;
use burnwatch_detect::engine::ramp;

/// Background statistics of one pixel's window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    pub size: usize,
    pub n_valid: usize,
    pub mean_k: f32,
    pub mad_k: f32,
}

/// One fire pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HotPixel {
    pub x: u32,
    pub y: u32,
    pub temp_k: f32,
    pub background: Option<WindowStats>,
    pub absolute: bool,
    pub confidence: f32,
}

/// The frame's median from a 1-in-7 sample: the reference for "hotter than the scene".
fn median(values: &[f32]) -> f32 {
    let mut s: Vec<f32> = values
        .iter()
        .step_by(7)
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if s.is_empty() {
        return f32::NAN;
    }
    let mid = s.len() / 2;
    *s.select_nth_unstable_by(mid, f32::total_cmp).1
}

/// Fire pixels of a thermal frame.
pub fn hot_pixels(frame: &ThermalFrame, p: &ThermalProfile, masks: ActiveMasks) -> Vec<HotPixel> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let t = &frame.kelvin;
    let med = median(t);
    let floor = p.candidate_k.max(med + p.candidate_rise_k);
    // Candidates are also the pixels kept out of every background window.
    let candidate = |v: f32| v.is_finite() && v >= floor;
    let mut out = Vec::new();
    for y in 0..h {
        let row = &t[y * w..(y + 1) * w];
        if !row.iter().any(|&v| candidate(v)) {
            continue;
        }
        for (x, &v) in row.iter().enumerate() {
            if !candidate(v) || masks.contains(x as f64 + 0.5, y as f64 + 0.5) {
                continue;
            }
            let absolute = v >= p.absolute_k;
            let bg = background(t, w, h, x, y, p, &candidate);
            let (contextual, rise, z) = match bg {
                Some(b) => {
                    let mad = b.mad_k.max(p.mad_floor_k);
                    let rise = v - b.mean_k;
                    (
                        v > b.mean_k + p.rise_mad * mad && rise > p.rise_k,
                        rise,
                        rise / mad,
                    )
                }
                None => (false, 0.0, 0.0),
            };
            if !(absolute || contextual) {
                continue;
            }
            // Giglio-style confidence: the geometric mean of ramps on T, the rise and its z; an
            // absolute fire without a usable background is judged on T alone.
            let ct = ramp(v, p.confidence_temp_k[0], p.confidence_temp_k[1]);
            let confidence = if bg.is_some() && contextual {
                let cr = ramp(rise, p.confidence_rise_k[0], p.confidence_rise_k[1]);
                let cz = ramp(z, p.confidence_z[0], p.confidence_z[1]);
                (ct.max(0.01) * cr.max(0.01) * cz.max(0.01)).cbrt()
            } else {
                ct
            };
            out.push(HotPixel {
                x: x as u32,
                y: y as u32,
                temp_k: v,
                background: bg,
                absolute,
                confidence: if absolute {
                    confidence.max(ct)
                } else {
                    confidence
                },
            });
        }
    }
    out
}

/// Grows the window from `min_size` by 2 until it holds enough valid pixels (not candidates,
/// finite, outside the guard box); None when even `max_size` does not.
fn background(
    t: &[f32],
    w: usize,
    h: usize,
    x: usize,
    y: usize,
    p: &ThermalProfile,
    candidate: &dyn Fn(f32) -> bool,
) -> Option<WindowStats> {
    let win = &p.window;
    let (gx, gy) = (win.exclude_half_cols as i64, win.exclude_half_rows as i64);
    let mut values: Vec<f32> = Vec::with_capacity(win.max_size * win.max_size);
    let mut size = win.min_size;
    while size <= win.max_size {
        let half = (size / 2) as i64;
        values.clear();
        let mut n_window = 0usize;
        for yy in (y as i64 - half).max(0)..=(y as i64 + half).min(h as i64 - 1) {
            for xx in (x as i64 - half).max(0)..=(x as i64 + half).min(w as i64 - 1) {
                if (yy - y as i64).abs() <= gy && (xx - x as i64).abs() <= gx {
                    continue;
                }
                n_window += 1;
                let v = t[yy as usize * w + xx as usize];
                if !candidate(v) && v.is_finite() {
                    values.push(v);
                }
            }
        }
        let n = values.len();
        if n >= win.min_valid_count && n as f32 >= win.min_valid_fraction * n_window as f32 {
            let mean = values.iter().sum::<f32>() / n as f32;
            let mad = values.iter().map(|v| (v - mean).abs()).sum::<f32>() / n as f32;
            return Some(WindowStats {
                size,
                n_valid: n,
                mean_k: mean,
                mad_k: mad,
            });
        }
        size += 2;
    }
    None
}

/// Fire boxes of a thermal frame: connected fire pixels, scored by their best pixel.
pub fn detect(frame: &ThermalFrame, p: &ThermalProfile, masks: ActiveMasks) -> Vec<FrameBox> {
    let hot = hot_pixels(frame, p, masks);
    if hot.is_empty() {
        return Vec::new();
    }
    // Label on the bounding rectangle of the hot pixels only: fires are small.
    let x0 = hot.iter().map(|h| h.x).min().unwrap_or(0) as usize;
    let y0 = hot.iter().map(|h| h.y).min().unwrap_or(0) as usize;
    let x1 = hot.iter().map(|h| h.x).max().unwrap_or(0) as usize;
    let y1 = hot.iter().map(|h| h.y).max().unwrap_or(0) as usize;
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    let mut grid = vec![false; bw * bh];
    let mut conf = vec![0f32; bw * bh];
    let mut temp = vec![0f32; bw * bh];
    for hp in &hot {
        let i = (hp.y as usize - y0) * bw + (hp.x as usize - x0);
        grid[i] = true;
        conf[i] = hp.confidence;
        temp[i] = hp.temp_k;
    }
    let weight = |i: usize| temp[i];
    components(&grid, bw, &weight)
        .into_iter()
        .map(|c| FrameBox {
            class: FireClass::Fire,
            x0: (x0 + c.x0) as f32,
            y0: (y0 + c.y0) as f32,
            x1: (x0 + c.x1 + 1) as f32,
            y1: (y0 + c.y1 + 1) as f32,
            score: conf[c.peak],
            max_temp_k: Some(temp[c.peak]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_detect::planck::{inverse_planck, planck_radiance};

    fn profile() -> ThermalProfile {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/camera");
        ThermalProfile::load(&dir, "thermal").unwrap()
    }

    /// Ground at `bg` K with a gentle gradient and a deterministic ripple.
    fn field(w: u32, h: u32, bg: f32) -> ThermalFrame {
        let kelvin = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                bg + 0.01 * y as f32 + 0.6 * ((x * 7 + y * 13) % 5) as f32 / 5.0
            })
            .collect();
        ThermalFrame {
            width: w,
            height: h,
            kelvin,
        }
    }

    /// A fire of `fire_k` filling `fraction` of one pixel, mixed in radiance at 10 µm.
    fn mixed(bg: f32, fire_k: f64, fraction: f64) -> f32 {
        let l = fraction * planck_radiance(10.0, fire_k)
            + (1.0 - fraction) * planck_radiance(10.0, bg as f64);
        inverse_planck(10.0, l) as f32
    }

    #[test]
    fn a_sub_pixel_fire_reads_cool_but_stands_out_of_its_window() {
        // The doc's example: 800 K over 1 % of a pixel on 300 K ground reads about 40 °C.
        let reads = mixed(300.0, 800.0, 0.01);
        assert!((reads - 313.0).abs() < 1.5, "{reads}");
        let mut f = field(160, 120, 300.0);
        let i = (60 * 160 + 80) as usize;
        f.kelvin[i] = mixed(f.kelvin[i], 800.0, 0.01);
        let boxes = detect(&f, &profile(), ActiveMasks::none());
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        assert_eq!((boxes[0].x0, boxes[0].y0), (80.0, 60.0));
        assert!(boxes[0].score > 0.2, "{:?}", boxes[0]);
    }

    #[test]
    fn a_warm_roof_is_no_fire_and_a_near_fire_is_one_box() {
        // A sunlit roof 6 K above the field: neither hot enough nor standing out enough.
        let mut f = field(160, 120, 300.0);
        for y in 10..30 {
            for x in 10..40 {
                f.kelvin[(y * 160 + x) as usize] += 6.0;
            }
        }
        assert!(detect(&f, &profile(), ActiveMasks::none()).is_empty());
        // A near fire covering a 20×15 block at 700 K: absolute, one box despite no background
        // inside it.
        for y in 50..65 {
            for x in 100..120 {
                f.kelvin[(y * 160 + x) as usize] = 700.0;
            }
        }
        let boxes = detect(&f, &profile(), ActiveMasks::none());
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        assert_eq!(
            (boxes[0].x0, boxes[0].x1, boxes[0].y0, boxes[0].y1),
            (100.0, 120.0, 50.0, 65.0)
        );
        assert_eq!(boxes[0].max_temp_k, Some(700.0));
        assert!(boxes[0].score >= 0.99);
    }

    #[test]
    fn a_hot_summer_field_raises_its_own_floor() {
        // The whole field at 320 K is above the 303 K floor, but nothing is hotter than the scene.
        let f = field(120, 90, 320.0);
        assert!(detect(&f, &profile(), ActiveMasks::none()).is_empty());
    }
}
