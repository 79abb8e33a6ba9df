//! `burnwatch`: the command line. Thin by design: every command parses its arguments, calls the
//! library crates, and prints.

mod camera_cmd;
mod cropland_cmd;
mod detect_cmd;
mod output;
mod sources_cmd;
mod stats_cmd;
mod users_cmd;

use anyhow::{bail, Context, Result};
use burnwatch_core::config::{Config, LayerConfig};
use burnwatch_core::coords::InputCrs;
use burnwatch_core::{AlertState, Outcome};
use burnwatch_pipeline::{Filter, Pipeline, Routing};
use burnwatch_region::{load_layer, route_csv, Level, RegionIndex};
use burnwatch_store::{AlertFilter, SqliteStore, Store, TransitionRequest};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "burnwatch",
    version,
    about = "Finds straw fires in satellite data and routes each to the township patrol that owns it"
)]
struct Cli {
    /// Configuration file (TOML). Defaults to the demo prefecture in samples/.
    #[arg(
        long,
        global = true,
        env = "BURNWATCH_CONFIG",
        default_value = "samples/burnwatch.toml"
    )]
    config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Runs product files through the whole path: parse, filter, route, events, alerts.
    Ingest {
        /// One JSON object per file on stdout.
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Lists the patrol queues.
    Alerts {
        /// A township (or county) id: its own alerts and those shown to it as a neighbour.
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, value_enum, default_value_t = output::Format::Table)]
        format: output::Format,
    },
    /// Moves an alert to a new state (received, en_route, on_scene, verified, closed, cancelled…).
    Transition {
        alert_id: i64,
        state: String,
        /// Who acts: a patrol user, a duty officer.
        #[arg(long)]
        actor: String,
        /// Required for verified: confirmed_straw_burn, nothing_found, industrial_heat, …
        #[arg(long)]
        outcome: Option<String>,
        /// Required for cancelled.
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// The state history of an alert.
    History { alert_id: i64 },
    /// Counts of what the store holds.
    Status,
    /// Appends region_id,region_name to each row of a points CSV (lon/lat or longitude/latitude).
    Route {
        #[arg(long)]
        boundaries: PathBuf,
        #[arg(long)]
        id_field: String,
        #[arg(long)]
        name_field: Option<String>,
        #[arg(long)]
        layer: Option<String>,
        /// wgs84 (default), cgcs2000 or gcj02 (converted to WGS84 on load).
        #[arg(long, default_value = "wgs84")]
        crs: InputCrs,
        points: PathBuf,
    },
    /// Simulators that produce burnwatch's own sample data.
    Simulate {
        #[command(subcommand)]
        what: SimulateCommand,
    },
    /// Runs the daemon: inbox, FIRMS and camera sources, the pipeline, /healthz and /metrics.
    /// Stops cleanly on SIGINT or SIGTERM.
    Run,
    /// Finds fire pixels in a raw granule with a sensor profile's contextual algorithm.
    Detect(detect_cmd::DetectArgs),
    /// Measures the algorithms on simulated data.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
    /// The industrial registry and learned candidates: import, learn, list, approve, reject.
    Sources {
        #[command(subcommand)]
        what: sources_cmd::SourcesCommand,
    },
    /// Silences: hold back what an area shows for a while, with author and reason.
    Silences {
        #[command(subcommand)]
        what: sources_cmd::SilencesCommand,
    },
    /// Stored detections (`--suppressed [--reason R]`), and `lift ID` to release a suppression.
    Detections(sources_cmd::DetectionsArgs),
    /// Accounts: patrols, county supervisors, duty officers, auditors, admins.
    Users {
        #[command(subcommand)]
        what: users_cmd::UsersCommand,
    },
    /// Audit statistics for a date range or a named season, by prefecture, county or township.
    Stats(stats_cmd::StatsArgs),
    /// The daily bulletin: a printable page (map, detail table, summary) and its PDF.
    Bulletin(stats_cmd::BulletinArgs),
    /// Detections, events, alerts or verifications as CSV, XLSX, GeoJSON or KML.
    Export(stats_cmd::ExportArgs),
    /// Measures each township's cropland from the [filter.cropland] mask, for the statistics'
    /// points per 1,000 ha where [reports.cropland_ha] gives no figure.
    Cropland,
    // [more commands above this line]
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Detection probability by FRP (day and night) and false alarms on simulated granules.
    Detect(detect_cmd::EvalDetectArgs),
    /// The non-straw filters on a simulated season: registry, learner, cropland class.
    Filter(sources_cmd::EvalFilterArgs),
    /// Precision and recall of the camera detectors (colour rules, model, with temporal
    /// confirmation) on labelled images.
    Camera(camera_cmd::EvalCameraArgs),
    // [more evals above this line]
}

