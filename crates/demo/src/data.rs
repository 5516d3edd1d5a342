//! Deterministic fake data: the same seed gives the same rows on every machine, so a failed
//! end-to-end test can be rerun and compared byte for byte.

/// A 64-bit linear congruential generator (Knuth's MMIX constants); plenty for fake data and no
/// dependency.
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn new(seed: u64) -> Self {
        let mut lcg = Lcg(seed ^ 0x9E37_79B9_7F4A_7C15);
        lcg.next();
        lcg
    }

    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // The high bits of an LCG are the random ones.
        self.0 >> 16
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True `percent` times out of a hundred.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Appends one CSV row, every value enclosed: the stack's reader is strict RFC 4180, and quoting
/// all values is the one form that never needs a decision per value.
pub(crate) fn push_csv_row<S: AsRef<str>>(out: &mut String, values: &[S]) {
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&value.as_ref().replace('"', "\"\""));
        out.push('"');
    }
    out.push('\n');
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (the civil-from-days algorithm of Howard
/// Hinnant), so dates need no time library.
pub(crate) fn date(days_since_epoch: i64) -> String {
    let (y, m, d) = civil_from_days(days_since_epoch);
    format!("{y:04}-{m:02}-{d:02}")
}

/// An RFC 3339 UTC time from seconds since 1970-01-01.
pub(crate) fn timestamp(seconds_since_epoch: i64) -> String {
    let days = seconds_since_epoch.div_euclid(86_400);
    let secs = seconds_since_epoch.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(days),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// As [`timestamp`], with the offset written `+00:00`: the one form a typed `TIMESTAMP` column
/// keeps on every backend (PostgreSQL gives a time back that way, so it refuses a `Z` that
/// would not come back byte for byte).
pub(crate) fn typed_timestamp(seconds_since_epoch: i64) -> String {
    let mut text = timestamp(seconds_since_epoch);
    text.pop();
    text.push_str("+00:00");
    text
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 1970-01-01 to 2023-01-01, where the demo's history starts.
pub(crate) const DAY_2023_01_01: i64 = 19_358;

/// An amount with two decimals, from cents.
pub(crate) fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(DAY_2023_01_01), "2023-01-01");
        assert_eq!(date(DAY_2023_01_01 + 365 + 59), "2024-02-29");
        assert_eq!(timestamp(86_400 + 3661), "1970-01-02T01:01:01Z");
    }

    #[test]
    fn csv_rows_enclose_and_double_quotes() {
        let mut out = String::new();
        push_csv_row(&mut out, &["a\"b", "", "x\r\ny"]);
        assert_eq!(out, "\"a\"\"b\",\"\",\"x\r\ny\"\n");
    }

    #[test]
    fn the_generator_is_deterministic() {
        let (mut a, mut b) = (Lcg::new(7), Lcg::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.below(1000)).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.below(1000)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, vec![xs[0]; 5]);
        assert_eq!(money(-1234), "-12.34");
    }
}
