//! The command line, as the contract defines it. Global options can also
//! be set in `converge.yaml` (the master config); the command line wins.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use converge::Overrides;

#[derive(Parser, Debug)]
#[command(
    name = "converge",
    version,
    about = "Declarative state convergence in Salt's language, over ssh"
)]
pub(crate) struct Cli {
    /// Master config (default: ./converge.yaml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// file_roots for the environment `base` (default: ./states).
    #[arg(long, global = true, value_name = "DIR")]
    pub states: Option<PathBuf>,
    /// pillar_roots for `base` (default: ./pillar).
    #[arg(long = "pillar-root", global = true, value_name = "DIR")]
    pub pillar_root: Option<PathBuf>,
    /// Roster in salt-ssh format (default: ./roster.yaml).
    #[arg(long, global = true, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Which file_roots environment to use (default: base).
    #[arg(long, global = true, value_name = "NAME")]
    pub saltenv: Option<String>,
    /// Pillar override, merged over the rendered pillar (Salt's `pillar=`).
    #[arg(long, global = true, value_name = "JSON", value_parser = parse_json)]
    pub pillar: Option<serde_json::Value>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Out::Text)]
    pub out: Out,
    /// Hosts converged at once.
    #[arg(short, long, global = true, default_value_t = 16, value_name = "N")]
    pub jobs: usize,
    /// tracing filter for logs on stderr (error, warn, info, debug, trace).
    #[arg(
        long = "log-level",
        global = true,
        default_value = "warn",
        value_name = "LEVEL"
    )]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Converge hosts to the states their top file gives them.
    Highstate {
        target: String,
        /// Change nothing; show what would change.
        #[arg(long)]
        test: bool,
    },
    /// Converge hosts to the named sls files (comma-separated).
    Sls {
        target: String,
        sls: String,
        #[arg(long)]
        test: bool,
    },
    /// Run an orchestration (an sls of salt.state / salt.function steps) from this machine.
    Orchestrate {
        name: String,
        #[arg(long)]
        test: bool,
    },
    /// Print each host's rendered pillar as YAML.
    Pillar { target: String },
    /// Print each host's compiled states in run order, or the graph.
    Show {
        target: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Run an ad-hoc command on each host.
    Run {
        target: String,
        #[arg(last = true, required = true, num_args = 1..)]
        command: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Out {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShowFormat {
    Text,
    Dot,
}

fn parse_json(s: &str) -> Result<serde_json::Value, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?;
    if !v.is_object() {
        return Err("the pillar override must be a JSON object".into());
    }
    Ok(v)
}

impl Cli {
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            states: self.states.clone(),
            pillar_root: self.pillar_root.clone(),
            roster: self.roster.clone(),
            saltenv: self.saltenv.clone(),
        }
    }

    pub(crate) fn init_logging(&self) {
        let filter = tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_command_lines_parse() {
        let c = Cli::try_parse_from(["converge", "highstate", "pgdb*", "--test"]).unwrap();
        assert!(
            matches!(c.command, Command::Highstate { ref target, test: true } if target == "pgdb*")
        );
        let c = Cli::try_parse_from([
            "converge", "--out", "json", "-j", "4", "sls", "pgdb1", "a,b",
        ])
        .unwrap();
        assert_eq!((c.out, c.jobs), (Out::Json, 4));
        let c = Cli::try_parse_from(["converge", "run", "pgdb1", "--", "ls", "-l"]).unwrap();
        assert!(matches!(c.command, Command::Run { ref command, .. } if command == &["ls", "-l"]));
        let c = Cli::try_parse_from([
            "converge",
            "show",
            "pgdb1",
            "--format",
            "dot",
            "--pillar",
            "{\"a\": 1}",
        ])
        .unwrap();
        assert_eq!(c.pillar, Some(serde_json::json!({"a": 1})));
        assert!(Cli::try_parse_from(["converge", "pillar", "x", "--pillar", "[1]"]).is_err());
    }
}
