//! Salt's `start_time`: local wall-clock time as `HH:MM:SS.ffffff`, the
//! microseconds truncated. The time zone is the system's as jiff finds it
//! (`TZ`, else `/etc/localtime`), as the C library's `localtime` does.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::tz::TimeZone;
use jiff::Timestamp;

pub fn now() -> String {
    at(SystemTime::now(), &TimeZone::system())
}

/// `time` in `zone`, as Salt writes it.
fn at(time: SystemTime, zone: &TimeZone) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let whole = i64::try_from(since.as_secs())
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let local = zone.to_datetime(whole);
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        local.hour(),
        local.minute(),
        local.second(),
        since.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use jiff::tz::TimeZone;

    #[test]
    fn shape() {
        let t = super::now();
        assert_eq!(t.len(), 15, "{t}");
        assert_eq!(&t[2..3], ":");
        assert_eq!(&t[8..9], ".");
    }

    /// What the C library makes of `seconds` in zone `tz` (`None`: the
    /// system's), as `date` prints it.
    fn libc_time(seconds: u64, tz: Option<&str>) -> String {
        let mut date = std::process::Command::new("date");
        date.arg(format!("--date=@{seconds}")).arg("+%H:%M:%S");
        if let Some(tz) = tz {
            date.env("TZ", tz);
        }
        let out = date.output().expect("date runs");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    #[test]
    fn the_same_local_time_as_the_c_library() {
        // Either side of a summer-time change in Europe and in America, a
        // half-hour zone, and a plain instant.
        let instants = [1_711_846_799, 1_711_846_800, 1_699_164_000, 1_700_000_000];
        let zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"];
        let micros = Duration::from_micros(42_017);
        for seconds in instants {
            let time = UNIX_EPOCH + Duration::from_secs(seconds) + micros;
            for zone in zones {
                let tz = TimeZone::get(zone).unwrap();
                let want = format!("{}.042017", libc_time(seconds, Some(zone)));
                assert_eq!(super::at(time, &tz), want, "{zone} at {seconds}");
            }
            let want = format!("{}.042017", libc_time(seconds, None));
            assert_eq!(super::at(time, &TimeZone::system()), want, "system zone");
        }
        // Truncated, not rounded.
        let time = UNIX_EPOCH + Duration::from_nanos(1_999_999_999);
        assert_eq!(super::at(time, &TimeZone::UTC), "00:00:01.999999");
    }
}
