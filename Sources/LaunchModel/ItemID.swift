import Foundation
import Synchronization

/// ULID-style identifiers: 48 bits of milliseconds then 80 random bits in Crockford base32,
/// so ids sort by creation time and are unique without coordination between processes.
/// Within one process they are monotonic, as ULID's spec allows: an id made in the same millisecond as the
/// previous one (a batch enqueue) takes the previous random part plus one, so ids sort in the order made.
public enum ItemID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    private static let last = Mutex<(millis: UInt64, high: UInt16, low: UInt64)?>(nil)

    public static func make(at date: Date = Date()) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let (stamp, high, low) = last.withLock { last -> (UInt64, UInt16, UInt64) in
            var next: (millis: UInt64, high: UInt16, low: UInt64)
            if let previous = last, millis <= previous.millis {
                // Same millisecond, or the clock stepped back: keep the previous time so the order holds.
                let (low, overflow) = previous.low.addingReportingOverflow(1)
                next = (previous.millis, overflow ? previous.high &+ 1 : previous.high, low)
            } else {
                var generator = SystemRandomNumberGenerator()
                // The top bit left clear leaves room to count up within a millisecond without wrapping.
                next = (millis, UInt16.random(in: 0...0x7fff, using: &generator), generator.next())
            }
            last = next
            return next
        }
        return encode(millis: stamp, high: high, low: low)
    }

    static func encode(millis: UInt64, high: UInt16, low: UInt64) -> String {
        var chars: [Character] = []
        chars.reserveCapacity(26)
        for shift in stride(from: 45, through: 0, by: -5) {
            chars.append(alphabet[Int((millis >> UInt64(shift)) & 0x1f)])
        }
        // 80 bits: the 16 high bits then the 64 low ones, five at a time from the top.
        for shift in stride(from: 75, through: 0, by: -5) {
            let value: UInt64 = shift >= 64 ? UInt64(high) >> UInt64(shift - 64)
                : (shift > 59 ? (low >> UInt64(shift)) | (UInt64(high) << UInt64(64 - shift)) : low >> UInt64(shift))
            chars.append(alphabet[Int(value & 0x1f)])
        }
        return String(chars)
    }

    /// A whole id as `make` writes it.
    public static func isValid(_ text: String) -> Bool {
        text.count == 26 && text.allSatisfy { alphabet.contains($0) }
    }

    /// Ids typed by users: ULID characters only, at least 4 of them: the first ones (a prefix) or the last ones (a
    /// suffix, as the dashboard shows ids: items of one batch share their first 16 characters). A leading `…`, as
    /// copied from the dashboard, is dropped.
    public static func validatePrefix(_ text: String) throws -> String {
        var upper = text.uppercased()
        if upper.hasPrefix("…") { upper.removeFirst() }
        guard upper.count >= 4, upper.count <= 26, upper.allSatisfy({ alphabet.contains($0) }) else {
            throw LaunchError.invalidInput("invalid item id \"\(text.escapedForMessage)\": expected a ULID, or at least its first or last 4 characters")
        }
        return upper
    }

    /// The one id among `candidates` that `reference` names (by prefix, else by suffix), or why none does.
    public static func pick(_ reference: String, prefixed: [String], suffixed: [String]) throws -> String {
        if prefixed.contains(reference) { return reference }
        let matches = prefixed.isEmpty ? suffixed : prefixed
        if matches.count == 1 { return matches[0] }
        guard !matches.isEmpty else { throw LaunchError.notFound("item \(reference) not found") }
        let listed = matches.prefix(5).joined(separator: ", ")
        throw LaunchError.invalidInput("item id \(reference) is ambiguous: \(listed)\(matches.count > 5 ? " and more" : ""); give more characters")
    }
}
