//! `burnwatch stats`, `burnwatch bulletin` and `burnwatch export`: argument parsing and files;
//! the figures and renderings are `burnwatch-stats`.

use anyhow::{bail, Context, Result};
use burnwatch_stats::{
    bulletin, chromium, compute, export, render_bulletin_html, render_stats, BulletinRequest,
    ExportFormat, ExportKind, ExportRequest, GroupBy, Lang, PeriodSpec, StatsFormat, StatsRequest,
};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{ArgGroup, Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date like 2025-06-10"))
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{s:?} is not a time like 2025-08-01T00:00:00+08:00"))
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?} is not a language: zh or en"))
}

#[derive(Clone, Copy, ValueEnum)]
pub enum By {
    Prefecture,
    County,
    Township,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatsFmt {
    Table,
    Csv,
    Xlsx,
    Json,
}

#[derive(Args)]
#[command(group(ArgGroup::new("period").required(true).args(["from", "season"])))]
pub struct StatsArgs {
    /// First local (Beijing) date, YYYY-MM-DD; with --to.
    #[arg(long, value_parser = parse_date, requires = "to")]
    from: Option<NaiveDate>,
    /// Last local date, included.
    #[arg(long, value_parser = parse_date, requires = "from")]
    to: Option<NaiveDate>,
    /// A season named in [[seasons]] (三夏, 三秋): the latest of that name, or --year's.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    season: Option<String>,
    #[arg(long, requires = "season")]
    year: Option<i32>,
    #[arg(long, value_enum, default_value_t = By::County)]
    by: By,
    /// Only this county or township.
    #[arg(long)]
    region: Option<String>,
    #[arg(long, value_enum, default_value_t = StatsFmt::Table)]
    format: StatsFmt,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long)]
    out: Option<PathBuf>,
    /// zh (default) or en.
    #[arg(long, value_parser = parse_lang, default_value = "zh")]
    lang: Lang,
    /// Judge deadlines and verification as of this RFC 3339 time instead of now.
    #[arg(long, value_parser = parse_time)]
    as_of: Option<DateTime<Utc>>,
    /// Leave out the comparison with the same period of the previous year.
    #[arg(long)]
    no_compare: bool,
}

fn write_output(out: Option<&Path>, bytes: &[u8], binary: bool) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
        None if binary => bail!("XLSX is a binary file: give --out FILE.xlsx"),
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            lock.write_all(bytes)?;
            lock.flush()?;
        }
    }
    Ok(())
}

pub fn stats(config_path: &Path, args: StatsArgs) -> Result<()> {
    let config = crate::load_config(config_path)?;
    let format = match args.format {
        StatsFmt::Table => StatsFormat::Table,
        StatsFmt::Csv => StatsFormat::Csv,
        StatsFmt::Xlsx => StatsFormat::Xlsx,
        StatsFmt::Json => StatsFormat::Json,
    };
    if !format.is_text() && args.out.is_none() {
        bail!("XLSX is a binary file: give --out FILE.xlsx");
    }
    let period = match (&args.season, args.from, args.to) {
        (Some(name), _, _) => PeriodSpec::season(name, args.year),
        (None, Some(from), Some(to)) => PeriodSpec::dates(from, to),
        _ => bail!("give --from and --to, or --season"),
    };
    let mut request = StatsRequest::new(
        period,
        match args.by {
            By::Prefecture => GroupBy::Prefecture,
            By::County => GroupBy::County,
            By::Township => GroupBy::Township,
        },
    );
    request.region = args.region;
    request.as_of = args.as_of;
    request.compare_previous_year = !args.no_compare;
    let store = crate::open_store(&config)?;
    let report = compute(
        store.connection(),
        &config.reports,
        &config.schedule(),
        &request,
    )?;
    let bytes = render_stats(&report, format, args.lang)?;
    write_output(args.out.as_deref(), &bytes, !format.is_text())
}

