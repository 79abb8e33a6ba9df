//! `burnwatch eval camera`: precision and recall of the visible-frame detectors on labelled
//! images; `burnwatch simulate cameras`: a camera simulator to point `[[cameras]]` at.

use anyhow::{Context, Result};
use burnwatch_camera::eval::{evaluate, read_labels, EvalOptions};
use burnwatch_camera::sim::{Credentials, SimCamera, SimFire, SimWorld};
use burnwatch_camera::{ColourProfile, ModelDescription, OnnxDetector, Pose};
use burnwatch_core::Config;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(clap::Args)]
pub struct EvalCameraArgs {
    /// labels.csv (columns file, label = fire/smoke/none); e.g. ../shared/data/camera/labels.csv.
    #[arg(long)]
    labels: PathBuf,
    /// Folder of the images (default: images/ beside the labels file).
    #[arg(long)]
    images: Option<PathBuf>,
    /// Model description in the camera models folder.
    #[arg(long, default_value = "flame-yolov8")]
    model: String,
    /// Colour rules only.
    #[arg(long)]
    no_model: bool,
    /// Camera models folder (default: the config's [detect] models_dir/camera, else models/camera).
    #[arg(long)]
    models: Option<PathBuf>,
    /// Frames in each sequence for temporal confirmation (0: still images only).
    #[arg(long, default_value_t = 6)]
    frames: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn camera_models_dir(config_path: &Path, models: Option<PathBuf>) -> PathBuf {
    if let Some(m) = models {
        return m;
    }
    if let Ok(c) = Config::load(config_path) {
        let dir = burnwatch_camera::camera_models_dir(&c);
        if dir.is_dir() {
            return dir;
        }
    }
    PathBuf::from("models/camera")
}

fn fmt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

pub fn eval_camera(config_path: &Path, args: EvalCameraArgs) -> Result<()> {
    if !args.labels.is_file() {
        println!(
            "skipping: {} is absent (the labelled camera images live in ../shared/data/camera)",
            args.labels.display()
        );
        return Ok(());
    }
    let labels = read_labels(&args.labels)?;
    let images_dir = args.images.clone().unwrap_or_else(|| {
        args.labels
            .parent()
            .unwrap_or(Path::new("."))
            .join("images")
    });
    let dir = camera_models_dir(config_path, args.models.clone());
    let colour = ColourProfile::load(&dir, "colour")?;
    let model = if args.no_model {
        None
    } else {
        let d = ModelDescription::load(&dir, &args.model)?;
        if d.path.is_file() {
            eprintln!("loading {} ({})", d.name, d.path.display());
            Some(Arc::new(OnnxDetector::load(d)?))
        } else {
            println!(
                "model {}: weights {} are absent, evaluating the colour rules only",
                d.name,
                d.path.display()
            );
            None
        }
    };
    let report = evaluate(
        &labels,
        &EvalOptions {
            images_dir,
            colour,
            model,
            sequence_frames: args.frames,
            seed: args.seed,
        },
    )?;
    for (file, why) in &report.unreadable {
        println!("unreadable {file}: {why}");
    }
    let n = report.detectors.first().map_or(0, |d| d.images);
    let count = |l: &str| labels.iter().filter(|x| x.label == l).count();
    println!(
        "{n} images ({} fire, {} smoke, {} none); a label is predicted when any box of that class is (none: no box)",
        count("fire"),
        count("smoke"),
        count("none")
    );
    println!(
        "{:<44} {:<6} {:>9} {:>7} {:>4} {:>4} {:>4}",
        "detector", "label", "precision", "recall", "tp", "fp", "fn"
    );
    for d in &report.detectors {
        for label in ["fire", "smoke", "none", "alarm"] {
            let c = d.labels.get(label).copied().unwrap_or_default();
            println!(
                "{:<44} {:<6} {:>9} {:>7} {:>4} {:>4} {:>4}",
                d.name,
                label,
                fmt(c.precision()),
                fmt(c.recall()),
                c.tp,
                c.fp,
                c.fn_
            );
        }
        println!("{:<44} {:.1} ms per frame", d.name, d.ms_per_frame);
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct SimulateCamerasArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8554")]
    listen: String,
    /// A fire as LON,LAT (repeatable).
    #[arg(long = "fire", value_parser = parse_lon_lat, required = true)]
    fires: Vec<(f64, f64)>,
    /// Digest credentials the simulator demands; the password comes from this variable.
    #[arg(long, default_value = "burnwatch")]
    username: String,
    #[arg(long, default_value = "BW_SIM_CAMERA_PASSWORD")]
    password_env: String,
}

fn parse_lon_lat(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s.split_once(',').ok_or("expected LON,LAT")?;
    let lon: f64 = a
        .trim()
        .parse()
        .map_err(|_| format!("bad longitude {a:?}"))?;
    let lat: f64 = b
        .trim()
        .parse()
        .map_err(|_| format!("bad latitude {b:?}"))?;
    Ok((lon, lat))
}

/// Serves every `[[cameras]]` of the config as a simulated camera (same id, position, height,
/// preset), all seeing the given fires, until Ctrl-C. Point a copy of the config's snapshot_url
/// at `http://LISTEN/ISAPI/Streaming/channels/<id>/picture` to watch the daemon find them; the
/// pose is also served, as JSON and as Hikvision PTZ status XML (zoom 1×).
pub fn simulate_cameras(config_path: &Path, args: SimulateCamerasArgs) -> Result<()> {
    let config = Config::load(config_path)?;
    let cameras: Vec<SimCamera> = config
        .cameras
        .iter()
        .map(|c| {
            let p = c
                .preset
                .with_context(|| format!("camera {:?} needs a preset to be simulated", c.id))?;
            let [width, height] = c.frame_size.unwrap_or([1280, 720]);
            Ok(SimCamera {
                id: c.id.clone(),
                lon: c.lon,
                lat: c.lat,
                height_m: c.height_m,
                pose: Pose {
                    pan_deg: p.pan_deg,
                    tilt_deg: p.tilt_deg,
                    hfov_deg: p.hfov_deg,
                    vfov_deg: p.vfov_deg,
                },
                width,
                height,
                thermal: c.kind == burnwatch_core::daemon_config::CameraKind::Thermal,
            })
        })
        .collect::<Result<_>>()?;
    anyhow::ensure!(
        !cameras.is_empty(),
        "the config has no [[cameras]] to simulate"
    );
    let world = SimWorld {
        fires: args
            .fires
            .iter()
            .map(|&(lon, lat)| SimFire {
                lon,
                lat,
                width_m: 30.0,
                flame_height_m: 6.0,
                temp_k: 900.0,
            })
            .collect(),
        refraction_k: config.frames.fusion.refraction_k,
        ground_k: 295.0,
    };
    let password = std::env::var(&args.password_env)
        .with_context(|| format!("set {} to the simulator's password", args.password_env))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let ids: Vec<String> = cameras.iter().map(|c| c.id.clone()).collect();
        let server = burnwatch_camera::sim::serve(
            listener,
            world,
            cameras,
            Credentials {
                username: args.username.clone(),
                password,
            },
        )?;
        for id in ids {
            eprintln!(
                "camera {id}: {}  pose: {} (JSON) or {} (Hikvision ISAPI XML)",
                server.snapshot_url(&id),
                server.pose_url(&id),
                server.isapi_status_url(&id)
            );
        }
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })
}
