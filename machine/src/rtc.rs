//! Where the real-time clock starts: QEMU's `-rtc base=utc|localtime|DATETIME` (QEMU's
//! `system/rtc.c`, `configure_rtc`), parsed here and turned into the PL031's starting count
//! of seconds since the Unix epoch.
//!
//! From there the RTC follows the machine's virtual clock (QEMU's `clock=vm`, the only
//! clock armvirt has), so with a fixed DATETIME base nothing of the host's time reaches
//! the guest and two runs of the same inputs are the same run.
//!
//! As in QEMU, `localtime` means the host's local wall-clock time, counted as if it were
//! UTC (QEMU's PL031 counts `mktimegm` of `localtime_r`): a guest that keeps its RTC in
//! local time, as Windows does, reads the host's local clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// What the RTC reads at start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RtcBase {
    /// The host's UTC time when the machine is built (QEMU's default).
    #[default]
    Utc,
    /// The host's local time when the machine is built.
    LocalTime,
    /// A fixed date and time, in seconds since 1970-01-01T00:00:00 UTC.
    DateTime(u32),
}

/// The latest start the PL031 can count: RTCDR is 32 bits of seconds since 1970.
pub const MAX_DATETIME: &str = "2106-02-07T06:28:15";
const FIRST_YEAR: u32 = 1970;

const SECONDS_PER_DAY: i64 = 86_400;

impl RtcBase {
    /// The RTC's starting count: seconds since the Unix epoch (for `LocalTime`, of the
    /// host's local time read as UTC). A host clock before 1970 or past the PL031's
    /// range reads as the epoch or wraps, as the 32-bit counter would.
    pub fn start_seconds(self) -> u64 {
        match self {
            RtcBase::Utc => host_utc(),
            RtcBase::LocalTime => {
                let utc = host_utc();
                utc.saturating_add_signed(host_utc_offset(utc))
            }
            RtcBase::DateTime(seconds) => u64::from(seconds),
        }
    }
}

fn host_utc() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The host time zone's offset from UTC at `utc` (seconds east), per the C library's
/// `localtime_r` (so TZ and /etc/localtime count, as in QEMU); 0 if it cannot tell.
fn host_utc_offset(utc: u64) -> i64 {
    let Ok(t) = libc::time_t::try_from(utc) else {
        return 0;
    };
    // SAFETY: an all-zero `tm` is a valid value, and localtime_r only reads `t` and
    // writes the `tm` it is given (it is the thread-safe form).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if ok {
        tm.tm_gmtoff
    } else {
        0
    }
}

/// The value of `--rtc`: QEMU's comma-separated `-rtc` options. `base=` is `utc`,
/// `localtime`, `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD` (midnight), in UTC; `clock=vm`, what
/// armvirt always does, is accepted too.
pub fn parse_rtc(text: &str) -> Result<RtcBase, String> {
    let mut base = RtcBase::Utc;
    for option in text.split(',') {
        let (key, value) = option.split_once('=').unwrap_or((option, ""));
        match key {
            "base" => {
                base = match value {
                    "utc" => RtcBase::Utc,
                    "localtime" => RtcBase::LocalTime,
                    date => RtcBase::DateTime(parse_datetime(date)?),
                }
            }
            "clock" if value == "vm" => {}
            "clock" => {
                return Err(format!(
                    "clock={value}: armvirt's RTC follows the virtual clock only (clock=vm)"
                ))
            }
            _ => {
                return Err(format!(
                    "'{option}' in '{text}' is not an RTC option (base=utc|localtime|DATETIME, clock=vm)"
                ))
            }
        }
    }
    Ok(base)
}

