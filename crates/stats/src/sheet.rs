//! Cells and the writers shared by statistics and exports: CSV with a UTF-8 BOM (Excel opens it
//! as UTF-8 instead of the system code page) and XLSX.

use crate::StatsError;
use rust_xlsxwriter::{Format, FormatAlign, Worksheet};
use std::io::Write;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Int(i64),
    /// A number shown with this many decimals.
    Num(f64, usize),
    /// A share 0–1, shown as a percentage.
    Pct(f64),
    Empty,
}

impl Cell {
    pub(crate) fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub(crate) fn opt_text(s: Option<impl Into<String>>) -> Cell {
        s.map(|s| Cell::Text(s.into())).unwrap_or(Cell::Empty)
    }

    pub(crate) fn count(n: u64) -> Cell {
        Cell::Int(n as i64)
    }

    pub(crate) fn opt_num(v: Option<f64>, decimals: usize) -> Cell {
        v.map(|v| Cell::Num(v, decimals)).unwrap_or(Cell::Empty)
    }

    pub(crate) fn opt_int(v: Option<i64>) -> Cell {
        v.map(Cell::Int).unwrap_or(Cell::Empty)
    }

    /// How the cell reads in text (CSV, the terminal table).
    pub(crate) fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(v, d) => format!("{v:.d$}"),
            Cell::Pct(v) => format!("{:.1}%", v * 100.0),
            Cell::Empty => String::new(),
        }
    }
}

pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) struct CsvSheet<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSheet<W> {
    pub(crate) fn new(mut out: W, header: &[String]) -> Result<Self, StatsError> {
        out.write_all(BOM)?;
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(header)?;
        Ok(Self { writer })
    }

    pub(crate) fn row(&mut self, cells: &[Cell]) -> Result<(), StatsError> {
        self.writer.write_record(cells.iter().map(|c| match c {
            // Full precision in data files; rounding is for people.
            Cell::Num(v, _) | Cell::Pct(v) => v.to_string(),
            other => other.display(),
        }))?;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<W, StatsError> {
        self.writer.flush()?;
        self.writer
            .into_inner()
            .map_err(|e| StatsError::Io(e.into_error()))
    }
}

/// Formats used on every sheet.
pub(crate) struct Formats {
    pub header: Format,
    pub bold: Format,
    pub pct: Format,
    pub dec: [Format; 7],
}

impl Formats {
    pub(crate) fn new() -> Self {
        let dec = std::array::from_fn(|d| {
            Format::new().set_num_format(if d == 0 {
                "0".to_owned()
            } else {
                format!("0.{}", "0".repeat(d))
            })
        });
        Self {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color("#DDE6F0"),
            bold: Format::new().set_bold(),
            pct: Format::new().set_num_format("0.0%"),
            dec,
        }
    }
}

pub(crate) fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
) -> Result<(), StatsError> {
    match cell {
        Cell::Text(s) => {
            ws.write_string(row, col, s)?;
        }
        Cell::Int(i) => {
            ws.write_number(row, col, *i as f64)?;
        }
        Cell::Num(v, d) => {
            ws.write_number_with_format(row, col, *v, &f.dec[(*d).min(6)])?;
        }
        Cell::Pct(v) => {
            ws.write_number_with_format(row, col, *v, &f.pct)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

pub(crate) fn write_header(
    ws: &mut Worksheet,
    row: u32,
    header: &[String],
    f: &Formats,
) -> Result<(), StatsError> {
    for (i, h) in header.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, h, &f.header)?;
    }
    Ok(())
}

/// Column widths from the header and sample values (CJK characters take two columns).
pub(crate) fn set_widths(
    ws: &mut Worksheet,
    header: &[String],
    sample: &[Vec<Cell>],
) -> Result<(), StatsError> {
    for (i, h) in header.iter().enumerate() {
        let w = sample
            .iter()
            .filter_map(|r| r.get(i))
            .map(|c| text_width(&c.display()))
            .chain(std::iter::once(text_width(h).min(24)))
            .max()
            .unwrap_or(8);
        ws.set_column_width(i as u16, (w as f64 + 2.0).clamp(6.0, 60.0))?;
    }
    Ok(())
}

/// Display width in terminal columns: East Asian wide characters count two.
pub(crate) fn text_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFE30..=0xFE4F).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// A text table for the terminal: left-aligned first columns, right-aligned numbers.
pub(crate) fn text_table(header: &[String], rows: &[Vec<Cell>], left: usize) -> String {
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(Cell::display).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            texts
                .iter()
                .filter_map(|r| r.get(i))
                .map(|s| text_width(s))
                .chain(std::iter::once(text_width(&header[i])))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let pad = |s: &str, w: usize, right: bool| {
        let fill = " ".repeat(w.saturating_sub(text_width(s)));
        if right {
            format!("{fill}{s}")
        } else {
            format!("{s}{fill}")
        }
    };
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths[i], i >= left))
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(header, &mut out);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&rule.join("  "));
    out.push('\n');
    for r in &texts {
        line(r, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(text_width("abc"), 3);
        assert_eq!(text_width("柳林镇"), 6);
        let t = text_table(
            &["县".into(), "n".into()],
            &[
                vec![Cell::text("东岭县"), Cell::Int(12)],
                vec![Cell::text("x"), Cell::Int(3)],
            ],
            1,
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[2], "东岭县  12");
        assert_eq!(lines[3], "x        3");
    }

    #[test]
    fn csv_starts_with_a_bom_and_keeps_full_precision() {
        let mut sheet = CsvSheet::new(Vec::new(), &["a".into(), "b".into()]).unwrap();
        sheet
            .row(&[Cell::Num(1.23456, 1), Cell::text("乡,镇")])
            .unwrap();
        let bytes = sheet.finish().unwrap();
        assert!(bytes.starts_with(BOM));
        assert_eq!(
            std::str::from_utf8(&bytes[3..]).unwrap(),
            "a,b\n1.23456,\"乡,镇\"\n"
        );
    }
}
