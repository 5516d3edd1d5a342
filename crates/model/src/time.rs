//! Times on the wire: RFC 3339 with an offset, microseconds when they are not zero.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// A point in time as the API shows it.
pub type Timestamp = DateTime<Utc>;

/// Formats a time the way every API response and every exported `_timestamp` does.
pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Microseconds since the Unix epoch, the stored form of `_timestamp`.
pub fn to_micros(t: &Timestamp) -> i64 {
    t.timestamp_micros()
}

/// The inverse of [`to_micros`].
pub fn from_micros(micros: i64) -> Timestamp {
    Utc.timestamp_micros(micros).single().unwrap_or_default()
}

/// Parses a time given by a user: RFC 3339, `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC), a date, or
/// whole Unix seconds.
pub fn parse(input: &str) -> Option<Timestamp> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    if let Ok(secs) = s.parse::<i64>() {
        return Utc.timestamp_opt(secs, 0).single();
    }
    None
}

/// Serde support for [`Timestamp`] fields in the API's format.
pub mod serde_rfc3339 {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the API form.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    /// Reads any form [`parse`] accepts.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let raw = String::deserialize(d)?;
        parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("'{raw}' is not a time")))
    }

    /// The same for optional fields.
    pub mod option {
        use super::*;

        /// Writes the API form or null.
        pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&format(t)),
                None => s.serialize_none(),
            }
        }

        /// Reads any form [`parse`] accepts, or null.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
            let raw = Option::<String>::deserialize(d)?;
            raw.map(|raw| {
                parse(&raw)
                    .ok_or_else(|| serde::de::Error::custom(format!("'{raw}' is not a time")))
            })
            .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_offset_and_parses_back() {
        let t = parse("2026-11-29T14:00:00+00:00").unwrap();
        assert_eq!(format(&t), "2026-11-29T14:00:00+00:00");
        let t = from_micros(to_micros(&t) + 1500);
        assert_eq!(format(&t), "2026-11-29T14:00:00.001500+00:00");
        assert_eq!(parse(&format(&t)), Some(t));
        assert_eq!(parse("2026-11-29 14:00:00"), parse("2026-11-29T14:00:00Z"));
        assert!(parse("yesterday").is_none());
    }
}
