//! `burnwatch sources`, `silences`, `detections`, `eval filter` and `simulate season`: arguments
//! and printing only; the work is in `burnwatch-filter`, `burnwatch-store` and the pipeline.

use anyhow::{bail, Context, Result};
use burnwatch_core::config::Config;
use burnwatch_core::coords::InputCrs;
use burnwatch_filter::learn::learn_and_propose;
use burnwatch_filter::silence::{describe, polygon_file, AreaSpec, Matchers};
use burnwatch_filter::{create_silence, import_sources, ImportOptions, SilenceSpec};
use burnwatch_pipeline::{Pipeline, Routing};
use burnwatch_store::{
    CandidateStatus, Decision, DetectionQuery, SourceStore, SqliteStore, StoredDetection,
};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::output::local_time;

fn load(config_path: &Path) -> Result<(Config, SqliteStore)> {
    let config = crate::load_config(config_path)?;
    let store = crate::open_store(&config)?;
    Ok((config, store))
}

#[derive(Subcommand)]
pub enum SourcesCommand {
    /// Imports industrial sites from a CSV (lat/lon columns) or any OGR layer (points or
    /// footprint polygons); each gets the buffer of its type from [filter.registry.buffers].
    Import {
        file: PathBuf,
        /// Type for rows without one.
        #[arg(long = "type")]
        kind: Option<String>,
        /// One buffer for every row, km, instead of the per-type buffers.
        #[arg(long)]
        buffer_km: Option<f64>,
        #[arg(long)]
        name_field: Option<String>,
        #[arg(long)]
        type_field: Option<String>,
        /// Layer of a multi-layer source (GeoPackage).
        #[arg(long)]
        layer: Option<String>,
        /// wgs84 (default), cgcs2000 or gcj02 (web-map coordinates, converted on import).
        #[arg(long, default_value = "wgs84")]
        crs: InputCrs,
        #[arg(long)]
        json: bool,
    },
    /// Proposes candidates: places with detections on many days across many months, at night and
    /// out of season (from the store, and from archive files), and places whose alerts were
    /// verified "industrial_heat" repeatedly.
    Learn {
        /// First local date of the history to learn from.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last local date (included).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// A FIRMS archive (or any product) file read as history only; repeatable.
        #[arg(long = "archive")]
        archives: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The registry and the candidates with their evidence.
    List {
        /// Only candidates in this state.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long)]
        json: bool,
    },
    /// Approves a pending candidate into the registry.
    Approve {
        id: i64,
        #[arg(long)]
        actor: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "type")]
        kind: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Rejects a pending candidate: it is kept (and not proposed again) but holds nothing back.
    Reject {
        id: i64,
        #[arg(long)]
        actor: String,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Pending,
    Approved,
    Rejected,
}

impl From<StatusArg> for CandidateStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => CandidateStatus::Pending,
            StatusArg::Approved => CandidateStatus::Approved,
            StatusArg::Rejected => CandidateStatus::Rejected,
        }
    }
}

