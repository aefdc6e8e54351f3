import Foundation

/// The wire's one date shape, `2026-12-02T13:50:47.123Z` (UTC, milliseconds), written and read without
/// `Date.ISO8601FormatStyle` on the hot path: a page of 2,000 items carries 6,000 dates, and the format style, which
/// handles every calendar and time zone, cost a third of an item's decoding. Other shapes (offsets, years before 1970
/// or after 2999, where the format style's calendar or rounding differ from plain arithmetic) go to the format style.
public enum ISO8601Milliseconds {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    /// 1970-01-01 and 3000-01-01, in seconds since 1970: the years the fast path writes and reads.
    private static let firstSecond: Int64 = 0
    private static let endSecond: Int64 = 32_503_680_000

    /// Milliseconds are truncated toward the past, as the format style does, and what `date(from:)` read writes the
    /// same text again.
    public static func string(from date: Date) -> String {
        // From the reference date, as the format style counts, so both truncate the same double the same way.
        let sinceReference = date.timeIntervalSinceReferenceDate
        let since1970 = sinceReference + 978_307_200
        guard since1970.isFinite, since1970 >= Double(firstSecond), since1970 < Double(endSecond) else {
            return date.formatted(style)
        }
        let wholeSeconds = sinceReference.rounded(.down)
        // Truncated, but a date within 10 µs below a millisecond counts as that millisecond: the double read
        // from "…02.844Z" can lie a few ulps (4 µs in year 2999) below .844, and must write "…02.844Z" again (the
        // format style wrote .843).
        let millisecond = min(999, Int(((sinceReference - wholeSeconds) * 1000 + 0.01).rounded(.down)))
        let seconds = Int64(wholeSeconds) + 978_307_200
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(millisecond, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction]Z` itself and anything else ISO 8601 through the format style; nil when
    /// the text is no ISO 8601 date at all.
    public static func date(from text: String) -> Date? {
        if let date = fastDate(text) { return date }
        if let date = try? Date(text, strategy: style) { return date }
        return try? Date(text, strategy: .iso8601)
    }

    private static func fastDate(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count >= 20, bytes.count <= 30, bytes[bytes.count - 1] == UInt8(ascii: "Z"),
                  bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
            func number(_ offset: Int, _ width: Int) -> Int? {
                var value = 0
                for index in offset..<offset + width {
                    let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
                    guard digit >= 0 && digit <= 9 else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                  let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  year >= 1970, year < 3000, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
                  hour < 24, minute < 60, second < 60 else { return nil }
            var fraction = 0.0
            if bytes.count > 20 {
                let digits = bytes.count - 21
                guard bytes[19] == UInt8(ascii: "."), digits >= 1, digits <= 9, let value = number(20, digits) else { return nil }
                fraction = Double(value) / pow(10, Double(digits))
            } else if bytes[19] != UInt8(ascii: "Z") {
                return nil
            }
            let seconds = days(fromYear: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
            return Date(timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + fraction)
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Days since 1970-01-01 to a proleptic Gregorian date and back (Howard Hinnant's `civil_from_days` algorithms).
    private static func days(fromYear year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = Int64((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }
}