/// `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD` (QEMU's two formats), UTC, as seconds since
/// the epoch. Unlike QEMU (whose `mktimegm` quietly normalises), a date that does not
/// exist (Feb 30, month 13, 24:00) is refused, and so is one outside the PL031's range.
pub fn parse_datetime(text: &str) -> Result<u32, String> {
    let bad =
        || format!("'{text}' is not a date and time (formats: 2006-06-17T16:01:21 or 2006-06-17)");
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let [year, month, day] = fields(date, '-').ok_or_else(bad)?;
    let [hour, minute, second] = match time {
        Some(time) => fields(time, ':').ok_or_else(bad)?,
        None => [0; 3],
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(format!("'{text}' names a day that does not exist"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("'{text}' names a time of day that does not exist"));
    }
    let out_of_range =
        || format!("'{text}' is outside the PL031's range (1970-01-01 to {MAX_DATETIME})");
    if year < FIRST_YEAR {
        return Err(out_of_range());
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * SECONDS_PER_DAY
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    u32::try_from(seconds).map_err(|_| out_of_range())
}

/// Three unsigned decimal numbers separated by `sep` (one or more digits each, as
/// QEMU's `%d` takes them, but no sign, space or trailing text).
fn fields(text: &str, sep: char) -> Option<[u32; 3]> {
    let mut out = [0; 3];
    let mut parts = text.split(sep);
    for slot in &mut out {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Days in `month` (1 to 12) of `year`, Gregorian.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year`-`month`-`day` in the proleptic Gregorian calendar
/// (H. Hinnant's `days_from_civil`: years counted from March, in 400-year eras).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values: `date -u -d <date> +%s` (GNU coreutils), independent of this code.
    #[test]
    fn datetimes_are_seconds_since_the_epoch() {
        assert_eq!(parse_datetime("2006-06-17T16:01:21"), Ok(1_150_560_081));
        assert_eq!(parse_datetime("2006-06-17"), Ok(1_150_502_400));
        assert_eq!(parse_datetime("1970-01-01T00:00:00"), Ok(0));
        assert_eq!(parse_datetime("1970-01-01"), Ok(0));
        assert_eq!(parse_datetime("2000-02-29T12:00:00"), Ok(951_825_600));
        assert_eq!(parse_datetime("2024-01-02T03:04:05"), Ok(1_704_164_645));
        assert_eq!(parse_datetime("2038-01-19T03:14:08"), Ok(1 << 31));
        assert_eq!(parse_datetime("2100-03-01"), Ok(4_107_542_400));
        assert_eq!(parse_datetime(MAX_DATETIME), Ok(u32::MAX));
        // QEMU's %d takes unpadded fields.
        assert_eq!(parse_datetime("2006-6-17T16:1:21"), Ok(1_150_560_081));
    }

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        for text in [
            "2023-02-29", // not a leap year
            "2100-02-29", // a century, not a leap year
            "2024-02-30",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
        ] {
            assert_eq!(
                parse_datetime(text),
                Err(format!("'{text}' names a day that does not exist")),
                "{text}"
            );
        }
        assert!(parse_datetime("2000-02-29").is_ok()); // 400-year leap
        for text in [
            "2024-01-01T24:00:00",
            "2024-01-01T12:60:00",
            "2024-01-01T12:00:60",
        ] {
            assert!(
                parse_datetime(text).unwrap_err().contains("time of day"),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_datetimes_are_refused() {
        for text in [
            "",
            "2024",
            "2024-01",
            "2024-01-02T",
            "2024-01-02T03:04",
            "2024-01-02 03:04:05",
            "2024-01-02T03:04:05Z",
            "2024-01-02-03",
            "+2024-01-02",
            "2024/01/02",
            "yesterday",
            "99999999999-01-01",
        ] {
            assert!(
                parse_datetime(text)
                    .unwrap_err()
                    .contains("is not a date and time"),
                "{text}"
            );
        }
    }

    #[test]
    fn datetimes_outside_the_pl031_range_are_refused() {
        for text in ["1969-12-31T23:59:59", "2106-02-07T06:28:16", "9999-12-31"] {
            assert!(
                parse_datetime(text)
                    .unwrap_err()
                    .contains("outside the PL031's range"),
                "{text}"
            );
        }
    }

    #[test]
    fn rtc_options() {
        assert_eq!(parse_rtc("base=utc"), Ok(RtcBase::Utc));
        assert_eq!(parse_rtc("base=localtime"), Ok(RtcBase::LocalTime));
        assert_eq!(
            parse_rtc("base=2006-06-17T16:01:21"),
            Ok(RtcBase::DateTime(1_150_560_081))
        );
        assert_eq!(
            parse_rtc("base=2006-06-17,clock=vm"),
            Ok(RtcBase::DateTime(1_150_502_400))
        );
        assert!(parse_rtc("base=2024-02-30").is_err());
        assert!(parse_rtc("clock=host").unwrap_err().contains("clock=vm"));
        assert!(parse_rtc("utc").unwrap_err().contains("not an RTC option"));
        assert!(parse_rtc("driftfix=slew")
            .unwrap_err()
            .contains("not an RTC option"));
        assert!(parse_rtc("").is_err());
    }

    #[test]
    fn a_fixed_base_is_its_own_start() {
        assert_eq!(
            RtcBase::DateTime(1_150_560_081).start_seconds(),
            1_150_560_081
        );
    }
}
