//! OpenSSH public key lines as Salt's `ssh` module reads and writes them:
//! the `{options} {enc} {key} {comment}` split (its regular expressions,
//! written out by hand), a key's validity (base64), the authorized_keys
//! path from `config` (`%h`, `%u`), and the edits of an authorized_keys
//! file (append, replace, remove), each a pure function of the text.

use indexmap::IndexMap;

/// A key as written in a state or a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Key {
    pub options: Vec<String>,
    pub enc: String,
    pub key: String,
    pub comment: String,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `((?:sk-)?(?:ssh\-|ecds)[\w@.-]+\s.+)$` matches `rest`.
fn key_part(rest: &str) -> bool {
    let r = rest.strip_prefix("sk-").unwrap_or(rest);
    let Some(r) = r.strip_prefix("ssh-").or_else(|| r.strip_prefix("ecds")) else {
        return false;
    };
    let run = r
        .char_indices()
        .find(|(_, c)| !(is_word(*c) || "@.-".contains(*c)))
        .map_or(r.len(), |(i, _)| i);
    if run == 0 {
        return false;
    }
    let mut after = r[run..].chars();
    matches!(after.next(), Some(c) if c.is_whitespace()) && after.next().is_some_and(|c| c != '\n')
}

/// Salt's `^(.*?)\s?((?:sk-)?(?:ssh\-|ecds)[\w@.-]+\s.+)$`: the options
/// before the key type, and the rest (`enc key [comment]`).
pub(super) fn split_line(line: &str) -> Option<(&str, &str)> {
    for (i, _) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        let rest = &line[i..];
        if let Some(c) = rest.chars().next().filter(|c| c.is_whitespace()) {
            if key_part(&rest[c.len_utf8()..]) {
                return Some((&line[..i], &rest[c.len_utf8()..]));
            }
        }
        if key_part(rest) {
            return Some((&line[..i], rest));
        }
    }
    None
}

