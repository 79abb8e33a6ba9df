//! Format recognition by content. Files arrive renamed, re-saved and mislabelled (a FIRMS
//! server error page saved as `.csv`), so the header decides; the name only breaks ties.

use crate::fields::show;
use crate::lines::MAX_LINE_BYTES;
use crate::{firms, himawari, IngestError, ProductFormat};
use std::path::Path;

/// How much of a file `parse_file` gives to `sniff`: one byte over the line cap, so a first
/// line over the cap is recognised here.
pub(crate) const HEAD_BYTES: usize = MAX_LINE_BYTES + 1;

/// Encoding and binary checks look at this much. Far more than any header; small enough that
/// one corrupt byte deep in a big file costs a row, not the file.
const CONTENT_WINDOW: usize = 8 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Recognises a product from the start of its content (`head`: the first bytes of the file, up
/// to `MAX_LINE_BYTES + 1` are useful). `path` is used only as a hint (`AFIMG_…`, `…L2WLF…`).
pub fn sniff(path: &Path, head: &[u8]) -> Result<ProductFormat, IngestError> {
    if head.is_empty() {
        return Err(IngestError::Empty);
    }
    // NetCDF classic (CDF1/2/5) and NetCDF-4 (an HDF5 file).
    if head.starts_with(b"CDF\x01")
        || head.starts_with(b"CDF\x02")
        || head.starts_with(b"CDF\x05")
        || head.starts_with(b"\x89HDF\r\n\x1a\n")
    {
        return Ok(ProductFormat::Vnp14imgNetcdf);
    }
    if head.starts_with(b"\x0e\x03\x13\x01") {
        return Err(IngestError::Unsupported {
            reason: "HDF4 file (a MODIS granule?): only VNP14IMG/VJ114IMG NetCDF is read".into(),
        });
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(IngestError::NotUtf8 {
            detail: "UTF-16 text (byte-order mark); save it as UTF-8".into(),
        });
    }
    let body = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty);
    }
    let window = &body[..body.len().min(CONTENT_WINDOW)];
    check_text_bytes(window)?;
    let text = match std::str::from_utf8(window) {
        Ok(s) => s,
        // Cut in the middle of a character at the window's edge: the prefix is fine.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&window[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(e) => {
            let at = e.valid_up_to();
            return Err(IngestError::NotUtf8 {
                detail: format!(
                    "invalid byte 0x{:02X} at offset {} (GBK/GB18030 or Latin-1?); save it as UTF-8",
                    window[at],
                    at + (head.len() - body.len())
                ),
            });
        }
    };
    if body.len() > MAX_LINE_BYTES && !body[..=MAX_LINE_BYTES].contains(&b'\n') {
        return Err(IngestError::LineTooLong {
            line: 1,
            limit: MAX_LINE_BYTES,
        });
    }
    sniff_text(path, text)
}

/// NUL and control bytes mean binary data (or UTF-16 without a byte-order mark); real text
/// products have none but tabs and line ends.
fn check_text_bytes(window: &[u8]) -> Result<(), IngestError> {
    if window.contains(&0) {
        let zeros_at = |parity: usize| {
            window
                .iter()
                .skip(parity)
                .step_by(2)
                .filter(|&&b| b == 0)
                .count()
        };
        let half = window.len() / 2;
        let (even, odd) = (zeros_at(0), zeros_at(1));
        let utf16 =
            half > 0 && (even.max(odd) * 10 > half * 4) && (even.min(odd) * 20 < half.max(1));
        return Err(if utf16 {
            IngestError::NotUtf8 {
                detail: "looks like UTF-16 text without a byte-order mark; save it as UTF-8".into(),
            }
        } else {
            IngestError::Binary {
                detail: "NUL bytes near the start of the file".into(),
            }
        });
    }
    let controls = window
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    if controls > window.len() / 100 {
        return Err(IngestError::Binary {
            detail: format!(
                "{controls} control bytes in the first {} bytes",
                window.len()
            ),
        });
    }
    Ok(())
}

