//! Whether a systemd unit is masked (its unit file in `/etc` or, for a
//! runtime mask, `/run` is a link to `/dev/null`), as Salt's
//! `systemd_service.masked` reads it. Masking is a matter of unit files:
//! as in Salt, it is there wherever systemd is installed (`systemctl`),
//! running or not; on a host without it there is no masking.

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// Salt's `_canonical_unit_name`: `.service` unless a unit type is named.
pub(crate) fn unit_name(name: &str) -> String {
    const TYPES: [&str; 11] = [
        ".service",
        ".socket",
        ".device",
        ".mount",
        ".automount",
        ".swap",
        ".target",
        ".path",
        ".timer",
        ".slice",
        ".scope",
    ];
    if TYPES.iter().any(|t| name.ends_with(t)) {
        name.to_string()
    } else {
        format!("{name}.service")
    }
}

/// What the probe found: `None` without systemd, else whether masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mask(pub Option<bool>);

impl Mask {
    pub(crate) fn command(name: &str, runtime: bool) -> Exec {
        let dir = if runtime { "/run" } else { "/etc" };
        let link = quote(&format!("{dir}/systemd/system/{}", unit_name(name)));
        Exec::new(format!(
            "if command -v systemctl >/dev/null 2>&1; then echo systemd; readlink -- {link} 2>/dev/null; else echo sysv; fi; true"
        ))
    }

    pub(crate) fn parse(out: &Output) -> Mask {
        let mut lines = out.stdout.lines();
        match lines.next() {
            Some("systemd") => Mask(Some(lines.next() == Some("/dev/null"))),
            _ => Mask(None),
        }
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        name: &str,
        runtime: bool,
    ) -> Result<Mask, String> {
        Ok(Mask::parse(
            &super::run(host, &Mask::command(name, runtime)).await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn reads_a_mask() {
        assert_eq!(
            Mask::parse(&recorded("systemd\n/dev/null\n")),
            Mask(Some(true))
        );
        assert_eq!(Mask::parse(&recorded("systemd\n")), Mask(Some(false)));
        assert_eq!(Mask::parse(&recorded("sysv\n")), Mask(None));
        assert_eq!(unit_name("ssh"), "ssh.service");
        assert_eq!(unit_name("ssh.socket"), "ssh.socket");
        assert!(Mask::command("ssh", true)
            .cmd
            .contains("/run/systemd/system/ssh.service"));
    }
}