/// Python's `str.split(None, maxsplit)`.
pub(super) fn split_ws(s: &str, maxsplit: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if maxsplit.is_some_and(|m| out.len() == m) {
            out.push(rest.to_string());
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    out
}

/// The key a state names (`ssh_auth.present` with no `source`): a bare
/// key and comment, or a whole line with options and key type.
pub(super) fn from_name(
    name: &str,
    enc: &str,
    comment: &str,
    options: &[String],
    maxsplit: Option<usize>,
) -> Key {
    let mut k = Key {
        options: options.to_vec(),
        enc: enc.to_string(),
        key: name.to_string(),
        comment: comment.to_string(),
    };
    match split_line(name) {
        None => {
            let parts = split_ws(name, Some(1));
            if let Some(first) = parts.first() {
                k.key = first.clone();
            }
            if let Some(c) = parts.get(1) {
                k.comment = c.clone();
            }
        }
        Some((opts, rest)) => {
            if !opts.is_empty() {
                k.options = opts.split(',').map(str::to_string).collect();
            }
            let comps = split_ws(rest, maxsplit);
            k.enc = comps[0].clone();
            k.key = comps.get(1).cloned().unwrap_or_default();
            if comps.len() == 3 {
                k.comment = comps[2].clone();
            }
        }
    }
    k
}

/// Salt's `_refine_enc`: the key type's full name, or Salt's error.
pub(super) fn refine_enc(enc: &str) -> Result<String, String> {
    Ok(match enc {
        "r" | "rsa" | "ssh-rsa" => "ssh-rsa".into(),
        "d" | "dsa" | "dss" | "ssh-dss" => "ssh-dss".into(),
        "e" | "ecdsa" => "ecdsa-sha2-nistp256".into(),
        "ecdsa-sha2-nistp521" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp256" => enc.into(),
        "ed25519" | "ssh-ed25519" => "ssh-ed25519".into(),
        "rsa-sha2-512"
        | "rsa-sha2-256"
        | "rsa-sha2-512-cert-v01@openssh.com"
        | "rsa-sha2-256-cert-v01@openssh.com"
        | "ssh-rsa-cert-v01@openssh.com"
        | "ecdsa-sha2-nistp256-cert-v01@openssh.com"
        | "ecdsa-sha2-nistp384-cert-v01@openssh.com"
        | "ecdsa-sha2-nistp521-cert-v01@openssh.com"
        | "sk-ecdsa-sha2-nistp256@openssh.com"
        | "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com"
        | "ssh-ed25519-cert-v01@openssh.com"
        | "sk-ssh-ed25519@openssh.com"
        | "sk-ssh-ed25519-cert-v01@openssh.com" => enc.into(),
        other => return Err(format!("Incorrect encryption key type '{other}'.")),
    })
}

/// The raw bytes of a base64 key, as Python's `b64decode(validate=True)`
/// accepts it; `None` for anything else (Salt then ignores the key).
pub(super) fn decode(key: &str) -> Option<Vec<u8>> {
    let body = key.trim_end_matches('=');
    let pad = key.len() - body.len();
    if pad > 2 || key.len() & 3 != 0 {
        return None;
    }
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for b in body.bytes() {
        acc = (acc << 6) | u32::from(val(b)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// A hash type Salt's `_fingerprint` accepts (Python's `hashlib` names).
pub(super) fn check_hash_type(t: Option<&str>) -> Result<(), String> {
    let t = t.unwrap_or("sha256").to_lowercase();
    let known = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];
    if known.contains(&t.as_str()) {
        Ok(())
    } else {
        Err(format!("The fingerprint_hash_type {t} is not supported."))
    }
}

/// Salt's `_format_auth_line`.
pub(super) fn auth_line(k: &Key) -> String {
    let mut line = String::new();
    if !k.options.is_empty() {
        line.push_str(&k.options.join(","));
        line.push(' ');
    }
    line.push_str(&format!("{} {} {}\n", k.enc, k.key, k.comment));
    line
}

/// The valid keys of an authorized_keys file (Salt's `_validate_keys`),
/// by key, in file order.
pub(super) fn keys_of(text: &str) -> IndexMap<String, Key> {
    let mut out = IndexMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((opts, rest)) = split_line(line) else {
            continue;
        };
        let comps = split_ws(rest, None);
        if comps.len() < 2 || decode(&comps[1]).is_none() {
            continue;
        }
        let options = if opts.is_empty() {
            Vec::new()
        } else {
            opts.split(',').map(str::to_string).collect()
        };
        out.insert(
            comps[1].clone(),
            Key {
                options,
                enc: comps[0].clone(),
                key: comps[1].clone(),
                comment: comps[2..].join(" "),
            },
        );
    }
    out
}

/// What `ssh.check_key` says of `k` against the file's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Add,
    Update,
    Exists,
}

pub(super) fn check(current: &IndexMap<String, Key>, k: &Key) -> Status {
    match current.get(&k.key) {
        None => Status::Add,
        Some(c) if auth_line(c) != auth_line(k) => Status::Update,
        Some(_) => Status::Exists,
    }
}

impl Status {
    pub(super) fn word(self) -> &'static str {
        match self {
            Status::Add => "add",
            Status::Update => "update",
            Status::Exists => "exists",
        }
    }
}

/// The file with `line` appended, after a newline if the file lacks its
/// last one (`set_auth_key`).
pub(super) fn append(text: &str, line: &str) -> String {
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(line);
    out
}

/// The key in a line as `_replace_auth_key` finds it: after the last key
/// type that is followed by base64.
fn key_in(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let is_enc = |w: &str| {
        let w = w.strip_prefix("sk-").unwrap_or(w);
        let rest = w.strip_prefix("ssh-").or_else(|| w.strip_prefix("ecdsa-"));
        rest.is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "@.-".contains(c))
        })
    };
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    (0..words.len().saturating_sub(1)).rev().find_map(|i| {
        if !is_enc(words[i]) {
            return None;
        }
        let w = words[i + 1];
        let body = w.len() - w.trim_start_matches(b64).len();
        if body == 0 {
            return None;
        }
        let pad = w[body..].chars().take(2).take_while(|c| *c == '=').count();
        Some(w[..body + pad].to_string())
    })
}

