//! Every way the input can be wrong, worded in one place.
//!
//! These are errors about the *input* (the tree, the pillar, the roster, the
//! command line): nothing runs, the exit code is 1. Failures on a host while
//! converging are results, not errors (see `report`).

use std::fmt;
use std::path::PathBuf;

use crate::source::Span;

#[derive(Debug)]
pub enum Error {
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Yaml {
        span: Span,
        message: String,
    },
    DuplicateKey {
        key: String,
        first: Span,
        span: Span,
    },
    /// A template that does not render. `span` points into the template's
    /// own text (its line, before rendering).
    Jinja {
        span: Option<Span>,
        template: String,
        message: String,
    },
    /// A value of the wrong shape, e.g. an ID whose value is not a mapping.
    Expected {
        span: Span,
        expected: String,
        found: &'static str,
        context: String,
    },
    UnknownFunction {
        span: Span,
        state: String,
        function: String,
        suggestion: Option<String>,
    },
    UnknownArgument {
        span: Span,
        state: String,
        function: String,
        argument: String,
        suggestion: Option<String>,
    },
    InvalidArgument {
        span: Span,
        state: String,
        function: String,
        argument: String,
        message: String,
    },
    MissingRequisite {
        span: Span,
        state: String,
        kind: String,
        target: String,
    },
    /// `states` names each state of the cycle with the place it is declared.
    RequisiteCycle {
        states: Vec<(String, Span)>,
    },
    ConflictingId {
        id: String,
        first: Span,
        span: Span,
    },
    MissingSls {
        name: String,
        env: String,
        span: Option<Span>,
    },
    NoTargets {
        target: String,
    },
    /// Anything else that is wrong with the input, with a place when known.
    Invalid {
        span: Option<Span>,
        message: String,
    },
}

impl Error {
    /// The process exit code this error ends a run with (the contract: 1 =
    /// nothing ran because the input is wrong).
    pub fn exit_code(&self) -> i32 {
        1
    }

    pub fn invalid(span: Option<Span>, message: impl Into<String>) -> Error {
        Error::Invalid {
            span,
            message: message.into(),
        }
    }