#[derive(Subcommand)]
enum SimulateCommand {
    /// The demo prefecture, its registry, and a day of fire-point products in the real formats.
    Samples {
        #[arg(long, default_value = "samples")]
        out: PathBuf,
        #[arg(long, default_value_t = 20250610)]
        seed: u64,
    },
    /// A raw granule (GeoTIFF or NetCDF) with sub-pixel fires, clouds, lakes and hot ground.
    Granule(detect_cmd::SimulateGranuleArgs),
    /// A season of daily FIRMS files with industrial sites, crop fires, a cropland mask and the truth.
    Season(sources_cmd::SimulateSeasonArgs),
    /// Serves the config's cameras as simulated tower cameras (digest auth) seeing given fires.
    Cameras(camera_cmd::SimulateCamerasArgs),
    // [more simulators above this line]
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A reader that stops early (`burnwatch alerts | head`) is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("burnwatch: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BURNWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn load_config(path: &Path) -> Result<Config> {
    Ok(Config::load(path)?)
}

fn open_store(config: &Config) -> Result<SqliteStore> {
    SqliteStore::open(&config.store.path)
        .with_context(|| format!("opening the store {}", config.store.path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ingest { json, files } => ingest(&cli.config, json, &files),
        Command::Alerts {
            region,
            status,
            format,
        } => {
            let config = load_config(&cli.config)?;
            let store = open_store(&config)?;
            let state = status.map(|s| parse_state(&s)).transpose()?;
            let alerts = store.alerts(&AlertFilter { region, state })?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            output::write_alerts(&mut out, &alerts, format)?;
            out.flush()?;
            Ok(())
        }
        Command::Transition {
            alert_id,
            state,
            actor,
            outcome,
            reason,
            note,
        } => {
            let config = load_config(&cli.config)?;
            let mut store = open_store(&config)?;
            let outcome = outcome
                .map(|o| {
                    Outcome::parse(&o).with_context(|| {
                        format!(
                            "unknown outcome {o:?}; one of: {}",
                            burnwatch_core::alert::ALL_OUTCOMES
                                .map(|o| o.as_str())
                                .join(", ")
                        )
                    })
                })
                .transpose()?;
            let view = store.transition_alert(&TransitionRequest {
                alert_id,
                to: parse_state(&state)?,
                actor,
                at: chrono::Utc::now(),
                outcome,
                reason,
                note,
            })?;
            println!("alert {} is now {}", view.alert_id, view.state.as_str());
            Ok(())
        }
        Command::History { alert_id } => {
            let config = load_config(&cli.config)?;
            let store = open_store(&config)?;
            store.alert(alert_id)?;
            for t in store.alert_history(alert_id)? {
                println!(
                    "{}  {:>10} → {:<10} {}{}{}",
                    output::local_time(t.at),
                    t.from_state.map(|s| s.as_str()).unwrap_or("-"),
                    t.to_state.as_str(),
                    t.actor,
                    t.outcome
                        .map(|o| format!("  outcome={}", o.as_str()))
                        .unwrap_or_default(),
                    t.reason
                        .map(|r| format!("  reason={r}"))
                        .unwrap_or_default(),
                );
            }
            Ok(())
        }
        Command::Status => {
            let config = load_config(&cli.config)?;
            let store = open_store(&config)?;
            println!("{}", serde_json::to_string_pretty(&store.counts()?)?);
            Ok(())
        }
        Command::Route {
            boundaries,
            id_field,
            name_field,
            layer,
            crs,
            points,
        } => {
            let regions = load_layer(
                &LayerConfig {
                    path: boundaries,
                    layer,
                    id_field,
                    name_field,
                    parent_field: None,
                    crs,
                },
                Level::Township,
            )?;
            let index = RegionIndex::new(regions);
            let input = std::fs::File::open(&points)
                .with_context(|| format!("opening {}", points.display()))?;
            let stdout = std::io::stdout();
            let out = std::io::BufWriter::new(stdout.lock());
            let stats = route_csv(std::io::BufReader::new(input), out, &index)?;
            eprintln!(
                "routed {} rows: {} inside, {} outside, {} with unreadable coordinates",
                stats.rows, stats.inside, stats.outside, stats.unparsable
            );
            Ok(())
        }
        Command::Simulate { what } => match what {
            SimulateCommand::Samples { out, seed } => {
                let summary = burnwatch_sim::write_samples(&out, seed)?;
                eprintln!(
                    "wrote {} files to {} ({} counties, {} townships, {} simulated fires)",
                    summary.files.len(),
                    out.display(),
                    summary.counties,
                    summary.townships,
                    summary.fires.len()
                );
                Ok(())
            }
            SimulateCommand::Granule(args) => detect_cmd::simulate_granule(&cli.config, args),
            SimulateCommand::Season(args) => sources_cmd::simulate_season(args),
            SimulateCommand::Cameras(args) => camera_cmd::simulate_cameras(&cli.config, args),
            // [more simulator arms above this line]
        },
        Command::Run => run_daemon(&cli.config),
        Command::Detect(args) => detect_cmd::detect(&cli.config, args),
        Command::Eval { what } => match what {
            EvalCommand::Detect(args) => detect_cmd::eval_detect(&cli.config, args),
            EvalCommand::Filter(args) => sources_cmd::eval_filter(args),
            EvalCommand::Camera(args) => camera_cmd::eval_camera(&cli.config, args),
            // [more eval arms above this line]
        },
        Command::Sources { what } => sources_cmd::sources(&cli.config, what),
        Command::Silences { what } => sources_cmd::silences(&cli.config, what),
        Command::Detections(args) => sources_cmd::detections(&cli.config, args),
        Command::Users { what } => users_cmd::run(what, &load_config(&cli.config)?),
        Command::Stats(args) => stats_cmd::stats(&cli.config, args),
        Command::Bulletin(args) => stats_cmd::bulletin_cmd(&cli.config, args),
        Command::Export(args) => stats_cmd::export_cmd(&cli.config, args),
        Command::Cropland => cropland_cmd::run(&cli.config),
        // [more command arms above this line]
    }
}

fn parse_state(s: &str) -> Result<AlertState> {
    match AlertState::parse(s) {
        Some(st) => Ok(st),
        None => bail!(
            "unknown alert state {s:?}; one of: {}",
            burnwatch_core::alert::ALL_STATES
                .map(|s| s.as_str())
                .join(", ")
        ),
    }
}

fn ingest(config_path: &Path, json: bool, files: &[PathBuf]) -> Result<()> {
    let config = load_config(config_path)?;
    let mut store = open_store(&config)?;
    let routing = Routing::load(&config.regions).context("loading the region boundaries")?;
    store.replace_regions(&routing.region_rows()?)?;
    let filters = default_filters(&config, &store)?;
    let mut pipeline = Pipeline::new(store, routing, filters, &config);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut rejected = 0;
    // A bar for long backfills; indicatif draws nothing when stderr is not a terminal.
    let bar = indicatif::ProgressBar::new(files.len() as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} files  {elapsed_precise}  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    for file in files {
        bar.set_message(file.display().to_string());
        let report = pipeline.ingest_file(file)?;
        bar.inc(1);
        bar.suspend(|| {
            if let Some(err) = &report.error {
                rejected += 1;
                eprintln!("rejected {}: {err}", report.file);
            }
            for row in &report.row_errors {
                eprintln!("{}:{}: {}", report.file, row.line, row.message);
            }
        });
        if json {
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{}: {} rows, {} rejected rows, {} new detections ({} duplicate, {} suppressed, {} outside), {} new events, {} updated, {} new alerts",
                report.file,
                report.rows_read,
                report.rows_rejected,
                report.detections_new,
                report.detections_duplicate,
                report.suppressed,
                report.outside,
                report.events_new,
                report.events_updated,
                report.alerts_new
            )?;
        }
    }
    bar.finish_and_clear();
    if rejected > 0 {
        eprintln!(
            "{rejected} of {} files quarantined in {}",
            files.len(),
            config.ingest.quarantine_dir.display()
        );
    }
    Ok(())
}

fn run_daemon(config_path: &Path) -> Result<()> {
    let config = load_config(config_path)?;
    let mut store = open_store(&config)?;
    let routing = Routing::load(&config.regions).context("loading the region boundaries")?;
    store.replace_regions(&routing.region_rows()?)?;
    let extent = routing.extent();
    let filters = default_filters(&config, &store)?;
    let filter_config = config.filter.clone();
    // Silences and approved sources made while the daemon runs apply from the next file on.
    let pipeline = Pipeline::new(store, routing, filters, &config).with_filter_source(Box::new(
        move |store: &SqliteStore| {
            burnwatch_filter::configured_filters(&filter_config, store).map_err(|e| e.to_string())
        },
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(burnwatch_daemon::run(
        config,
        pipeline,
        extent,
        burnwatch_daemon::shutdown_signal(),
    ))?;
    Ok(())
}

/// Product flags, silences and the registry (imported, learned and feedback sites) as the store
/// holds them now, and the cropland class when a mask is configured.
fn default_filters(config: &Config, store: &SqliteStore) -> Result<Vec<Box<dyn Filter>>> {
    burnwatch_filter::prepare_store(&config.filter, store).context("loading the filters")
}
