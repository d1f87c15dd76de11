//! `file.absent`: nothing at this path, file or directory.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind};

pub struct Absent;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
}

#[async_trait]
impl Function for Absent {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let path = &args.name;
        if !path.starts_with('/') {
            return Err(Failure::new(format!(
                "Specified file {path} is not an absolute path"
            )));
        }
        if path.trim_end_matches('/').is_empty() {
            return Err(Failure::new("Refusing to make \"/\" absent"));
        }
        let what = match ctx.host.file(path).await?.kind {
            FileKind::Missing => return Ok(Plan::noop(format!("File {path} is not present"))),
            FileKind::Directory => "Directory",
            _ => "File",
        };
        let step = Action::run(
            Exec::new(format!("rm -rf -- {}", quote(path))),
            format!("Failed to remove {path}"),
        );
        Ok(Plan::change(
            Changes::from_iter([("removed".to_string(), json!(path))]),
            format!("{what} {path} is set for removal"),
            format!("Removed {} {path}", what.to_lowercase()),
            vec![step],
        ))
    }
}
