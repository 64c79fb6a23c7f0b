//! Dates for display, computed the same way on the server and in the browser.

/// `YYYY-MM-DD` (UTC) of a unix timestamp in seconds.
pub fn iso_date(seconds: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DD HH:MM UTC` of a unix timestamp in seconds.
pub fn iso_date_time(seconds: i64) -> String {
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        iso_date(seconds),
        in_day / 3_600,
        in_day % 3_600 / 60
    )
}

/// RFC 3339 in UTC to the second (`2026-12-03T15:04:05Z`), as the service API and events write
/// every time.
pub fn rfc3339(seconds: i64) -> String {
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        iso_date(seconds),
        in_day / 3_600,
        in_day % 3_600 / 60,
        in_day % 60
    )
}

/// The first second (UTC) of a `YYYY-MM-DD` day, or `None` when it is not a real date.
pub fn parse_iso_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let mut number = |digits: usize| -> Option<i64> {
        let part = parts.next()?;
        (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(4)?, number(2)?, number(2)?);
    if !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    // Howard Hinnant's days-from-civil, the inverse of `iso_date`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let seconds = (era * 146_097 + doe - 719_468) * 86_400;
    // Day 31 of a 30-day month lands in the next one: not a real date.
    (iso_date(seconds) == text.trim()).then_some(seconds)
}

/// How long before `now` `then` was, as a person says it: "just now", "5 minutes ago",
/// "3 hours ago", "2 days ago".
pub fn age_in_words(then: i64, now: i64) -> String {
    let seconds = (now - then).max(0);
    let (count, unit) = match seconds {
        0..=59 => return "just now".to_owned(),
        60..=3_599 => (seconds / 60, "minute"),
        3_600..=86_399 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ages_read_as_people_say_them() {
        assert_eq!(
            iso_date_time(1_795_910_400 + 9 * 3_600 + 41 * 60 + 7),
            "2026-11-29 09:41 UTC"
        );
        assert_eq!(
            rfc3339(1_795_910_400 + 9 * 3_600 + 41 * 60 + 7),
            "2026-11-29T09:41:07Z"
        );
        assert_eq!(age_in_words(100, 130), "just now");
        assert_eq!(age_in_words(0, 60), "1 minute ago");
        assert_eq!(age_in_words(0, 7_300), "2 hours ago");
        assert_eq!(age_in_words(0, 3 * 86_400 + 5), "3 days ago");
        assert_eq!(age_in_words(500, 100), "just now", "a clock a little ahead");
    }

    #[test]
    fn known_dates() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_date(1_795_939_200), "2026-11-29");
    }

    #[test]
    fn dates_parse_back_and_impossible_ones_do_not() {
        for seconds in [0, 951_782_400, 1_795_910_400, -86_400] {
            assert_eq!(parse_iso_date(&iso_date(seconds)), Some(seconds));
        }
        for wrong in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "",
            "2026-01-01x",
        ] {
            assert_eq!(parse_iso_date(wrong), None, "{wrong}");
        }
    }
}