pub fn sources(config_path: &Path, command: SourcesCommand) -> Result<()> {
    let (config, mut store) = load(config_path)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match command {
        SourcesCommand::Import {
            file,
            kind,
            buffer_km,
            name_field,
            type_field,
            layer,
            crs,
            json,
        } => {
            let options = ImportOptions {
                kind,
                buffer_km,
                name_field,
                kind_field: type_field,
                layer,
                crs,
            };
            let report = import_sources(&mut store, &file, &options, &config.filter.registry)?;
            for e in &report.errors {
                eprintln!("{}: {}", e.at, e.message);
            }
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                for i in &report.imported {
                    writeln!(
                        out,
                        "{}: registry {} {} ({}), buffer {:.2} km",
                        i.at, i.id, i.name, i.kind, i.buffer_km
                    )?;
                }
                for d in &report.duplicates {
                    if d.already_registered {
                        writeln!(out, "{}: {} is already registry {}", d.at, d.name, d.of_id)?;
                    } else {
                        writeln!(
                            out,
                            "{}: duplicate: {} is {:.2} km from registry {} {}; kept one entry, buffer now {:.2} km",
                            d.at, d.name, d.distance_km, d.of_id, d.of_name, d.buffer_km
                        )?;
                    }
                }
                writeln!(
                    out,
                    "{} rows: {} imported, {} duplicates, {} bad rows",
                    report.rows,
                    report.imported.len(),
                    report.duplicates.len(),
                    report.errors.len()
                )?;
            }
        }
        SourcesCommand::Learn {
            from,
            to,
            archives,
            json,
        } => {
            let local_midnight = |d: NaiveDate| {
                Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
                    - Duration::hours(8)
            };
            let run = learn_and_propose(
                &mut store,
                &config.filter,
                &config.seasons,
                from.map(local_midnight),
                to.map(|d| local_midnight(d) + Duration::days(1)),
                &archives,
            )?;
            if json {
                serde_json::to_writer_pretty(&mut out, &run)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "learnt from {} stored detections and {} archive detections ({} files)",
                    run.history_points,
                    run.archive_points,
                    run.archives.len()
                )?;
                for (what, r) in [("learned", &run.learned), ("feedback", &run.feedback)] {
                    writeln!(
                        out,
                        "{what}: {} new candidates {:?}, {} updated, {} at registered sites",
                        r.new.len(),
                        r.new,
                        r.updated.len(),
                        r.registered.len()
                    )?;
                }
                writeln!(
                    out,
                    "review them with `burnwatch sources list --status pending`"
                )?;
            }
        }
        SourcesCommand::List { status, json } => {
            let registry = store.industrial_sources()?;
            let candidates = store.candidates(status.map(Into::into))?;
            if json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({ "registry": registry, "candidates": candidates }),
                )?;
                writeln!(out)?;
                return Ok(());
            }
            if status.is_none() {
                writeln!(out, "registry ({} sites)", registry.len())?;
                for s in &registry {
                    writeln!(
                        out,
                        "  {:>4}  {:<9} {:>10.5} {:>9.5}  {:>5.2} km  {}  [{}]{}",
                        s.id,
                        s.origin,
                        s.lon,
                        s.lat,
                        s.buffer_km,
                        s.name,
                        s.kind,
                        if s.geometry.is_some() {
                            "  footprint"
                        } else {
                            ""
                        }
                    )?;
                }
            }
            writeln!(out, "candidates ({})", candidates.len())?;
            if !candidates.is_empty() {
                writeln!(
                    out,
                    "  {:>4}  {:<8} {:<8} {:>10} {:>9} {:>6} {:>5} {:>6} {:>5} {:>6} {:>6} {:>7}  first – last seen (CST)",
                    "id", "origin", "status", "lon", "lat", "buf_km", "days", "months", "dets", "night", "offsea", "score"
                )?;
            }
            for c in &candidates {
                let e = &c.evidence;
                writeln!(
                    out,
                    "  {:>4}  {:<8} {:<8} {:>10.5} {:>9.5} {:>6.2} {:>5} {:>6} {:>5} {:>5.0}% {:>5.0}% {:>7.1}  {} – {}",
                    c.id,
                    c.origin,
                    c.status.as_str(),
                    c.lon,
                    c.lat,
                    c.buffer_km,
                    e.days,
                    e.months,
                    e.detections,
                    100.0 * e.night_share,
                    100.0 * e.off_season_share,
                    e.score,
                    local_time(e.first_seen),
                    local_time(e.last_seen)
                )?;
            }
        }
        SourcesCommand::Approve {
            id,
            actor,
            name,
            kind,
            note,
        } => {
            let c = store
                .candidates(None)?
                .into_iter()
                .find(|c| c.id == id)
                .with_context(|| format!("candidate {id} does not exist"))?;
            let name = name.unwrap_or_else(|| {
                format!("{} heat source at {:.4}N {:.4}E", c.origin, c.lat, c.lon)
            });
            let kind = kind.unwrap_or_else(|| "persistent heat source".to_owned());
            let source = store.decide_candidate(
                id,
                &Decision::Approve {
                    name: name.clone(),
                    kind,
                },
                &actor,
                note.as_deref(),
            )?;
            writeln!(
                out,
                "candidate {id} approved as registry {} {name}; detections there are held back from the next ingest on",
                source.unwrap_or_default()
            )?;
        }
        SourcesCommand::Reject { id, actor, note } => {
            store.decide_candidate(id, &Decision::Reject, &actor, note.as_deref())?;
            writeln!(out, "candidate {id} rejected")?;
        }
    }
    out.flush()?;
    Ok(())
}

