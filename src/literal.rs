//! Strict spellings of durations and timestamps, shared by the policy syntax, manifests, test
//! files and `--now`. One grammar each, so a policy literal and a manifest value that look alike
//! mean the same, and a spelling that could mean two things is refused rather than guessed.
//!
//! - A duration is one or more `<digits><unit>` parts, units `w d h m s`, each at most once and
//!   largest first: `1h30m`, `2w`, `90s`. `h` (no number), `1h1h` (a unit twice) and `30m1h`
//!   (out of order) are refused.
//! - A timestamp is RFC 3339 exactly: `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`, `T` and
//!   `Z` in either case, offsets up to 23:59. No other offset spelling (`+05`, `+0530`), no
//!   time without seconds.

/// The units of a duration, largest first, with their length in seconds.
const UNITS: [(char, i64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// `1h30m` -> 5400 seconds; the error says what is wrong with the spelling.
pub fn duration(s: &str) -> Result<i64, String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    let mut total: i64 = 0;
    let mut num: Option<i64> = None;
    // The index in `UNITS` of the last unit read: the next must come after it.
    let mut last: Option<usize> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = num.unwrap_or(0);
            num = Some(
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(i64::from(d)))
                    .ok_or("it does not fit in 64-bit seconds")?,
            );
            continue;
        }
        let Some(i) = UNITS.iter().position(|&(u, _)| u == c) else {
            return Err(format!(
                "`{c}` is not a unit (the units are `w`, `d`, `h`, `m` and `s`)"
            ));
        };
        let Some(n) = num.take() else {
            return Err(format!("`{c}` has no number before it"));
        };
        match last {
            Some(l) if l == i => return Err(format!("the unit `{c}` is written twice")),
            Some(l) if l > i => {
                return Err(format!(
                    "`{c}` comes after `{}`: write the largest unit first",
                    UNITS[l].0
                ));
            }
            _ => {}
        }
        last = Some(i);
        total = n
            .checked_mul(UNITS[i].1)
            .and_then(|secs| total.checked_add(secs))
            .ok_or("it does not fit in 64-bit seconds")?;
    }
    if num.is_some() {
        return Err("the last number has no unit".into());
    }
    Ok(total)
}

/// A timestamp in RFC 3339 exactly (see the module's documentation).
pub fn timestamp(s: &str) -> Result<jiff::Timestamp, String> {
    rfc3339_shape(s)?;
    s.parse::<jiff::Timestamp>().map_err(|e| {
        if e.to_string().contains("timestamp seconds") {
            "it is outside the range of timestamps (years -9999 to 9999, in UTC)".to_string()
        } else {
            "it is not a date and time that exists (check the day of the month)".to_string()
        }
    })
}

/// Checks the characters of an RFC 3339 date-time; the error says what was expected where.
fn rfc3339_shape(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let num = |from: usize| (b[from] - b'0') as u32 * 10 + (b[from + 1] - b'0') as u32;
    let date_ok = digits(0, 4)
        && b.get(4) == Some(&b'-')
        && digits(5, 2)
        && b.get(7) == Some(&b'-')
        && digits(8, 2);
    if !date_ok {
        return Err("expected an RFC 3339 timestamp, starting with a date `YYYY-MM-DD`".into());
    }
    match b.get(10) {
        Some(b'T' | b't') => {}
        None => {
            return Err("it has no time of day: write `T` and `HH:MM:SS` after the date".into());
        }
        Some(_) => return Err("expected `T` between the date and the time".into()),
    }
    if !(digits(11, 2) && b.get(13) == Some(&b':') && digits(14, 2)) {
        return Err("expected the time `HH:MM:SS` after `T`".into());
    }
    if !(b.get(16) == Some(&b':') && digits(17, 2)) {
        return Err("the time has no seconds: write `HH:MM:SS`".into());
    }
    if num(11) > 23 || num(14) > 59 || num(17) > 60 {
        return Err("the time of day is out of range (`00:00:00` to `23:59:59`)".into());
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err("expected digits after the `.` of the seconds".into());
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => Ok(()),
        Some(b'+' | b'-') => {
            let rest = &s[i..];
            let ok = rest.len() == 6 && digits(i + 1, 2) && b[i + 3] == b':' && digits(i + 4, 2);
            if !ok {
                return Err(format!(
                    "the offset `{rest}` is not `+HH:MM` or `-HH:MM` (write e.g. `+05:30`, `+05:00`)"
                ));
            }
            if num(i + 1) > 23 || num(i + 4) > 59 {
                return Err(format!(
                    "the offset `{rest}` is out of range: hours go up to 23, minutes up to 59"
                ));
            }
            Ok(())
        }
        None => Err("it has no UTC offset".into()),
        Some(_) => Err(format!(
            "unexpected `{}` after the time: expected `Z` or an offset such as `+01:00`",
            &s[i..]
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{duration, timestamp};

    #[test]
    fn durations_have_one_spelling() {
        assert_eq!(duration("1h30m"), Ok(5_400));
        assert_eq!(duration("2w1d"), Ok(15 * 86_400));
        assert_eq!(duration("90s"), Ok(90));
        assert_eq!(duration("0s"), Ok(0));
        for bad in ["", "h", "1h1h", "30m1h", "1", "1h30", "1x", "1h h", "1hm"] {
            assert!(duration(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(duration("h"), Err("`h` has no number before it".into()));
        assert_eq!(
            duration("1h1h"),
            Err("the unit `h` is written twice".into())
        );
        assert!(duration("99999999999999999999s").is_err());
        assert!(duration("9999999999999999w").is_err());
    }

    #[test]
    fn timestamps_are_rfc_3339_exactly() {
        let t = |s: &str| timestamp(s).map(|t| t.to_string());
        assert_eq!(t("2026-12-20T17:00:00Z"), Ok("2026-12-20T17:00:00Z".into()));
        assert_eq!(t("2026-12-20t17:00:00z"), Ok("2026-12-20T17:00:00Z".into()));
        assert_eq!(
            t("2026-12-20T18:00:00+01:00"),
            Ok("2026-12-20T17:00:00Z".into())
        );
        assert_eq!(
            t("2026-12-20T17:00:00.25-00:30"),
            Ok("2026-12-20T17:30:00.25Z".into())
        );
        assert_eq!(t("2026-12-20T17:00:00+23:59").map(|_| ()), Ok(()));
        for bad in [
            "2026-12-20T17:00:00+25:00",
            "2026-12-20T17:00:00+24:00",
            "2026-12-20T17:00:00+05",
            "2026-12-20T17:00:00+0530",
            "2026-12-20T17:00Z",
            "2026-12-20T17:00:00",
            "2026-12-20 17:00:00Z",
            "2026-12-20",
            "2026-12-20T17:00:00.Z",
            "2026-02-30T17:00:00Z",
            "2026-12-20T24:00:00Z",
            " 2026-12-20T17:00:00Z",
            "2026-12-20T17:00:00Z ",
            "2026-12-20T17:00:00+01:60",
        ] {
            assert!(timestamp(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(timestamp("2026-12-20T17:00:00+25:00").is_err_and(|e| e.contains("out of range")));
    }
}