fn sniff_text(path: &Path, text: &str) -> Result<ProductFormat, IngestError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_uppercase())
        .unwrap_or_default();
    let cspp_name = name.starts_with("AFIMG");
    let wlf_name = name.contains("L2WLF");

    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return Err(IngestError::UnknownFormat {
            reason: format!("no text in the first {CONTENT_WINDOW} bytes"),
        });
    };
    if first.starts_with('<') {
        let lower = text.to_ascii_lowercase();
        let what = if lower.contains("<html") || lower.contains("<!doctype html") {
            "an HTML page, not a product file (a server error or login page?)"
        } else if first.starts_with("<?xml") {
            "an XML document, not a product file (a server error response?)"
        } else {
            "markup, not a product file"
        };
        return Err(IngestError::UnknownFormat {
            reason: what.into(),
        });
    }
    if first.starts_with('{') || first.starts_with('[') {
        return Err(IngestError::UnknownFormat {
            reason: "JSON, not a product file (an API error response?)".into(),
        });
    }

    let mut comments = Vec::new();
    let mut header = None;
    for l in std::iter::once(first).chain(lines) {
        match l.strip_prefix('#') {
            Some(c) => comments.push(c.trim()),
            None => {
                header = Some(l);
                break;
            }
        }
    }
    if comments
        .iter()
        .any(|c| himawari::is_header(&himawari::header_names(c)))
    {
        return Ok(ProductFormat::HimawariWlfCsv);
    }
    if comments.iter().any(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("afimg") || c.contains("active fires")
    }) {
        return Ok(ProductFormat::CsppAfimgText);
    }

    let Some(line) = header else {
        return hint_or(
            cspp_name,
            wlf_name,
            "only comment lines, of no known product".into(),
        );
    };
    if himawari::is_header(&himawari::header_names(line)) {
        return Ok(ProductFormat::HimawariWlfCsv);
    }
    if let Ok(names) = firms::header_names(line) {
        let firms_like = names.iter().any(|n| {
            matches!(
                n.as_str(),
                "latitude" | "longitude" | "lat" | "lon" | "acq_date" | "brightness" | "bright_ti4"
            )
        });
        if firms_like {
            return firms::classify_header(&names).map_err(|r| IngestError::WrongHeader {
                reason: format!("FIRMS header {r}"),
            });
        }
    }
    let first_field = line.split([',', ' ', '\t']).next().unwrap_or("");
    if first_field.trim().parse::<f64>().is_ok() {
        // Data where a header should be: only a name can say what it is.
        return hint_or(
            cspp_name,
            wlf_name,
            format!("no header line: the first line is data ({})", show(line)),
        )
        .map_err(|e| match e {
            IngestError::UnknownFormat { reason } => IngestError::WrongHeader { reason },
            e => e,
        });
    }
    hint_or(
        cspp_name,
        wlf_name,
        format!(
            "first line {} is not the header of a known product",
            show(line)
        ),
    )
}

fn hint_or(cspp_name: bool, wlf_name: bool, reason: String) -> Result<ProductFormat, IngestError> {
    if cspp_name {
        Ok(ProductFormat::CsppAfimgText)
    } else if wlf_name {
        Ok(ProductFormat::HimawariWlfCsv)
    } else {
        Err(IngestError::UnknownFormat { reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, bytes: &[u8]) -> Result<ProductFormat, IngestError> {
        sniff(Path::new(name), bytes)
    }

    #[test]
    fn recognises_by_content_not_name() {
        let modis = b"latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight\n";
        assert_eq!(s("x.txt", modis).unwrap(), ProductFormat::FirmsModisCsv);
        assert_eq!(
            s("AFIMG_x.txt", modis).unwrap(),
            ProductFormat::FirmsModisCsv
        );
        let viirs = b"\xEF\xBB\xBFlatitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,version,bright_ti5,frp,daynight\n";
        assert_eq!(s("x", viirs).unwrap(), ProductFormat::FirmsViirsCsv);
        assert_eq!(
            s("x", b"CDF\x01\0\0").unwrap(),
            ProductFormat::Vnp14imgNetcdf
        );
        assert_eq!(
            s("x", b"# a\n# ID,Year,Month,Day,Time(UTC),Lat,Lon,Area(km^2),Volcano,Level,Reliability,FRP(Wm^-2),QF,Hot(ID)\n").unwrap(),
            ProductFormat::HimawariWlfCsv
        );
        assert_eq!(
            s("x", b"\n# Active Fires I-band EDR\n#\n  1.0, 2.0\n").unwrap(),
            ProductFormat::CsppAfimgText
        );
    }

    #[test]
    fn names_only_break_ties() {
        let data = b"  59.1,  37.8,  331.5,  0.375,  0.375,    8,    4.6\n";
        assert_eq!(
            s("AFIMG_j01_d20210414_t1126439.txt", data).unwrap(),
            ProductFormat::CsppAfimgText
        );
        assert!(matches!(
            s("fires.txt", data),
            Err(IngestError::WrongHeader { .. })
        ));
    }

    #[test]
    fn rejects_non_products_with_a_reason() {
        let e = |n: &str, b: &[u8]| s(n, b).unwrap_err().to_string();
        assert!(e("x", b"").contains("empty"));
        assert!(e("x", b" \n\r\n").contains("empty"));
        assert!(e("x", b"\xFF\xFEl\0a\0").contains("not UTF-8 text"));
        assert!(e("x", b"l\0a\0t\0,\0l\0o\0n\0\n\0").contains("not UTF-8 text"));
        assert!(e("x", b"\xCE\xB3\xB6\xC8,\xBE\xAD\xB6\xC8\n").contains("not UTF-8 text"));
        assert!(e("x", b"\x7fELF\x02\x01\x01\0\0\0").contains("binary"));
        assert!(e("x", b"<!DOCTYPE html><html><body>503</body></html>").contains("HTML"));
        assert!(e("x", b"Invalid MAP_KEY.\n").contains("\"Invalid MAP_KEY.\""));
        assert!(e("x", b"lat,lon,temp\n").contains("wrong header"));
        let long = vec![b'1'; HEAD_BYTES];
        assert!(e("x", &long).contains("longer than"));
    }
}
