//! Whether a cluster's server runs, by `pg_ctl status` (which reads the
//! pid file and checks the process): exit 0 runs, 3 does not, anything
//! else means there is no cluster there.

use crate::postgres::Layout;
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Postmaster {
    Running,
    Stopped,
}

impl Postmaster {
    pub(crate) fn command(layout: &Layout) -> Exec {
        Exec::new(layout.status_command()).runas(Some(&layout.user))
    }

    pub(crate) fn parse(out: &Output, layout: &Layout) -> Result<Postmaster, String> {
        match out.code {
            0 => Ok(Postmaster::Running),
            3 => Ok(Postmaster::Stopped),
            _ => Err(format!(
                "no PostgreSQL cluster in {}: {}",
                layout.datadir,
                out.stderr.trim()
            )),
        }
    }

    pub(crate) async fn read(host: &dyn Transport, layout: &Layout) -> Result<Postmaster, String> {
        Postmaster::parse(
            &super::run(host, &Postmaster::command(layout)).await?,
            layout,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(code: i32, stderr: &str) -> Output {
        Output {
            code,
            stderr: stderr.into(),
            ..Output::default()
        }
    }

    #[test]
    fn exit_codes_of_pg_ctl_status() {
        let l = Layout::default();
        assert_eq!(Postmaster::parse(&exit(0, ""), &l), Ok(Postmaster::Running));
        assert_eq!(Postmaster::parse(&exit(3, ""), &l), Ok(Postmaster::Stopped));
        assert_eq!(
            Postmaster::parse(&exit(4, "pg_ctl: directory \"/x\" does not exist"), &l),
            Err("no PostgreSQL cluster in /var/lib/postgresql/15/main: pg_ctl: directory \"/x\" does not exist".into())
        );
    }
}
