//! apt's package sources: the one-line entries of `sources.list` and
//! `sources.list.d/*.list`, and the deb822 stanzas of
//! `sources.list.d/*.sources`, read in one probe and parsed as Salt's own
//! `salt.utils.pkg.deb` parses them (options in brackets, a commented
//! entry is a disabled one).

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// One source: a line of a `.list` file, or one type/URI/suite of a
/// deb822 stanza.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Source {
    pub file: String,
    /// The whole line (one-line entries), as written.
    pub line: Option<String>,
    pub disabled: bool,
    pub kind: String,
    pub uri: String,
    pub dist: String,
    /// Every suite, type and URI of the entry (a deb822 stanza may have
    /// several; a line has one each).
    pub suites: Vec<String>,
    pub types: Vec<String>,
    pub uris: Vec<String>,
    pub comps: Vec<String>,
    pub architectures: Vec<String>,
    pub signedby: String,
    /// Options other than `arch` and `signed-by`, as written (`trusted=yes`).
    pub options: Vec<String>,
    pub comment: String,
}

/// Salt's `split_source_line`: words, a `[...]` block being one.
fn pieces(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut tmp = String::new();
    let (mut bracket, mut space) = (false, false);
    for c in line.trim().chars() {
        if c == '[' {
            if space {
                space = false;
                out.push(std::mem::take(&mut tmp));
            }
            bracket = true;
            tmp.push(c);
        } else if c == ']' {
            bracket = false;
            tmp.push(c);
        } else if space && !c.is_whitespace() {
            space = false;
            out.push(std::mem::take(&mut tmp));
            tmp.push(c);
        } else if c.is_whitespace() && !bracket {
            space = true;
        } else {
            tmp.push(c);
        }
    }
    if !tmp.is_empty() {
        out.push(tmp);
    }
    out
}

impl Source {
    /// A one-line entry (`[#] type [options] uri dist [comps] [#comment]`);
    /// `None` for anything else.
    pub(crate) fn parse(line: &str, file: &str) -> Option<Source> {
        let mut text = line.trim();
        let disabled = text.starts_with('#');
        if disabled {
            text = text.trim_start_matches('#').trim_start();
        }
        let (body, comment) = match text.split_once('#') {
            Some((b, c)) => (b, c.to_string()),
            None => (text, String::new()),
        };
        let mut words = pieces(body);
        if words.is_empty() || !["deb", "deb-src", "rpm", "rpm-src"].contains(&words[0].as_str()) {
            return None;
        }
        let mut s = Source {
            file: file.to_string(),
            line: Some(line.trim().to_string()),
            disabled,
            kind: words.remove(0),
            uri: String::new(),
            dist: String::new(),
            suites: Vec::new(),
            types: Vec::new(),
            uris: Vec::new(),
            comps: Vec::new(),
            architectures: Vec::new(),
            signedby: String::new(),
            options: Vec::new(),
            comment,
        };
        if words.first().is_some_and(|w| w.starts_with('[')) {
            let opts = words.remove(0);
            for opt in opts
                .trim_matches(|c| c == '[' || c == ']')
                .split_whitespace()
            {
                match opt.split_once('=') {
                    Some(("arch", v)) => s.architectures.extend(v.split(',').map(str::to_string)),
                    Some(("signed-by", v)) => s.signedby = v.to_string(),
                    _ => s.options.push(opt.to_string()),
                }
            }
        }
        if words.len() < 2 {
            return None;
        }
        s.uri = words.remove(0);
        s.dist = words.remove(0);
        s.comps = words;
        s.suites = vec![s.dist.clone()];
        s.types = vec![s.kind.clone()];
        s.uris = vec![s.uri.clone()];
        Some(s)
    }