#[derive(Subcommand)]
pub enum SilencesCommand {
    /// Holds back what an area (and optionally a source or sensor) shows for a while. Author,
    /// comment, start and end are all required.
    Add {
        /// A circle: LON,LAT,RADIUS_KM (WGS84).
        #[arg(long, conflicts_with = "polygon")]
        circle: Option<String>,
        /// A GeoJSON file with one Polygon or MultiPolygon (geometry, feature or collection).
        #[arg(long)]
        polygon: Option<PathBuf>,
        /// Only this product family: firms_modis, firms_viirs, himawari_wlf, cspp_afimg, vnp14img.
        #[arg(long)]
        source: Option<String>,
        /// Only this instrument (MODIS, VIIRS, AHI) or satellite (NOAA-20, …).
        #[arg(long)]
        sensor: Option<String>,
        /// now, +2h, RFC 3339, or "YYYY-MM-DD HH:MM" in China time.
        #[arg(long)]
        start: Option<String>,
        /// +8h (after the start), RFC 3339, or "YYYY-MM-DD HH:MM" in China time.
        #[arg(long)]
        end: Option<String>,
        #[arg(long)]
        created_by: Option<String>,
        /// Why: a maintenance flare, a boiler start-up, …
        #[arg(long)]
        comment: Option<String>,
    },
    /// Silences not yet ended (all with --all).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Ends a silence now; detections acquired from now on are no longer held back by it.
    Expire {
        id: i64,
        #[arg(long)]
        actor: String,
    },
}

/// A time for a silence: `now`, `+8h`/`+30m`/`+2d` after `base`, RFC 3339, or a China-time
/// "YYYY-MM-DD HH:MM".
fn parse_when(s: &str, now: DateTime<Utc>, base: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let s = s.trim();
    if s == "now" {
        return Ok(now);
    }
    if let Some(rest) = s.strip_prefix('+') {
        let (n, unit) = rest.split_at(rest.len().saturating_sub(1));
        let n: i64 = n
            .parse()
            .with_context(|| format!("{s:?}: expected +N followed by m, h or d"))?;
        return Ok(base
            + match unit {
                "m" => Duration::minutes(n),
                "h" => Duration::hours(n),
                "d" => Duration::days(n),
                _ => bail!("{s:?}: expected +N followed by m, h or d"),
            });
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let cst = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(cst
                .from_local_datetime(&t)
                .single()
                .context("ambiguous local time")?
                .with_timezone(&Utc));
        }
    }
    bail!("{s:?} is not a time: use now, +8h, RFC 3339 or \"YYYY-MM-DD HH:MM\" (China time)")
}

