//! `file.absent`: nothing at this path, file or directory.
//!
//! Salt's `file.absent` takes any keyword (`absent(name, **kwargs)`) and
//! does nothing with them; formulas pass some (nginx's passes the
//! `contents` it would otherwise manage). So does converge: they are
//! accepted, and ignored.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::file_common::named;
use super::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind};

pub(super) struct Absent;

#[derive(Deserialize)]
pub(super) struct Args {
    pub name: String,
    /// Whatever else is given, as Salt takes it: unused.
    #[serde(flatten)]
    #[allow(dead_code)]
    pub ignored: Map<String, Value>,
}

#[async_trait]
impl Function for Absent {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let path = &args.name;
        named(path, "file.absent")?;
        if path == "/" {
            return Err(Failure::new("Refusing to make \"/\" absent"));
        }
        // Salt removes files and symlinks (of anything) as files, and
        // directories; anything else (a FIFO, a socket) it calls absent.
        let what = match ctx.host.file(path).await?.kind {
            FileKind::File | FileKind::Symlink => "File",
            FileKind::Directory => "Directory",
            FileKind::Missing | FileKind::Other => {
                return Ok(Plan::noop(format!("File {path} is not present")))
            }
        };
        let step = Action::run(
            Exec::new(format!("rm -rf -- {}", quote(path))),
            format!("Failed to remove {} {path}", what.to_lowercase()),
        );
        Ok(Plan::change(
            Changes::from_iter([("removed".to_string(), json!(path))]),
            format!("{what} {path} is set for removal"),
            format!("Removed {} {path}", what.to_lowercase()),
            vec![step],
        ))
    }
}
