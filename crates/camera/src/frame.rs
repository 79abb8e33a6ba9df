//! Frames by content, never by file name: JPEG/PNG/TIFF through `image` (8-bit colour = visible,
//! 16-bit or float single channel = radiometric thermal), or a temperature matrix as text.
//! Anything else — an HTML login page, a truncated JPEG, an empty or absurdly sized picture —
//! is a [`FrameError`] that says what it was.

use image::{DynamicImage, ImageFormat, ImageReader, RgbImage};
use std::io::Cursor;

/// Frames larger than this are refused before decoding (a 16K × 16K "snapshot" is an attack or
/// a fault, and would take gigabytes).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Frames smaller than this on either side cannot hold a background window.
pub const MIN_SIDE: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("empty frame (0 bytes)")]
    Empty,
    #[error("not an image: {len} bytes starting {head:?}{hint}")]
    NotImage {
        len: usize,
        head: String,
        hint: &'static str,
    },
    #[error("{format} frame cannot be decoded (truncated or corrupt): {reason}")]
    Corrupt {
        format: &'static str,
        reason: String,
    },
    #[error("frame is {width}×{height} pixels: {why}")]
    BadSize {
        width: u32,
        height: u32,
        why: String,
    },
    #[error("unsupported pixel layout {0:?} (want 8-bit colour, or one 16-bit/float channel of temperatures)")]
    Layout(String),
    #[error("temperature matrix: {0}")]
    Matrix(String),
}

impl FrameError {
    /// Short class name, for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            FrameError::Empty => "empty",
            FrameError::NotImage { .. } => "not_image",
            FrameError::Corrupt { .. } => "corrupt",
            FrameError::BadSize { .. } => "bad_size",
            FrameError::Layout(_) => "layout",
            FrameError::Matrix(_) => "matrix",
        }
    }
}

/// How raw thermal values become kelvin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radiometry {
    /// 16-bit counts: K = count × scale + offset.
    pub scale_k: f64,
    pub offset_k: f64,
}

impl Default for Radiometry {
    fn default() -> Self {
        // 0.01 K per count ("TLinear" high resolution), the most common radiometric encoding.
        Self {
            scale_k: 0.01,
            offset_k: 0.0,
        }
    }
}

/// A temperature frame, kelvin, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct ThermalFrame {
    pub width: u32,
    pub height: u32,
    pub kelvin: Vec<f32>,
}

impl ThermalFrame {
    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.kelvin[(y * self.width + x) as usize]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Visible(RgbImage),
    Thermal(ThermalFrame),
}

impl Frame {
    pub fn size(&self) -> (u32, u32) {
        match self {
            Frame::Visible(i) => i.dimensions(),
            Frame::Thermal(t) => (t.width, t.height),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Frame::Visible(_) => "visible",
            Frame::Thermal(_) => "thermal",
        }
    }
}

fn head_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(24)]).into_owned()
}

fn check_size(width: u32, height: u32) -> Result<(), FrameError> {
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(FrameError::BadSize {
            width,
            height,
            why: format!("smaller than {MIN_SIDE} pixels on a side"),
        });
    }
    if width as u64 * height as u64 > MAX_PIXELS {
        return Err(FrameError::BadSize {
            width,
            height,
            why: format!("more than {MAX_PIXELS} pixels"),
        });
    }
    Ok(())
}

/// Decodes a frame from its bytes; the format is taken from the content.
pub fn decode(bytes: &[u8], radiometry: Radiometry) -> Result<Frame, FrameError> {
    if bytes.is_empty() {
        return Err(FrameError::Empty);
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Tiff)) => f,
        _ => {
            if let Some(m) = parse_matrix(bytes)? {
                return Ok(Frame::Thermal(m));
            }
            let text = head_of(bytes).to_ascii_lowercase();
            let hint =
                if text.contains("<html") || text.contains("<!doctype") || text.contains("<?xml") {
                    " (an HTML/XML page: a login or error page instead of a picture?)"
                } else {
                    ""
                };
            return Err(FrameError::NotImage {
                len: bytes.len(),
                head: head_of(bytes),
                hint,
            });
        }
    };
    let name = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        _ => "TIFF",
    };
    if format == ImageFormat::Jpeg && !ends_with_eoi(bytes) {
        // The JPEG decoder pads a cut-off scan with grey rather than failing: check the end.
        return Err(FrameError::Corrupt {
            format: name,
            reason: format!(
                "no end-of-image marker: the {} bytes received are cut off",
                bytes.len()
            ),
        });
    }
    let corrupt = |e: image::ImageError| FrameError::Corrupt {
        format: name,
        reason: e.to_string(),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let (width, height) = reader.into_dimensions().map_err(corrupt)?;
    check_size(width, height)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    let img = reader.decode().map_err(corrupt)?;
    Ok(match img {
        DynamicImage::ImageRgb8(rgb) => Frame::Visible(rgb),
        DynamicImage::ImageRgba8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageLuma8(_) => {
            // 8-bit grey is a picture (night mode, or a non-radiometric thermal view), not
            // temperatures: treat it as visible.
            Frame::Visible(img.to_rgb8())
        }
        DynamicImage::ImageLuma16(g) => {
            let (s, o) = (radiometry.scale_k, radiometry.offset_k);
            Frame::Thermal(ThermalFrame {
                width,
                height,
                kelvin: g
                    .into_raw()
                    .iter()
                    .map(|&c| (c as f64 * s + o) as f32)
                    .collect(),
            })
        }
        DynamicImage::ImageRgb32F(f) => {
            // A float TIFF with one sample is read as three equal channels; values are kelvin.
            let raw = f.into_raw();
            Frame::Thermal(ThermalFrame {
                width,
                height,
                kelvin: raw.chunks_exact(3).map(|p| p[0]).collect(),
            })
        }
        other => return Err(FrameError::Layout(format!("{:?}", other.color()))),
    })
}

