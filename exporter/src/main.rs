//! `zokio-exporter`: the host daemon. Serves every Zokio process of its user on one `/metrics`
//! (each runtime's series labelled with its `service`, `pid` and `runtime`), finding new
//! processes and dropping exited ones at each scrape. See `zokio-exporter --help`.

use clap::Parser;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use zokio::signal::unix::{signal, SignalKind};
use zokio_exporter::otlp::OtlpPusher;
use zokio_exporter::{serve_exporter, Exporter};

/// Serves the metrics of every Zokio process of this user for Prometheus.
#[derive(Debug, Parser)]
#[command(name = "zokio-exporter", version, about, long_about = None)]
struct Args {
    /// Address of the /metrics endpoint.
    #[arg(long, default_value = "127.0.0.1:9464", value_name = "ADDR")]
    listen: SocketAddr,
    /// Also push the metrics over OTLP/HTTP (protobuf) to this collector, e.g.
    /// http://127.0.0.1:4318.
    #[arg(long, value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// Seconds between OTLP pushes.
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = positive_secs)]
    interval: f64,
    /// Print the metrics once in the Prometheus text format and exit (no server).
    #[arg(long)]
    once: bool,
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds in (0, 86400]")),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let exporter = Exporter::all_processes();
    if args.once {
        use std::io::Write;
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = std::io::stdout()
            .lock()
            .write_all(exporter.render().as_bytes());
        return ExitCode::SUCCESS;
    }
    // Every argument is checked before anything is announced: a bad OTLP endpoint fails
    // before the endpoint serves.
    let pusher = match otlp(&args, &exporter) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("zokio-exporter: {e}");
            return ExitCode::from(2);
        }
    };
    let endpoint = match serve_exporter(args.listen, exporter.clone()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("zokio-exporter: cannot listen on {}: {e}", args.listen);
            if let Some(p) = pusher {
                p.shutdown();
            }
            return ExitCode::from(2);
        }
    };
    println!(
        "zokio-exporter: serving http://{}/metrics",
        endpoint.local_addr()
    );
    if let Some(p) = &pusher {
        println!(
            "zokio-exporter: pushing OTLP to {} every {}s",
            p.url(),
            args.interval
        );
    }
    let stopped = wait_for_stop();
    if let Some(p) = pusher {
        p.shutdown();
    }
    endpoint.shutdown();
    match stopped {
        Ok(name) => {
            println!("zokio-exporter: stopped by {name}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zokio-exporter: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the OTLP push when asked (over the endpoint's exporter, so `/metrics` shows the
/// push's own counters).
fn otlp(args: &Args, exporter: &Exporter) -> Result<Option<OtlpPusher>, String> {
    let Some(url) = &args.otlp_endpoint else {
        return Ok(None);
    };
    let pusher = OtlpPusher::builder(url.clone())
        .interval(Duration::from_secs_f64(args.interval))
        .start(exporter.clone())
        .map_err(|e| format!("--otlp-endpoint: {e}"))?;
    Ok(Some(pusher))
}

/// Blocks until SIGINT or SIGTERM; names the signal.
fn wait_for_stop() -> std::io::Result<&'static str> {
    let rt = zokio::runtime::Builder::new_current_thread()
        .enable_all()
        .publish_telemetry(false)
        .build()?;
    rt.block_on(async {
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        zokio::select! {
            _ = int.recv() => Ok("SIGINT"),
            _ = term.recv() => Ok("SIGTERM"),
        }
    })
}
