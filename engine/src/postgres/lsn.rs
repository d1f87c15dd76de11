//! Log sequence numbers (`0/3000028`), compared as the 64-bit positions
//! they are.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Lsn(pub u64);

impl Lsn {
    pub(crate) fn parse(text: &str) -> Option<Lsn> {
        let (hi, lo) = text.trim().split_once('/')?;
        let hi = u64::from_str_radix(hi, 16).ok()?;
        let lo = u64::from_str_radix(lo, 16).ok()?;
        (hi <= u32::MAX as u64 && lo <= u32::MAX as u64).then_some(Lsn(hi << 32 | lo))
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xffff_ffff)
    }
}

#[cfg(test)]
mod tests {
    use super::Lsn;

    #[test]
    fn parses_compares_and_prints() {
        let a = Lsn::parse("0/3000028").unwrap();
        let b = Lsn::parse("0/30000A0").unwrap();
        let c = Lsn::parse("1/0").unwrap();
        assert!(a < b && b < c);
        assert_eq!(a.to_string(), "0/3000028");
        assert_eq!(c.0, 1 << 32);
        assert_eq!(Lsn::parse("nope"), None);
        assert_eq!(Lsn::parse("0/XYZ"), None);
    }
}