/// True when a JPEG stream ends with its EOI marker (FF D9), allowing trailing padding.
fn ends_with_eoi(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0x00 && b != 0xFF && b != b'\n' && b != b'\r');
    match end {
        Some(i) => i >= 1 && bytes[i] == 0xD9 && bytes[i - 1] == 0xFF,
        None => false,
    }
}

/// A temperature matrix as text: rows of numbers separated by commas, semicolons or blanks, all
/// rows equally long; °C when the median is below 150 (no ground reads 150 K, no field 150 °C),
/// kelvin otherwise. `Ok(None)` when the bytes are not such a text at all.
pub fn parse_matrix(bytes: &[u8]) -> Result<Option<ThermalFrame>, FrameError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    let first = text.trim_start().chars().next();
    if !first.is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '.') {
        return Ok(None);
    }
    let mut values = Vec::new();
    let mut width = 0usize;
    let mut height = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let before = values.len();
        for tok in line.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
            if tok.is_empty() {
                continue;
            }
            let v: f32 = tok.parse().map_err(|_| {
                FrameError::Matrix(format!("line {}: {tok:?} is not a number", n + 1))
            })?;
            if !v.is_finite() {
                return Err(FrameError::Matrix(format!(
                    "line {}: {tok:?} is not finite",
                    n + 1
                )));
            }
            values.push(v);
        }
        let w = values.len() - before;
        if height == 0 {
            width = w;
        } else if w != width {
            return Err(FrameError::Matrix(format!(
                "line {} has {w} values, the first row {width}",
                n + 1
            )));
        }
        height += 1;
    }
    check_size(width as u32, height as u32)?;
    let mut sorted: Vec<f32> = values.iter().step_by(7).copied().collect();
    sorted.sort_by(f32::total_cmp);
    if sorted[sorted.len() / 2] < 150.0 {
        for v in &mut values {
            *v += 273.15;
        }
    }
    Ok(Some(ThermalFrame {
        width: width as u32,
        height: height as u32,
        kelvin: values,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn colour_jpeg_is_visible_and_sixteen_bit_png_is_thermal() {
        let rgb = RgbImage::from_pixel(64, 48, image::Rgb([200, 120, 40]));
        let f = decode(
            &encode(rgb.into(), ImageFormat::Jpeg),
            Radiometry::default(),
        )
        .unwrap();
        assert_eq!((f.kind(), f.size()), ("visible", (64, 48)));
        let g =
            image::ImageBuffer::<image::Luma<u16>, _>::from_pixel(40, 30, image::Luma([29_315]));
        let f = decode(
            &encode(DynamicImage::ImageLuma16(g), ImageFormat::Png),
            Radiometry::default(),
        )
        .unwrap();
        let Frame::Thermal(t) = f else {
            panic!("thermal")
        };
        assert!((t.at(3, 3) - 293.15).abs() < 1e-3);
    }

    #[test]
    fn bad_frames_say_what_they_are() {
        let html = b"<!DOCTYPE html><html><body>login</body></html>";
        let e = decode(html, Radiometry::default()).unwrap_err();
        assert_eq!(e.kind(), "not_image");
        assert!(e.to_string().contains("HTML"), "{e}");
        let rgb = RgbImage::from_fn(320, 240, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let jpeg = encode(rgb.into(), ImageFormat::Jpeg);
        let cut = decode(&jpeg[..jpeg.len() / 3], Radiometry::default()).err();
        assert_eq!(cut.as_ref().map(|e| e.kind()), Some("corrupt"), "{cut:?}");
        assert!(decode(&jpeg, Radiometry::default()).is_ok());
        let tiny = encode(RgbImage::new(8, 8).into(), ImageFormat::Png);
        assert_eq!(
            decode(&tiny, Radiometry::default()).err().map(|e| e.kind()),
            Some("bad_size")
        );
        assert_eq!(
            decode(b"", Radiometry::default()).unwrap_err().kind(),
            "empty"
        );
    }

    #[test]
    fn text_matrix_in_celsius_becomes_kelvin() {
        let mut text = String::new();
        for y in 0..20 {
            let row: Vec<String> = (0..20)
                .map(|x| {
                    if x == 5 && y == 5 {
                        "95.5".into()
                    } else {
                        "21.0".into()
                    }
                })
                .collect();
            text.push_str(&row.join(","));
            text.push('\n');
        }
        let Frame::Thermal(t) = decode(text.as_bytes(), Radiometry::default()).unwrap() else {
            panic!("thermal")
        };
        assert!((t.at(5, 5) - 368.65).abs() < 1e-3 && (t.at(0, 0) - 294.15).abs() < 1e-3);
        let ragged = "1,2,3\n4,5\n";
        assert_eq!(
            decode(ragged.as_bytes(), Radiometry::default())
                .unwrap_err()
                .kind(),
            "matrix"
        );
    }
}