    /// `node` is not what it should be (`expected`) where it stands (`context`).
    pub fn expected(
        node: &impl Located,
        expected: impl Into<String>,
        context: impl Into<String>,
    ) -> Error {
        Error::Expected {
            span: node.span().clone(),
            expected: expected.into(),
            found: node.kind(),
            context: context.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    /// A copy of this error (an `io::Error` keeps its kind and message), to
    /// hand on an error that arrived by reference through another's chain.
    pub fn duplicate(&self) -> Error {
        match self {
            Error::Io { path, error } => Error::Io {
                path: path.clone(),
                error: std::io::Error::new(error.kind(), error.to_string()),
            },
            Error::Yaml { span, message } => Error::Yaml {
                span: span.clone(),
                message: message.clone(),
            },
            Error::DuplicateKey { key, first, span } => Error::DuplicateKey {
                key: key.clone(),
                first: first.clone(),
                span: span.clone(),
            },
            Error::Jinja {
                span,
                template,
                message,
            } => Error::Jinja {
                span: span.clone(),
                template: template.clone(),
                message: message.clone(),
            },
            Error::Expected {
                span,
                expected,
                found,
                context,
            } => Error::Expected {
                span: span.clone(),
                expected: expected.clone(),
                found,
                context: context.clone(),
            },
            Error::UnknownFunction {
                span,
                state,
                function,
                suggestion,
            } => Error::UnknownFunction {
                span: span.clone(),
                state: state.clone(),
                function: function.clone(),
                suggestion: suggestion.clone(),
            },
            Error::UnknownArgument {
                span,
                state,
                function,
                argument,
                suggestion,
            } => Error::UnknownArgument {
                span: span.clone(),
                state: state.clone(),
                function: function.clone(),
                argument: argument.clone(),
                suggestion: suggestion.clone(),
            },
            Error::InvalidArgument {
                span,
                state,
                function,
                argument,
                message,
            } => Error::InvalidArgument {
                span: span.clone(),
                state: state.clone(),
                function: function.clone(),
                argument: argument.clone(),
                message: message.clone(),
            },
            Error::MissingRequisite {
                span,
                state,
                kind,
                target,
            } => Error::MissingRequisite {
                span: span.clone(),
                state: state.clone(),
                kind: kind.clone(),
                target: target.clone(),
            },
            Error::RequisiteCycle { states } => Error::RequisiteCycle {
                states: states.clone(),
            },
            Error::ConflictingId { id, first, span } => Error::ConflictingId {
                id: id.clone(),
                first: first.clone(),
                span: span.clone(),
            },
            Error::MissingSls { name, env, span } => Error::MissingSls {
                name: name.clone(),
                env: env.clone(),
                span: span.clone(),
            },
            Error::NoTargets { target } => Error::NoTargets {
                target: target.clone(),
            },
            Error::Invalid { span, message } => Error::Invalid {
                span: span.clone(),
                message: message.clone(),
            },
        }
    }

    /// The first line of the message, without the frames.
    pub fn headline(&self) -> String {
        match self {
            Error::Io { path, error } => format!("{}: {error}", path.display()),
            Error::Yaml { message, .. } => format!("invalid YAML: {message}"),
            Error::DuplicateKey { key, .. } => format!("duplicate key `{key}`"),
            Error::Jinja { template, message, .. } => format!("Jinja error in {template}: {message}"),
            Error::Expected {
                expected,
                found,
                context,
                ..
            } => format!("{context}: expected {expected}, found {found}"),
            Error::UnknownFunction { state, function, .. } => {
                format!("unknown state function `{function}` in state `{state}`")
            }
            Error::UnknownArgument {
                state,
                function,
                argument,
                ..
            } => format!("unknown argument `{argument}` to {function} in state `{state}`"),
            Error::InvalidArgument {
                state,
                function,
                argument,
                message,
                ..
            } => format!("invalid argument `{argument}` to {function} in state `{state}`: {message}"),
            Error::MissingRequisite {
                state, kind, target, ..
            } => format!("the {kind} requisite of state `{state}` names `{target}`, which matches no state in this run"),
            Error::RequisiteCycle { states } => {
                let names: Vec<&str> = states.iter().map(|(n, _)| n.as_str()).collect();
                format!("Recursive requisites were found: {}", names.join(" -> "))
            }
            Error::ConflictingId { id, .. } => {
                format!("Detected conflicting IDs, SLS IDs need to be globally unique: `{id}`")
            }
            Error::MissingSls { name, env, .. } => format!("No matching sls found for '{name}' in env '{env}'"),
            Error::NoTargets { target } => format!("No hosts matched the target '{target}'"),
            Error::Invalid { message, .. } => message.clone(),
        }
    }

    /// The places to draw, in order, each with an optional label.
    fn frames(&self) -> Vec<(&Span, Option<&'static str>)> {
        match self {
            Error::Io { .. } | Error::NoTargets { .. } => vec![],
            Error::Yaml { span, .. }
            | Error::Expected { span, .. }
            | Error::UnknownFunction { span, .. }
            | Error::UnknownArgument { span, .. }
            | Error::InvalidArgument { span, .. }
            | Error::MissingRequisite { span, .. } => vec![(span, None)],
            Error::DuplicateKey { first, span, .. } | Error::ConflictingId { first, span, .. } => {
                vec![(span, None), (first, Some("first defined here"))]
            }
            Error::Jinja { span, .. }
            | Error::MissingSls { span, .. }
            | Error::Invalid { span, .. } => span.iter().map(|s| (s, None)).collect(),
            Error::RequisiteCycle { states } => states.iter().map(|(_, s)| (s, None)).collect(),
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            Error::UnknownFunction { suggestion, .. }
            | Error::UnknownArgument { suggestion, .. } => {
                suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.headline())?;
        for (span, label) in self.frames() {
            if let Some(label) = label {
                writeln!(f, "  = {label}:")?;
            }
            f.write_str(&span.frame())?;
        }
        if let Some(help) = self.help() {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
/// A value read from a file, that knows where it stands and what kind of
/// value it is (a YAML node): what `Error::expected` is made from. A trait,
/// so that errors (below) need not know the YAML layer (above).
pub trait Located {
    fn span(&self) -> &Span;
    fn kind(&self) -> &'static str;
}

pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    similar::get_close_matches(word, &candidates, 1, 0.7)
        .first()
        .map(|s| s.to_string())
}
