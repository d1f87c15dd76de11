//! A service as the host's init system sees it: whether it exists, runs
//! and starts at boot, read in one probe on hosts with systemd and on
//! hosts without it (Debian's `service` and init scripts).
//!
//! systemd is detected the way systemd documents it (`/run/systemd/system`
//! exists), so a container without systemd as PID 1 gets the init scripts.
//! The init system also says how to act on a service (`Init::command`).

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Init {
    Systemd,
    SysV,
}

/// What the probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Service {
    pub init: Init,
    pub present: bool,
    pub running: bool,
    pub enabled: bool,
}

impl Service {
    /// One command: init system, presence, state, enablement, a line each.
    pub(crate) fn command(name: &str) -> Exec {
        let n = quote(name);
        Exec::new(format!(
            "if [ -d /run/systemd/system ]; then echo systemd; \
             if systemctl cat -- {n} >/dev/null 2>&1; then echo present; else echo absent; fi; \
             systemctl is-active --quiet -- {n} && echo running || echo stopped; \
             systemctl is-enabled --quiet -- {n} 2>/dev/null && echo enabled || echo disabled; \
             else echo sysv; \
             if [ -x /etc/init.d/{n} ]; then echo present; else echo absent; fi; \
             service {n} status >/dev/null 2>&1 && echo running || echo stopped; \
             if ls /etc/rc[2345].d/S??{n} >/dev/null 2>&1; then echo enabled; else echo disabled; fi; fi"
        ))
    }

    pub(crate) fn parse(out: &Output) -> Result<Service, String> {
        let lines: Vec<&str> = out.stdout.lines().map(str::trim).collect();
        let [init, present, running, enabled] = lines.as_slice() else {
            return Err(format!(
                "unexpected answer from the service probe: {:?}",
                out.stdout
            ));
        };
        Ok(Service {
            init: if *init == "systemd" {
                Init::Systemd
            } else {
                Init::SysV
            },
            present: *present == "present",
            running: *running == "running",
            enabled: *enabled == "enabled",
        })
    }

    /// What the probe finds on `host`; a service that is not there is an
    /// error, worded as Salt words it.
    pub(crate) async fn read(host: &dyn Transport, name: &str) -> Result<Service, String> {
        let st = Service::parse(&super::run(host, &Service::command(name)).await?)?;
        if !st.present {
            return Err(format!("The named service {name} is not available"));
        }
        Ok(st)
    }
}

impl Init {
    /// The init system alone, checked as systemd documents it.
    pub(crate) fn probe() -> Exec {
        Exec::new("if [ -d /run/systemd/system ]; then echo systemd; else echo sysv; fi")
    }

    pub(crate) fn parse(out: &Output) -> Init {
        if out.stdout.trim() == "systemd" {
            Init::Systemd
        } else {
            Init::SysV
        }
    }

    pub(crate) async fn read(host: &dyn Transport) -> Result<Init, String> {
        Ok(Init::parse(&super::run(host, &Init::probe()).await?))
    }

    /// The command for `action` (start, stop, restart, reload, enable, disable).
    pub(crate) fn command(self, name: &str, action: &str) -> String {
        let n = quote(name);
        match (self, action) {
            (Init::Systemd, a) => format!("systemctl {a} -- {n}"),
            (Init::SysV, "enable") => {
                format!("update-rc.d {n} defaults >/dev/null && update-rc.d {n} enable")
            }
            (Init::SysV, "disable") => format!("update-rc.d {n} disable"),
            (Init::SysV, a) => format!("service {n} {a}"),
        }
    }

    /// The status command alone: succeeds when the service runs.
    pub(crate) fn status_command(self, name: &str) -> String {
        match self {
            Init::Systemd => format!("systemctl is-active --quiet -- {}", quote(name)),
            Init::SysV => format!("service {} status >/dev/null 2>&1", quote(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn parses_the_probe() {
        let st = Service::parse(&recorded("sysv\npresent\nstopped\nenabled\n")).unwrap();
        assert_eq!(
            st,
            Service {
                init: Init::SysV,
                present: true,
                running: false,
                enabled: true
            }
        );
        assert!(Service::parse(&recorded("garbage")).is_err());
    }

    #[test]
    fn commands_per_init_system() {
        assert_eq!(
            Init::Systemd.command("pgbouncer", "reload"),
            "systemctl reload -- pgbouncer"
        );
        assert_eq!(
            Init::SysV.command("pgbouncer", "reload"),
            "service pgbouncer reload"
        );
        assert_eq!(
            Init::SysV.command("x y", "enable"),
            "update-rc.d 'x y' defaults >/dev/null && update-rc.d 'x y' enable"
        );
    }
}
