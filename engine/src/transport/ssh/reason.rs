//! Why ssh could not connect, in one line, from what ssh printed.
//!
//! ssh already says why (`Connection refused`, `Permission denied
//! (publickey)`, `Host key verification failed`); a host key change comes
//! with a 15-line banner whose essence is one sentence. Keep ssh's words,
//! drop the rest.

pub(super) fn reason(stderr: &str, status: Option<i32>) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| l.trim_end_matches('\r').trim())
        .filter(|l| !l.is_empty())
        .collect();
    let host_key = |what: &str| format!("Host key verification failed: {what}");
    for l in &lines {
        // "Host key for [127.0.0.1]:2222 has changed and you have requested strict checking."
        if let Some(rest) = l.strip_prefix("Host key for ") {
            if let Some(host) =
                rest.strip_suffix(" has changed and you have requested strict checking.")
            {
                return host_key(&format!("the host key of {host} has changed"));
            }
        }
        // "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking."
        if let (Some(_), Some(at)) = (l.strip_prefix("No "), l.find(" host key is known for ")) {
            let host = &l[at + " host key is known for ".len()..];
            let host = host
                .strip_suffix(" and you have requested strict checking.")
                .unwrap_or(host);
            return host_key(&format!("no host key is known for {host}"));
        }
    }
    if lines
        .iter()
        .any(|l| l.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"))
    {
        return host_key("the host key has changed");
    }
    let last = lines
        .iter()
        .rev()
        .find(|l| !l.starts_with("Warning:") && !l.starts_with('@'));
    match last {
        Some(l) => l
            .strip_prefix("ssh: ")
            .unwrap_or(l)
            .trim_end_matches('.')
            .to_string(),
        None => match status {
            Some(code) => format!("ssh exited with status {code} and said nothing"),
            None => "ssh was killed by a signal".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn plain_failures_keep_ssh_words() {
        assert_eq!(
            reason(
                "ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n",
                Some(255)
            ),
            "connect to host 127.0.0.1 port 1: Connection refused"
        );
        assert_eq!(
            reason(
                "root@127.0.0.1: Permission denied (publickey).\n",
                Some(255)
            ),
            "root@127.0.0.1: Permission denied (publickey)"
        );
        assert_eq!(
            reason(
                "ssh: connect to host 10.77.0.99 port 22: Connection timed out\n",
                Some(255)
            ),
            "connect to host 10.77.0.99 port 22: Connection timed out"
        );
        assert_eq!(
            reason("", Some(255)),
            "ssh exited with status 255 and said nothing"
        );
    }

    #[test]
    fn unknown_host_key() {
        let err = "No ED25519 host key is known for [127.0.0.1]:22299 and you have requested strict checking.\r\nHost key verification failed.\r\n";
        assert_eq!(
            reason(err, Some(255)),
            "Host key verification failed: no host key is known for [127.0.0.1]:22299"
        );
    }

    #[test]
    fn changed_host_key_is_one_line() {
        let err = "\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
SHA256:BMCd2B2iexNy27mpNG9TgrrMqqQnoFpPHgmwriwXMOM.
Please contact your system administrator.
Add correct host key in /tmp/proto/bad_known to get rid of this message.
Offending ED25519 key in /tmp/proto/bad_known:1
  remove with:
  ssh-keygen -f \"/tmp/proto/bad_known\" -R \"[127.0.0.1]:22299\"
Host key for [127.0.0.1]:22299 has changed and you have requested strict checking.
Host key verification failed.
";
        assert_eq!(
            reason(err, Some(255)),
            "Host key verification failed: the host key of [127.0.0.1]:22299 has changed"
        );
    }

    #[test]
    fn warnings_are_not_reasons() {
        let err = "Warning: Permanently added '[127.0.0.1]:22299' (ED25519) to the list of known hosts.\r\nConnection closed by 127.0.0.1 port 22299\r\n";
        assert_eq!(
            reason(err, Some(255)),
            "Connection closed by 127.0.0.1 port 22299"
        );
    }
}
