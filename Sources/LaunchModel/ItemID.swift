import Foundation

/// ULID-style identifiers: 48 bits of milliseconds then 80 random bits in Crockford base32,
/// so ids sort by creation time and are unique without coordination between processes.
public enum ItemID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    public static func make(at date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(at: date, using: &generator)
    }

    public static func make<G: RandomNumberGenerator>(at date: Date, using generator: inout G) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var chars: [Character] = []
        chars.reserveCapacity(26)
        for shift in stride(from: 45, through: 0, by: -5) {
            chars.append(alphabet[Int((millis >> UInt64(shift)) & 0x1f)])
        }
        for _ in 0..<16 {
            chars.append(alphabet[Int(generator.next() & 0x1f)])
        }
        return String(chars)
    }

    /// Ids typed by users: ULID characters only, at least 4 of them when given as a prefix.
    public static func validatePrefix(_ text: String) throws -> String {
        let upper = text.uppercased()
        guard upper.count >= 4, upper.count <= 26, upper.allSatisfy({ alphabet.contains($0) }) else {
            throw LaunchError.invalidInput("invalid item id \"\(text.escapedForMessage)\": expected a ULID or at least its first 4 characters")
        }
        return upper
    }
}
