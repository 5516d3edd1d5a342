//! Five-field cron expressions (minute, hour, day of month, month, day of week) read in an IANA
//! time zone, as orchestrations' `crontabRecord` and `timezone` give them. Fields take `*`,
//! numbers, names (`jan`, `mon`), ranges, steps and lists. As in Vixie cron, when both the day
//! of month and the day of week are restricted, a day matching either one matches.

use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_restricted: bool,
    weekdays_restricted: bool,
    /// Neither minute nor hour is a wildcard: a job at fixed times, which a repeated hour must
    /// not run twice (one every few minutes just goes on).
    fixed_time: bool,
    tz: Tz,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Parses a time zone name (`UTC`, `Europe/Prague`).
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("timezone '{name}' is not an IANA time zone name such as 'UTC' or 'Europe/Prague'")
    })
}

impl Schedule {
    /// Parses `record` to be read in `timezone`.
    pub fn parse(record: &str, timezone: &str) -> Result<Schedule, String> {
        let tz = parse_timezone(timezone)?;
        let fields: Vec<&str> = record.split_whitespace().collect();
        let bad = |why: String| {
            format!(
                "crontabRecord '{record}' is not a five-field cron expression such as \
                 '0 3 * * *': {why}"
            )
        };
        if fields.len() != 5 {
            return Err(bad(format!("it has {} field(s)", fields.len())));
        }
        let minutes = field(fields[0], 0, 59, &[]).map_err(|e| bad(format!("minute: {e}")))?;
        let hours = field(fields[1], 0, 23, &[]).map_err(|e| bad(format!("hour: {e}")))?;
        let days = field(fields[2], 1, 31, &[]).map_err(|e| bad(format!("day of month: {e}")))?;
        let months = field(fields[3], 1, 12, &MONTHS).map_err(|e| bad(format!("month: {e}")))?;
        let mut weekdays =
            field(fields[4], 0, 7, &WEEKDAYS).map_err(|e| bad(format!("day of week: {e}")))?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1; // 7 is Sunday too.
        }
        Ok(Schedule {
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_restricted: !fields[2].starts_with('*'),
            weekdays_restricted: !fields[4].starts_with('*'),
            fixed_time: !fields[0].starts_with('*') && !fields[1].starts_with('*'),
            tz,
        })
    }

    /// Whether the schedule fires in the minute starting at `micros` (UTC, since the epoch).
    ///
    /// Around daylight-saving changes it behaves as cron does: a job at fixed times whose
    /// wall-clock minute happens twice (the clock goes back) fires only the first time, and
    /// minutes the clock skips (it goes forward) fire at the first minute after the jump.
    pub fn matches(&self, micros: i64) -> bool {
        let Some(utc) = chrono::Utc.timestamp_micros(micros).single() else {
            return false;
        };
        let local = utc.with_timezone(&self.tz).naive_local();
        if let chrono::LocalResult::Ambiguous(first, _) = self.tz.from_local_datetime(&local) {
            if self.fixed_time && first.with_timezone(&chrono::Utc) != utc {
                return false; // The second pass through this wall-clock minute.
            }
        }
        if self.fields_match(&local) {
            return true;
        }
        // The minute right after a jump forward also stands for the minutes skipped.
        let before = (utc - chrono::Duration::minutes(1))
            .with_timezone(&self.tz)
            .naive_local();
        let mut skipped = before + chrono::Duration::minutes(1);
        while skipped < local {
            if self.fields_match(&skipped) {
                return true;
            }
            skipped += chrono::Duration::minutes(1);
        }
        false
    }

    fn fields_match(&self, local: &chrono::NaiveDateTime) -> bool {
        let bit = |set: u64, n: u32| set & (1 << n) != 0;
        let day = bit(self.days, local.day());
        let weekday = bit(self.weekdays, local.weekday().num_days_from_sunday());
        let day_ok = match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => day || weekday,
            _ => day && weekday,
        };
        bit(self.minutes, local.minute())
            && bit(self.hours, local.hour())
            && bit(self.months, local.month())
            && day_ok
    }

    /// The latest minute in `(after, until]` (both minute starts, in microseconds) at which the
    /// schedule fires, looking back at most a year.
    pub fn latest_between(&self, after: i64, until: i64) -> Option<i64> {
        const MINUTE: i64 = 60_000_000;
        let floor = after.max(until - 366 * 24 * 60 * MINUTE);
        let mut t = until - until.rem_euclid(MINUTE);
        while t > floor {
            if self.matches(t) {
                return Some(t);
            }
            t -= MINUTE;
        }
        None
    }
}

