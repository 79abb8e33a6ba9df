//! `burnwatch`: the command line. Thin by design: every command parses its arguments, calls the
//! library crates, and prints.

mod output;

use anyhow::{bail, Context, Result};
use burnwatch_core::config::{Config, LayerConfig};
use burnwatch_core::coords::InputCrs;
use burnwatch_core::{AlertState, Outcome};
use burnwatch_pipeline::{Filter, Pipeline, ProductFlagFilter, Routing};
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
    // [more commands above this line]
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
            } // [more simulator arms above this line]
        },
        Command::Run => run_daemon(&cli.config),
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
    let mut pipeline = Pipeline::new(store, routing, default_filters(), &config);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut rejected = 0;
    for file in files {
        let report = pipeline.ingest_file(file)?;
        if let Some(err) = &report.error {
            rejected += 1;
            eprintln!("rejected {}: {err}", report.file);
        }
        for row in &report.row_errors {
            eprintln!("{}:{}: {}", report.file, row.line, row.message);
        }
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
    let pipeline = Pipeline::new(store, routing, default_filters(), &config);
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

fn default_filters() -> Vec<Box<dyn Filter>> {
    vec![Box::new(ProductFlagFilter)]
}
