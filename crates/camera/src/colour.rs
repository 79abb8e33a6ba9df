//! Colour-rule candidates on visible frames: flame = Chen's RGB rule and Çelik–Demirel's YCbCr
//! rule together, smoke = Chen's grey rule. Pixels are pooled into small cells and the cells
//! labelled into regions, so one pass over the frame in integer arithmetic does the work.
//!
//! Nearly every pixel of a field or the sky is neither a Chen flame candidate (R > R_T,
//! R ≥ G > B) nor grey, and those two tests need no arithmetic beyond byte comparisons: blocks
//! of pixels take them first, branch-free, and only a block where some pixel passes goes
//! through the full rules pixel by pixel. The result is the same as testing every pixel.

use crate::boxes::{components, FireClass, FrameBox};
use crate::mask::ActiveMasks;
use crate::profile::ColourProfile;
use burnwatch_detect::engine::ramp;
use image::RgbImage;

/// Fixed-point BT.601 YCbCr (×1024), as Çelik & Demirel use it.
#[inline(always)]
fn ycbcr(r: i32, g: i32, b: i32) -> (i32, i32, i32) {
    let y = (263 * r + 516 * g + 100 * b) / 1024 + 16;
    let cb = (-152 * r - 298 * g + 450 * b) / 1024 + 128;
    let cr = (450 * r - 377 * g - 73 * b) / 1024 + 128;
    (y, cb, cr)
}

/// Pixels pre-tested together (see [`detect`]).
const BLOCK: usize = 32;

/// Frame means of Y, Cb, Cr from a 1-in-16 sample (every 4th pixel of every 4th row): the rule
/// compares a pixel with the frame's overall cast, which a sample gives to well under a level.
fn means(img: &RgbImage) -> (i32, i32, i32) {
    let (w, h) = img.dimensions();
    let raw = img.as_raw();
    let (mut sy, mut scb, mut scr, mut n) = (0i64, 0i64, 0i64, 0i64);
    for y in (0..h).step_by(4) {
        let row = &raw[(y * w * 3) as usize..((y + 1) * w * 3) as usize];
        for p in row.chunks_exact(12) {
            let (yy, cb, cr) = ycbcr(p[0] as i32, p[1] as i32, p[2] as i32);
            sy += yy as i64;
            scb += cb as i64;
            scr += cr as i64;
            n += 1;
        }
    }
    let n = n.max(1);
    ((sy / n) as i32, (scb / n) as i32, (scr / n) as i32)
}

/// Passing pixels per cell (row-major cells of `p.cell` pixels): flame, smoke.
fn cell_hits(img: &RgbImage, p: &ColourProfile) -> (Vec<u16>, Vec<u16>) {
    let (w, h) = img.dimensions();
    let (w, h) = (w as usize, h as usize);
    let cell = p.cell;
    let (cw, ch) = (w.div_ceil(cell), h.div_ceil(cell));
    let mut fire_hits = vec![0u16; cw * ch];
    let mut smoke_hits = vec![0u16; cw * ch];
    let (ym, cbm, crm) = if p.celik_use_means {
        means(img)
    } else {
        (i32::MIN, i32::MAX, i32::MIN)
    };
    let rt = p.chen_red_min as i32;
    // Chen: S ≥ (255 − R)·S_T/R_T with S the HSV saturation on 0–255; compared multiplied out
    // so the loop stays in integers.
    let st = p.chen_saturation.round() as i32;
    let tau = p.celik_tau.round() as i32;
    let spread = p.smoke_grey_max_spread as i32;
    let (ilo, ihi) = (
        p.smoke_intensity[0] as i32 * 3,
        p.smoke_intensity[1] as i32 * 3,
    );
    let (rt8, spread8) = (p.chen_red_min, p.smoke_grey_max_spread);
    let raw = img.as_raw();
    // Every `row_step`-th row: a flame two pixels high still lands in a sampled row, and the
    // rule costs half as much on a 1080p frame.
    for y in (0..h).step_by(p.row_step.max(1)) {
        let row = &raw[y * w * 3..(y + 1) * w * 3];
        let cells = (y / cell) * cw..(y / cell + 1) * cw;
        let (fire_row, smoke_row) = (&mut fire_hits[cells.clone()], &mut smoke_hits[cells]);
        let mut pixel = |x: usize, px: &[u8]| {
            let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
            let candidate = (r > rt) & (r >= g) & (g > b);
            if candidate {
                let sat = (r - b) * 255 / r;
                if sat * rt >= (255 - r) * st {
                    let (yy, cb, cr) = ycbcr(r, g, b);
                    fire_row[x / cell] += (yy > cb
                        && cr > cb
                        && cr - cb >= tau
                        && yy >= ym
                        && cb <= cbm
                        && cr >= crm) as u16;
                }
            }
            let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
            let sum = r + g + b;
            smoke_row[x / cell] +=
                (!candidate & (mx - mn <= spread) & (sum >= ilo) & (sum <= ihi)) as u16;
        };
        let blocks = row.chunks_exact(3 * BLOCK);
        let tail = blocks.remainder();
        for (k, block) in blocks.enumerate() {
            // Either test failing everywhere means no pixel of the block can count.
            let mut any = false;
            for px in block.chunks_exact(3) {
                let (r, g, b) = (px[0], px[1], px[2]);
                let candidate = (r > rt8) & (r >= g) & (g > b);
                let grey = r.max(g).max(b) - r.min(g).min(b) <= spread8;
                any |= candidate | grey;
            }
            if any {
                for (i, px) in block.chunks_exact(3).enumerate() {
                    pixel(k * BLOCK + i, px);
                }
            }
        }
        for (i, px) in tail.chunks_exact(3).enumerate() {
            pixel(w / BLOCK * BLOCK + i, px);
        }
    }
    (fire_hits, smoke_hits)
}