/// The file with the lines of `k.key` replaced by its new line
/// (`_replace_auth_key`: blank lines go, every line ends with a newline).
pub(super) fn replace(text: &str, k: &Key) -> String {
    let new = auth_line(k);
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('#') && key_in(line).as_deref() == Some(&k.key) {
            out.push_str(&new);
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The file without the lines of `key` (`rm_auth_key`: blank lines and
/// lines that hold no key go too).
pub(super) fn remove(text: &str, key: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('#') {
            let Some((_, rest)) = split_line(line) else {
                continue;
            };
            let comps = split_ws(rest, None);
            if comps.len() >= 2 && comps[1] == key {
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Salt's `_expand_authorized_keys_path` and the join with the home
/// directory: where the authorized keys of `user` are.
pub(super) fn config_path(config: &str, user: &str, home: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = config.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('u') => out.push_str(user),
            Some('h') => out.push_str(home),
            Some(other) => {
                return Err(format!(
                    "AuthorizedKeysFile path: unknown token character \"%{other}\""
                ))
            }
            None => {
                return Err(
                    "AuthorizedKeysFile path: Last character can't be escape character".into(),
                )
            }
        }
    }
    if out.starts_with('/') {
        Ok(out)
    } else {
        Ok(join(home, &out))
    }
}

/// Python's `os.path.join(a, b)` for a relative `b`.
pub(super) fn join(a: &str, b: &str) -> String {
    if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// Python's `os.path.dirname`.
pub(super) fn dirname(p: &str) -> String {
    match p.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => p[..i].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAABAQC7";

    #[test]
    fn splits_lines_as_salts_expression_does() {
        assert_eq!(
            split_line(&format!("ssh-rsa {RSA} me@h")),
            Some(("", &*format!("ssh-rsa {RSA} me@h")))
        );
        let l = format!("no-pty,command=\"x y\" ecdsa-sha2-nistp256 {RSA} c");
        let (o, r) = split_line(&l).unwrap();
        assert_eq!(o, "no-pty,command=\"x y\"");
        assert!(r.starts_with("ecdsa-sha2"));
        assert_eq!(split_line(RSA), None);
        assert_eq!(split_line("ssh-rsa"), None);
        let k = from_name(&format!("{RSA} my comment"), "ssh-rsa", "", &[], Some(2));
        assert_eq!((k.key.as_str(), k.comment.as_str()), (RSA, "my comment"));
        let k = from_name(
            &format!("opt1,opt2 ssh-ed25519 {RSA} a b"),
            "ssh-rsa",
            "",
            &[],
            Some(2),
        );
        assert_eq!(k.options, ["opt1", "opt2"]);
        assert_eq!((k.enc.as_str(), k.comment.as_str()), ("ssh-ed25519", "a b"));
        // `absent` splits without a limit: a comment of two words is none.
        let k = from_name(&format!("ssh-ed25519 {RSA} a b"), "ssh-rsa", "", &[], None);
        assert_eq!(k.comment, "");
    }

    #[test]
    fn base64_as_python_validates_it() {
        assert_eq!(decode("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(decode("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(decode("PUBLICKEY"), None);
        assert_eq!(decode("TW-u"), None);
        assert!(refine_enc("dsa").is_ok_and(|e| e == "ssh-dss"));
        assert_eq!(
            refine_enc("x").unwrap_err(),
            "Incorrect encryption key type 'x'."
        );
    }

    #[test]
    fn edits_an_authorized_keys_file() {
        let file = format!("# mine\nssh-rsa {RSA} old\n\nnot a key line\nssh-rsa TWFu other");
        let keys = keys_of(&file);
        assert_eq!(keys.keys().collect::<Vec<_>>(), [RSA, "TWFu"]);
        let k = Key {
            options: vec![],
            enc: "ssh-rsa".into(),
            key: RSA.into(),
            comment: "new".into(),
        };
        assert_eq!(check(&keys, &k), Status::Update);
        assert_eq!(
            replace(&file, &k),
            format!("# mine\nssh-rsa {RSA} new\nnot a key line\nssh-rsa TWFu other\n")
        );
        assert_eq!(remove(&file, RSA), "# mine\nssh-rsa TWFu other\n");
        assert_eq!(append("a", "b\n"), "a\nb\n");
        assert_eq!(
            auth_line(&Key {
                comment: String::new(),
                ..k
            }),
            format!("ssh-rsa {RSA} \n")
        );
        assert_eq!(
            config_path(".ssh/authorized_keys", "u", "/home/u").unwrap(),
            "/home/u/.ssh/authorized_keys"
        );
        assert_eq!(
            config_path("/etc/keys/%u", "u", "/h").unwrap(),
            "/etc/keys/u"
        );
        assert!(config_path("%x", "u", "/h").is_err());
        assert_eq!(dirname("/home/u/.ssh/authorized_keys"), "/home/u/.ssh");
    }
}