    /// Salt's `repo_line`: the line this entry is written as.
    pub(crate) fn repo_line(&self) -> String {
        let mut parts = Vec::new();
        if self.disabled {
            parts.push("#".to_string());
        }
        parts.push(self.kind.clone());
        let mut opts = Vec::new();
        if !self.architectures.is_empty() {
            opts.push(format!("arch={}", self.architectures.join(",")));
        }
        if !self.signedby.is_empty() {
            opts.push(format!("signed-by={}", self.signedby));
        }
        opts.extend(self.options.iter().cloned());
        if !opts.is_empty() {
            parts.push(format!("[{}]", opts.join(" ")));
        }
        parts.push(self.uri.clone());
        parts.push(self.dist.clone());
        parts.push(self.comps.join(" "));
        if !self.comment.is_empty() {
            parts.push(format!("#{}", self.comment));
        }
        parts.join(" ").trim().to_string()
    }
}

/// Every source on the host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sources {
    pub sources: Vec<Source>,
}

/// The deb822 stanzas of a `.sources` file, one source per type, URI and
/// suite.
fn deb822(text: &str, file: &str) -> Vec<Source> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza
                .lines()
                .filter(|l| !l.starts_with('#'))
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_default()
        };
        let words = |name: &str| -> Vec<String> {
            field(name).split_whitespace().map(str::to_string).collect()
        };
        let disabled = field("Enabled").eq_ignore_ascii_case("no");
        for kind in words("Types") {
            for uri in words("URIs") {
                for dist in words("Suites") {
                    out.push(Source {
                        file: file.to_string(),
                        line: None,
                        disabled,
                        kind: kind.clone(),
                        uri: uri.clone(),
                        dist,
                        suites: words("Suites"),
                        types: words("Types"),
                        uris: words("URIs"),
                        comps: words("Components"),
                        architectures: words("Architectures"),
                        signedby: field("Signed-By"),
                        options: Vec::new(),
                        comment: String::new(),
                    });
                }
            }
        }
    }
    out
}

impl Sources {
    /// Each file under `root` (`/etc/apt`): a `@file` line, then the file.
    pub(crate) fn command(root: &str) -> Exec {
        let r = quote(root);
        Exec::new(format!(
            "for f in {r}/sources.list {r}/sources.list.d/*.list {r}/sources.list.d/*.sources; do if [ -f \"$f\" ]; then echo \"@file $f\"; cat -- \"$f\"; echo; fi; done; true"
        ))
    }

    pub(crate) fn parse(out: &Output) -> Sources {
        let mut sources = Vec::new();
        let mut files: Vec<(String, String)> = Vec::new();
        for line in out.stdout.split_inclusive('\n') {
            if let Some(f) = line.strip_prefix("@file ") {
                files.push((f.trim_end().to_string(), String::new()));
            } else if let Some((_, text)) = files.last_mut() {
                text.push_str(line);
            }
        }
        for (file, text) in files {
            if file.ends_with(".sources") {
                sources.extend(deb822(&text, &file));
            } else {
                sources.extend(text.lines().filter_map(|l| Source::parse(l, &file)));
            }
        }
        Sources { sources }
    }

    pub(crate) async fn read(host: &dyn Transport, root: &str) -> Result<Sources, String> {
        Ok(Sources::parse(
            &super::run(host, &Sources::command(root)).await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn reads_one_line_and_deb822_sources() {
        let out = "@file /etc/apt/sources.list.d/debian.sources\nTypes: deb\n# x\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n@file /etc/apt/sources.list.d/pgdg.list\n# deb [arch=amd64 signed-by=/k.gpg trusted=yes] http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main 15 # pg\nnot a source\n";
        let s = Sources::parse(&recorded(out)).sources;
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].dist, "bookworm-updates");
        assert_eq!(
            s[1].signedby,
            "/usr/share/keyrings/debian-archive-keyring.gpg"
        );
        let pg = &s[2];
        assert!(pg.disabled);
        assert_eq!(
            (pg.uri.as_str(), pg.dist.as_str()),
            ("http://apt.postgresql.org/pub/repos/apt", "bookworm-pgdg")
        );
        assert_eq!(pg.comps, ["main", "15"]);
        assert_eq!(pg.architectures, ["amd64"]);
        assert_eq!(pg.options, ["trusted=yes"]);
        assert_eq!(
            pg.repo_line(),
            "# deb [arch=amd64 signed-by=/k.gpg trusted=yes] http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main 15 # pg"
        );
    }
}