/// One field as a bit set of the values it allows.
fn field(text: &str, min: u32, max: u32, names: &[&str]) -> Result<u64, String> {
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("step '{s}' is not a positive number"))?;
                (r, step)
            }
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, min, max, names)?, value(b, min, max, names)?)
        } else {
            let v = value(range, min, max, names)?;
            (v, if step > 1 { max } else { v })
        };
        if from > to {
            return Err(format!("range '{range}' runs backwards"));
        }
        let mut v = from;
        while v <= to {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

fn value(text: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        // Month names count from 1, weekday names from 0 (Sunday).
        return Ok(i as u32 + if names.len() == 12 { 1 } else { 0 });
    }
    let v: u32 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number from {min} to {max}"))?;
    if v < min || v > max {
        return Err(format!("{v} is not from {min} to {max}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn reads_the_five_fields() {
        let s = Schedule::parse("*/15 9-17 * * mon-fri", "UTC").unwrap();
        assert!(s.matches(at("2026-11-30T09:45:00Z")), "a Monday");
        assert!(!s.matches(at("2026-11-30T09:44:00Z")));
        assert!(!s.matches(at("2026-11-29T09:45:00Z")), "a Sunday");
        assert!(!s.matches(at("2026-11-30T18:00:00Z")));
    }

    #[test]
    fn reads_the_time_zone() {
        // 03:00 in Prague is 02:00 UTC in winter.
        let s = Schedule::parse("0 3 * * *", "Europe/Prague").unwrap();
        assert!(s.matches(at("2026-11-29T02:00:00Z")));
        assert!(!s.matches(at("2026-11-29T03:00:00Z")));
    }

    #[test]
    fn a_repeated_minute_fires_once_and_a_skipped_one_after_the_jump() {
        let s = Schedule::parse("30 2 * * *", "Europe/Prague").unwrap();
        // 2026-10-25: 02:30 happens at 00:30Z (summer time) and again at 01:30Z (winter time).
        assert!(s.matches(at("2026-10-25T00:30:00Z")));
        assert!(!s.matches(at("2026-10-25T01:30:00Z")));
        // 2026-03-29: the clock jumps from 02:00 to 03:00 (01:00Z); 02:30 fires at 03:00.
        assert!(s.matches(at("2026-03-29T01:00:00Z")));
        let fired: Vec<i64> = (0..24 * 60)
            .map(|m| at("2026-03-29T00:00:00Z") + m * 60_000_000)
            .filter(|t| s.matches(*t))
            .collect();
        assert_eq!(fired, [at("2026-03-29T01:00:00Z")], "exactly once that day");
        // A job every 10 minutes goes on through the repeated hour.
        let often = Schedule::parse("*/10 * * * *", "Europe/Prague").unwrap();
        assert!(often.matches(at("2026-10-25T01:30:00Z")));
    }

    #[test]
    fn either_day_matches_when_both_are_restricted() {
        let s = Schedule::parse("0 0 1 * sun", "UTC").unwrap();
        assert!(s.matches(at("2026-12-01T00:00:00Z")), "the 1st, a Tuesday");
        assert!(s.matches(at("2026-11-29T00:00:00Z")), "a Sunday");
        assert!(!s.matches(at("2026-11-30T00:00:00Z")));
    }

    #[test]
    fn finds_the_latest_slot() {
        let s = Schedule::parse("*/5 * * * *", "UTC").unwrap();
        let got = s.latest_between(at("2026-11-29T12:03:00Z"), at("2026-11-29T12:17:30Z"));
        assert_eq!(got, Some(at("2026-11-29T12:15:00Z")));
        assert_eq!(
            s.latest_between(at("2026-11-29T12:15:00Z"), at("2026-11-29T12:19:00Z")),
            None,
            "the slot already taken does not count"
        );
    }

    #[test]
    fn refuses_what_is_not_cron() {
        for bad in [
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "5-1 * * * *",
            "x * * * *",
        ] {
            assert!(Schedule::parse(bad, "UTC").is_err(), "{bad}");
        }
        assert!(Schedule::parse("0 3 * * *", "Mars/Olympus").is_err());
        assert!(Schedule::parse("0 3 * * 7", "UTC")
            .unwrap()
            .matches(at("2026-11-29T03:00:00Z")));
    }
}