#[derive(Args)]
pub struct BulletinArgs {
    /// The local (Beijing) date, YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    date: NaiveDate,
    /// The HTML page to write.
    #[arg(long)]
    out: PathBuf,
    /// The PDF to print with headless chromium (default: the page's path with .pdf).
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// Write only the HTML page.
    #[arg(long, conflicts_with = "pdf")]
    no_pdf: bool,
    #[arg(long, value_parser = parse_lang, default_value = "zh")]
    lang: Lang,
    /// Show verification status as of this RFC 3339 time instead of now.
    #[arg(long, value_parser = parse_time)]
    as_of: Option<DateTime<Utc>>,
}

pub fn bulletin_cmd(config_path: &Path, args: BulletinArgs) -> Result<()> {
    let config = crate::load_config(config_path)?;
    let store = crate::open_store(&config)?;
    let b = bulletin(
        store.connection(),
        &config.reports,
        &config.schedule(),
        &BulletinRequest {
            date: args.date,
            as_of: args.as_of,
        },
    )?;
    let html = render_bulletin_html(&b, args.lang);
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, &html).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "bulletin {}: {} fire points in {} townships, {} alerts; page {}",
        b.date,
        b.points.len(),
        b.township_counts.values().filter(|n| **n > 0).count(),
        b.day.total.alerts.total,
        args.out.display()
    );
    if args.no_pdf {
        return Ok(());
    }
    let pdf = args
        .pdf
        .clone()
        .unwrap_or_else(|| args.out.with_extension("pdf"));
    match chromium::find() {
        Some(browser) => {
            chromium::print_to_pdf(&browser, &args.out, &pdf)
                .with_context(|| format!("printing {} to PDF", args.out.display()))?;
            println!("PDF {}", pdf.display());
        }
        None => eprintln!(
            "PDF skipped: no headless chromium found (Debian: apt-get install chromium fonts-noto-cjk, \
             or set BURNWATCH_CHROMIUM); the HTML page is complete and prints from any browser"
        ),
    }
    Ok(())
}

#[derive(Clone, Copy, ValueEnum)]
pub enum What {
    Detections,
    Events,
    Alerts,
    Verifications,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFmt {
    Csv,
    Xlsx,
    Geojson,
    Kml,
}

#[derive(Args)]
pub struct ExportArgs {
    what: What,
    #[arg(long, value_enum)]
    format: ExportFmt,
    #[arg(long)]
    out: PathBuf,
    /// First local date (by the fire's time), YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// Last local date, included.
    #[arg(long, value_parser = parse_date)]
    to: Option<NaiveDate>,
    /// Only this county or township.
    #[arg(long)]
    region: Option<String>,
    /// Column labels: zh (default) or en.
    #[arg(long, value_parser = parse_lang, default_value = "zh")]
    lang: Lang,
}

pub fn export_cmd(config_path: &Path, args: ExportArgs) -> Result<()> {
    let config = crate::load_config(config_path)?;
    let store = crate::open_store(&config)?;
    let request = ExportRequest {
        what: match args.what {
            What::Detections => ExportKind::Detections,
            What::Events => ExportKind::Events,
            What::Alerts => ExportKind::Alerts,
            What::Verifications => ExportKind::Verifications,
        },
        format: match args.format {
            ExportFmt::Csv => ExportFormat::Csv,
            ExportFmt::Xlsx => ExportFormat::Xlsx,
            ExportFmt::Geojson => ExportFormat::Geojson,
            ExportFmt::Kml => ExportFormat::Kml,
        },
        from: args.from,
        to: args.to,
        region: args.region,
        lang: args.lang,
    };
    // Written beside the target and renamed, so a failed export never leaves half a file
    // under the name someone will open.
    let partial = args.out.with_extension("part");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let result = export(store.connection(), &config.reports, &request, &mut writer);
    drop(writer);
    match result {
        Ok(summary) => {
            std::fs::rename(&partial, &args.out)
                .with_context(|| format!("writing {}", args.out.display()))?;
            println!("exported {} rows to {}", summary.rows, args.out.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e.into())
        }
    }
}