pub fn silences(config_path: &Path, command: SilencesCommand) -> Result<()> {
    let (_, mut store) = load(config_path)?;
    let now = Utc::now();
    match command {
        SilencesCommand::Add {
            circle,
            polygon,
            source,
            sensor,
            start,
            end,
            created_by,
            comment,
        } => {
            let area = match (circle, polygon) {
                (Some(c), None) => {
                    let v: Vec<f64> = c
                        .split(',')
                        .map(|x| x.trim().parse::<f64>())
                        .collect::<Result<_, _>>()
                        .with_context(|| format!("--circle {c:?}: expected LON,LAT,RADIUS_KM"))?;
                    let [lon, lat, radius_km] = v[..] else {
                        bail!("--circle {c:?}: expected LON,LAT,RADIUS_KM");
                    };
                    AreaSpec::Circle {
                        lon,
                        lat,
                        radius_km,
                    }
                }
                (None, Some(p)) => polygon_file(&p)?,
                _ => bail!(
                    "invalid silence: an area is required: --circle LON,LAT,KM or --polygon FILE"
                ),
            };
            let starts_at = start.map(|s| parse_when(&s, now, now)).transpose()?;
            let ends_at = end
                .map(|s| parse_when(&s, now, starts_at.unwrap_or(now)))
                .transpose()?;
            let spec = SilenceSpec {
                matchers: Matchers {
                    area,
                    source,
                    sensor,
                },
                starts_at,
                ends_at,
                created_by: created_by.unwrap_or_default(),
                comment: comment.unwrap_or_default(),
            };
            let (id, overlaps) = create_silence(&mut store, &spec, now)?;
            for o in &overlaps {
                eprintln!(
                    "note: overlaps silence {} ({}, by {}): both apply; a detection both match is attributed to the older, and expiring one leaves the other in force",
                    o.id, o.comment, o.created_by
                );
            }
            let s = store.silence(id)?;
            println!(
                "silence {id}: {} from {} to {} (CST)",
                describe(&s),
                local_time(s.starts_at),
                local_time(s.ends_at)
            );
        }
        SilencesCommand::List { all, json } => {
            let rows = store.silences(all, now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            if rows.is_empty() {
                println!("no silences");
            }
            for s in &rows {
                let state = if s.starts_at > now {
                    "pending"
                } else if s.effective_end() <= now {
                    "ended"
                } else {
                    "active"
                };
                println!(
                    "{:>4}  {:<7} {} – {}  {}  by {}: {}{}",
                    s.id,
                    state,
                    local_time(s.starts_at),
                    local_time(s.effective_end()),
                    describe(s),
                    s.created_by,
                    s.comment,
                    s.expired_by
                        .as_deref()
                        .map(|b| format!("  (expired early by {b})"))
                        .unwrap_or_default()
                );
            }
        }
        SilencesCommand::Expire { id, actor } => {
            let s = store.expire_silence(id, &actor, now)?;
            println!(
                "silence {id} ended at {} (CST)",
                local_time(s.effective_end())
            );
        }
    }
    Ok(())
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DetectionsArgs {
    /// Only detections held back by a filter.
    #[arg(long)]
    suppressed: bool,
    /// Only those held back for this reason, or a prefix of it up to a colon: registry,
    /// registry:12, silence:4, learned, product_flag (implies --suppressed).
    #[arg(long)]
    reason: Option<String>,
    /// Only this cropland class: straw, not_straw, none.
    #[arg(long)]
    class: Option<String>,
    #[arg(long)]
    limit: Option<usize>,
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Option<DetectionsCommand>,
}

#[derive(Subcommand)]
pub enum DetectionsCommand {
    /// Lifts a suppression: the detection flows on as if never filtered (joins or starts an event
    /// and raises its alert). Once.
    Lift {
        id: i64,
        #[arg(long)]
        actor: String,
        #[arg(long)]
        note: Option<String>,
    },
}

pub fn detections(config_path: &Path, args: DetectionsArgs) -> Result<()> {
    let (config, store) = load(config_path)?;
    if let Some(DetectionsCommand::Lift { id, actor, note }) = args.command {
        // Routed again as ingest would route it now; no filters, since it was released.
        let routing = Routing::load(&config.regions).context("loading the region boundaries")?;
        let mut pipeline = Pipeline::new(store, routing, Vec::new(), &config);
        let outcome = pipeline.lift_suppression(id, &actor, note.as_deref())?;
        println!(
            "detection {id} released from {}: {}{}",
            outcome.lifted_from,
            match (outcome.event_id, outcome.events_new) {
                (Some(e), 0) => format!("joined event {e}"),
                (Some(e), _) => format!("started event {e}"),
                (None, _) => "outside every township, no event".to_owned(),
            },
            if outcome.alert_ids.is_empty() {
                String::new()
            } else {
                format!(", alert {:?}", outcome.alert_ids)
            }
        );
        return Ok(());
    }
    if let Some(c) = &args.class {
        if !["straw", "not_straw", "none"].contains(&c.as_str()) {
            bail!("--class {c:?}: one of straw, not_straw, none");
        }
    }
    let rows = store.detections(&DetectionQuery {
        suppressed: args.suppressed,
        reason: args.reason,
        fire_class: args.class,
        limit: args.limit,
    })?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        write_detections(&mut out, &rows)?;
    }
    out.flush()?;
    Ok(())
}

fn write_detections(out: &mut impl Write, rows: &[StoredDetection]) -> Result<()> {
    if rows.is_empty() {
        writeln!(out, "no detections")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<16}  {:<12} {:<10} {:>10} {:>9} {:>7}  {:<9}  {:<9}  held back by / lifted",
        "id", "seen (CST)", "source", "satellite", "lon", "lat", "frp_mw", "class", "township"
    )?;
    for r in rows {
        let d = &r.detection;
        let why = match (&r.suppressed_by, &r.lifted_from, &r.lifted_by) {
            (Some(s), _, _) => s.clone(),
            (None, Some(from), Some(by)) => format!("(lifted by {by} from {from})"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:>6}  {:<16}  {:<12} {:<10} {:>10.5} {:>9.5} {:>7}  {:<9}  {:<9}  {}",
            r.id,
            local_time(d.acq_time),
            d.source.as_str(),
            d.satellite,
            d.lon,
            d.lat,
            d.frp_mw
                .map(|f| format!("{f:.1}"))
                .unwrap_or_else(|| "-".into()),
            r.fire_class.as_deref().unwrap_or("-"),
            r.region_id.as_deref().unwrap_or("-"),
            why
        )?;
    }
    Ok(())
}

