//! `converge-load [SECONDS] [host:port...]`: write through the PgBouncers
//! (the lab's two by default) for SECONDS (default 10), then print what each
//! writer saw as JSON: acknowledged and failed transactions, the longest
//! pause, and rows lost (checked through the first target).

use std::time::Duration;

use load::{lost_rows, prepare, Load, Options};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut opts = Options::lab();
    let targets: Vec<String> = args.collect();
    if !targets.is_empty() {
        opts.targets = targets;
    }
    if let Err(e) = prepare(&opts).await {
        eprintln!("converge-load: {e}");
        std::process::exit(1);
    }
    let src = format!("load-{}", std::process::id());
    let load = Load::start(&opts, &src);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let writers = load.stop().await;
    let lost = lost_rows(&opts, &opts.targets[0], &src, &writers).await;
    let report: Vec<serde_json::Value> = writers
        .iter()
        .map(|w| {
            let (gap, at) = w.longest_gap(Duration::ZERO, Duration::MAX);
            serde_json::json!({"target": w.target, "acknowledged": w.acknowledged, "failed": w.failed,
                "longest_pause_ms": gap.as_secs_f64() * 1000.0, "pause_at_s": at.as_secs_f64(), "errors": w.errors})
        })
        .collect();
    let out = serde_json::json!({"writers": report, "lost_rows": lost.map_err(|e| e.clone())});
    println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
}
