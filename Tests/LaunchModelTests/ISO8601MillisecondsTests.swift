import Foundation
import LaunchModel
import Testing

/// The wire's date codec writes what `Date.ISO8601FormatStyle` writes (but for dates 10 µs below the next
/// millisecond), reads what it reads to the microsecond, and what it reads writes the same text again, which the
/// format style alone did not always do.
@Suite struct ISO8601MillisecondsTests {
    let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    @Test func writesWhatTheFormatStyleWritesAndReadsItBack() throws {
        // The same dates every run, so a failure can be looked at again.
        var generator = SplitMix64(state: 20261202)
        // Dates of every era the fast path covers and beyond it (the format style's own), and the edges of a second.
        var seconds: [Double] = [0, -0.0004, 0.0004, 0.9999, 978_699_140.992, 1_796_219_447.1235, 32_503_679_999.9999, 32_503_680_000.5, -1e10]
        for _ in 0..<20_000 { seconds.append(Double.random(in: -1e10...4e10, using: &generator)) }
        for _ in 0..<20_000 { seconds.append(Double.random(in: 1.6e9...1.9e9, using: &generator)) }
        for value in seconds {
            let date = Date(timeIntervalSince1970: value)
            let text = date.formatted(style)
            let written = ISO8601Milliseconds.string(from: date)
            if written != text {
                // Only a date less than 10 µs below the next millisecond is written as that millisecond.
                let beyond = date.timeIntervalSinceReferenceDate * 1000
                #expect(beyond.rounded(.up) - beyond < 0.0101, "\(value): \(written) for \(text)")
            }
            let read = try #require(ISO8601Milliseconds.date(from: text), "\(text)")
            // Years 1970-2999; the others are the format style's both ways, as they always were.
            if value >= 0 && value < 32_503_680_000 { #expect(ISO8601Milliseconds.string(from: read) == text, "\(text) read back") }
            let theirs = try Date(text, strategy: style)
            #expect(abs(read.timeIntervalSince(theirs)) < 1e-6, "\(text)")
        }
    }

    /// The format style is lenient (it rolls February 30 and hour 25 over), and so the wire stays: the fast path only
    /// takes what it reads the same way, and hands everything else to the format style.
    @Test func readsOtherISO8601FormsAndRefusesTheRest() throws {
        for text in ["2026-12-02T13:50:47Z", "2026-12-02T13:50:47.1234567Z", "2026-12-02T13:50:47+01:00", "2026-02-30T00:00:00Z",
                     "2024-02-29T23:59:59.999Z"] {
            let expected = try? Date(text, strategy: style)
            #expect(ISO8601Milliseconds.date(from: text) == (expected ?? (try? Date(text, strategy: .iso8601))), "\(text)")
        }
        for text in ["", "garbage", "2026-12-02", "2026-13-02T00:00:00Z", "２０２６-12-02T00:00:00Z"] {
            #expect(ISO8601Milliseconds.date(from: text) == nil, "\(text)")
        }
    }
}