#[derive(Args)]
pub struct EvalFilterArgs {
    /// A folder written by `burnwatch simulate season`.
    #[arg(long, default_value = "season")]
    season: PathBuf,
    #[arg(long)]
    json: bool,
}

/// Prints the measurement; fails when a target is missed, so scripts can gate on it.
pub fn eval_filter(args: EvalFilterArgs) -> Result<()> {
    let report = burnwatch_filter::eval::evaluate_season(&args.season)
        .with_context(|| format!("evaluating the season in {}", args.season.display()))?;
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["targets"] = serde_json::to_value(report.targets())?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{report}");
    }
    if !report.all_met() {
        bail!("the filter missed a target");
    }
    Ok(())
}

#[derive(Args)]
pub struct SimulateSeasonArgs {
    #[arg(long, default_value = "season")]
    out: PathBuf,
    #[arg(long, default_value_t = 2025)]
    seed: u64,
}

pub fn simulate_season(args: SimulateSeasonArgs) -> Result<()> {
    let s = burnwatch_sim::season::write_season(&args.out, args.seed)?;
    eprintln!(
        "wrote {} files to {} ({} daily product files; {} registered and {} hidden industrial sites, {} crop fires, {} off cropland; {} site, {} crop, {} off-cropland pixels)",
        s.files.len(),
        args.out.display(),
        s.daily_files,
        s.registered_sites,
        s.hidden_sites,
        s.crop_fires,
        s.off_crop_fires,
        s.pixels.0,
        s.pixels.1,
        s.pixels.2
    );
    eprintln!(
        "measure it: burnwatch eval filter --season {}",
        args.out.display()
    );
    Ok(())
}