/// Flame and smoke candidate boxes of one visible frame.
pub fn detect(img: &RgbImage, p: &ColourProfile, masks: ActiveMasks) -> Vec<FrameBox> {
    let (w, h) = img.dimensions();
    let (w, h) = (w as usize, h as usize);
    let cell = p.cell;
    let cw = w.div_ceil(cell);
    let (fire_hits, smoke_hits) = cell_hits(img, p);
    let mut out = Vec::new();
    let cell_area = (cell * cell) as f32;
    let total = (w * h) as f32;
    for (class, hits) in [
        (FireClass::Fire, &fire_hits),
        (FireClass::Smoke, &smoke_hits),
    ] {
        // Most frames have no candidate cell of a class: skip labelling an empty grid.
        // (A maximum rather than `all`: no early exit, so it vectorises.)
        if (hits.iter().copied().max().unwrap_or(0) as usize) < p.min_cell_hits {
            continue;
        }
        let on: Vec<bool> = hits
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                n as usize >= p.min_cell_hits
                    && (masks.is_empty() || {
                        let (cx, cy) = (i % cw, i / cw);
                        !masks.contains(
                            ((cx as f64) + 0.5) * cell as f64,
                            ((cy as f64) + 0.5) * cell as f64,
                        )
                    })
            })
            .collect();
        let weight = |i: usize| hits[i] as f32;
        for c in components(&on, cw, &weight) {
            let mut n = 0usize;
            for cy in c.y0..=c.y1 {
                for cx in c.x0..=c.x1 {
                    let i = cy * cw + cx;
                    if on[i] {
                        n += hits[i] as usize;
                    }
                }
            }
            let fill = n as f32 * p.row_step.max(1) as f32 / (c.cells as f32 * cell_area);
            let keep = match class {
                FireClass::Fire => n >= p.min_fire_pixels,
                FireClass::Smoke => c.cells as f32 * cell_area >= p.min_smoke_fraction * total,
            };
            if !keep {
                continue;
            }
            out.push(FrameBox {
                class,
                x0: (c.x0 * cell) as f32,
                y0: (c.y0 * cell) as f32,
                x1: (((c.x1 + 1) * cell).min(w)) as f32,
                y1: (((c.y1 + 1) * cell).min(h)) as f32,
                score: ramp(fill, p.score_fill[0], p.score_fill[1]),
                max_temp_k: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ColourProfile;

    fn profile() -> ColourProfile {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/camera");
        ColourProfile::load(&dir, "colour").unwrap()
    }

    #[test]
    fn a_flame_on_a_green_field_is_one_fire_box() {
        let mut img = RgbImage::from_pixel(320, 240, image::Rgb([70, 110, 60]));
        for y in 100..130 {
            for x in 200..215 {
                img.put_pixel(x, y, image::Rgb([250, 150, 40]));
            }
        }
        let boxes = detect(&img, &profile(), ActiveMasks::none());
        let fires: Vec<_> = boxes
            .iter()
            .filter(|b| b.class == FireClass::Fire)
            .collect();
        assert_eq!(fires.len(), 1, "{boxes:?}");
        let f = fires[0];
        assert!(
            f.x0 <= 200.0 && f.x1 >= 215.0 && f.y0 <= 100.0 && f.y1 >= 130.0,
            "{f:?}"
        );
        assert!(f.score > 0.9, "{f:?}");
    }

    /// Every pixel through the full rules, no pre-test: what [`cell_hits`] must equal.
    fn reference_hits(img: &RgbImage, p: &ColourProfile) -> (Vec<u16>, Vec<u16>) {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let cw = w.div_ceil(p.cell);
        let mut fire = vec![0u16; cw * h.div_ceil(p.cell)];
        let mut smoke = fire.clone();
        let (ym, cbm, crm) = means(img);
        let (rt, st) = (p.chen_red_min as i32, p.chen_saturation.round() as i32);
        let spread = p.smoke_grey_max_spread as i32;
        for y in (0..h).step_by(p.row_step) {
            for x in 0..w {
                let [r, g, b] = img.get_pixel(x as u32, y as u32).0.map(|c| c as i32);
                let i = (y / p.cell) * cw + x / p.cell;
                let candidate = r > rt && r >= g && g > b;
                let (yy, cb, cr) = ycbcr(r, g, b);
                let flame = candidate
                    && (r - b) * 255 / r * rt >= (255 - r) * st
                    && yy > cb
                    && cr > cb
                    && cr - cb >= p.celik_tau as i32
                    && yy >= ym
                    && cb <= cbm
                    && cr >= crm;
                let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
                let sum = r + g + b;
                let grey = !candidate
                    && mx - mn <= spread
                    && sum >= p.smoke_intensity[0] as i32 * 3
                    && sum <= p.smoke_intensity[1] as i32 * 3;
                fire[i] += flame as u16;
                smoke[i] += grey as u16;
            }
        }
        (fire, smoke)
    }

    #[test]
    fn the_block_pre_test_counts_exactly_what_every_pixel_would() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        // A width that leaves a partial block at each row's end; flame, grey and field colours
        // scattered so that blocks of every kind occur, near-misses of each test included.
        let img = RgbImage::from_fn(203, 61, |_, _| {
            let v = rng.random_range(0..255u8);
            image::Rgb(match rng.random_range(0..5) {
                0 => [
                    rng.random_range(110..=255),
                    rng.random_range(80..200),
                    rng.random_range(0..90),
                ],
                1 => [
                    v,
                    v.saturating_add(rng.random_range(0..25)),
                    v.saturating_sub(rng.random_range(0..25)),
                ],
                2 => [
                    rng.random_range(60..110),
                    rng.random_range(90..130),
                    rng.random_range(40..80),
                ],
                _ => [rng.random(), rng.random(), rng.random()],
            })
        });
        let p = profile();
        let (fire, smoke) = cell_hits(&img, &p);
        assert_eq!((fire.clone(), smoke.clone()), reference_hits(&img, &p));
        assert!(fire.iter().any(|&n| n > 0) && smoke.iter().any(|&n| n > 0));
    }

    #[test]
    fn a_masked_lamp_raises_nothing() {
        let mut img = RgbImage::from_pixel(320, 240, image::Rgb([30, 30, 40]));
        for y in 20..30 {
            for x in 20..30 {
                img.put_pixel(x, y, image::Rgb([255, 170, 60]));
            }
        }
        let p = profile();
        assert_eq!(detect(&img, &p, ActiveMasks::none()).len(), 1);
        let masks = crate::mask::Masks::new(
            "t",
            &[burnwatch_core::daemon_config::CameraMask {
                rect: Some([16.0, 16.0, 32.0, 32.0]),
                polygon: None,
                reason: Some("lamp".into()),
                pan_deg: None,
                tilt_deg: None,
            }],
        )
        .unwrap();
        assert!(detect(&img, &p, masks.active(None)).is_empty());
    }
}
