//! File modes as Salt reads them: `0640`, `'0640'`, `640` and the integer
//! 640 that YAML 1.1 makes of `0640` all mean rw-r-----.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Mode(pub u32);

impl fmt::Display for Mode {
    /// Salt's form in changes: four octal digits (`0640`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl Mode {
    pub(super) fn parse(text: &str) -> Option<Mode> {
        let t = text.trim();
        let t = t.strip_prefix("0o").unwrap_or(t);
        if t.is_empty() || t.len() > 5 {
            return None;
        }
        u32::from_str_radix(t, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .map(Mode)
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Mode;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an octal file mode such as 0640")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Mode, E> {
                // The digits as written: 644 means 0644.
                Mode::parse(&v.to_string())
                    .ok_or_else(|| E::custom(format!("{v} is not an octal file mode")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Mode, E> {
                if v < 0 {
                    return Err(E::custom("a file mode cannot be negative"));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Mode, E> {
                Mode::parse(v).ok_or_else(|| E::custom(format!("`{v}` is not an octal file mode")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A user or group given by name or by number (`user: 26`).
pub(crate) fn name_or_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(de::Error::custom(format!(
            "expected a name or a number, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_as_salt_reads_them() {
        let m = |j: serde_json::Value| {
            serde_json::from_value::<Mode>(j)
                .map(|m| m.to_string())
                .ok()
        };
        assert_eq!(m(serde_json::json!(644)).as_deref(), Some("0644"));
        assert_eq!(m(serde_json::json!("0640")).as_deref(), Some("0640"));
        assert_eq!(m(serde_json::json!("750")).as_deref(), Some("0750"));
        assert_eq!(m(serde_json::json!(4755)).as_deref(), Some("4755"));
        assert_eq!(m(serde_json::json!(800)), None);
        assert_eq!(m(serde_json::json!("rw")), None);
    }
}
