//! One function per subcommand: call the engine, print, return the exit code.

use std::sync::Arc;

use converge::Error;
use converge::Observer;
use converge::{Engine, Mode, Request};
use serde_json::{json, Map, Value};

use crate::args::{Cli, Command, Out};
use crate::output::{self, print_report};
use crate::show;

pub(crate) async fn run(cli: Cli) -> i32 {
    match dispatch(&cli).await {
        Ok(code) => code,
        Err(e) => {
            eprint!("{e}");
            e.exit_code()
        }
    }
}

async fn dispatch(cli: &Cli) -> Result<i32, Error> {
    let engine = Engine::load(&cli.overrides())?;
    let request = |target: &str, mode: Mode, test: bool| Request {
        target: target.to_string(),
        mode,
        test,
        pillar: cli.pillar.clone(),
        jobs: cli.jobs,
    };
    match &cli.command {
        Command::Highstate { target, test } => {
            apply(&engine, &request(target, Mode::Highstate, *test), cli.out).await
        }
        Command::Sls { target, sls, test } => {
            let names = sls
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            apply(&engine, &request(target, Mode::Sls(names), *test), cli.out).await
        }
        Command::Orchestrate { name, test } => {
            let progress: Arc<dyn Observer> = Arc::new(output::Progress::new());
            let pillar = cli.pillar.clone();
            let report =
                converge::orchestrate(&engine, name, *test, pillar, cli.jobs, Some(progress))
                    .await?;
            print_report(&report, cli.out);
            Ok(report.exit_code())
        }
        Command::Pillar { target } => pillar(&engine, target, cli).await,
        Command::Show { target, format } => show::show(&engine, target, *format, cli).await,
        Command::Run { target, command } => run_command(&engine, target, command, cli).await,
    }
}

async fn apply(engine: &Engine, req: &Request, out: Out) -> Result<i32, Error> {
    let report = engine.apply(req).await?;
    print_report(&report, out);
    Ok(report.exit_code())
}

async fn pillar(engine: &Engine, target: &str, cli: &Cli) -> Result<i32, Error> {
    let hosts = engine
        .prepare(target, &Mode::Sls(vec![]), cli.pillar.as_ref(), cli.jobs)
        .await?;
    let mut all = Map::new();
    let mut code = 0;
    for (h, p) in &hosts {
        match p {
            Ok(p) => {
                all.insert(h.id.clone(), p.pillar.clone());
            }
            Err(e) => {
                code = 2;
                eprintln!("{}: {e}", h.id);
            }
        }
    }
    engine.disconnect().await;
    match cli.out {
        Out::Json => println!("{}", output::pretty(&Value::Object(all))),
        Out::Text => print!("{}", converge::yaml_block(&Value::Object(all))),
    }
    Ok(code)
}

async fn run_command(
    engine: &Engine,
    target: &str,
    command: &[String],
    cli: &Cli,
) -> Result<i32, Error> {
    let returns = converge::run_everywhere(engine, target, command, cli.jobs).await?;
    let code = if returns
        .values()
        .all(|r| r.get("retcode") == Some(&json!(0)))
    {
        0
    } else {
        2
    };
    match cli.out {
        Out::Json => println!("{}", output::pretty(&Value::Object(returns))),
        Out::Text => {
            let p = output::palette();
            for (host, r) in &returns {
                println!("{}{host}:{}", p.cyan, p.endc);
                println!("{}", converge::report::nested_text(r, 4, &p));
            }
        }
    }
    Ok(code)
}
