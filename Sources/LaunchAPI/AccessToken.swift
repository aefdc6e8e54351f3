import Crypto
import Foundation

/// The secret of an API token: `ldk_` and 32 random base62 characters (190 bits), then 6 characters of checksum, as
/// GitHub's tokens are made. The prefix lets secret scanners and our redactor recognise one; the checksum turns a
/// mistyped or truncated token away before any lookup. Only `hash` is stored.
public enum AccessToken {
    public static let prefix = "ldk_"
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    static let randomLength = 32
    static let checksumLength = 6

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = String((0..<randomLength).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
        return prefix + random + checksum(random)
    }

    /// Whether the text has a token's shape and a checksum that fits; says nothing of whether the server knows it.
    public static func isWellFormed(_ token: String) -> Bool {
        guard token.hasPrefix(prefix) else { return false }
        let body = Array(token.dropFirst(prefix.count))
        guard body.count == randomLength + checksumLength, body.allSatisfy({ alphabet.contains($0) }) else { return false }
        return checksum(String(body.prefix(randomLength))) == String(body.suffix(checksumLength))
    }

    /// SHA-256 of the whole token, hex: what the backend keeps and looks tokens up by.
    public static func hash(_ token: String) -> String {
        // By hand: String(format:) per byte cost more than the hash itself, on every request's authentication.
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(token.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Compares two hashes in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    static func checksum(_ random: String) -> String {
        let digest = Array(SHA256.hash(data: Data(random.utf8)))
        var value = UInt64(digest[0]) << 24 | UInt64(digest[1]) << 16 | UInt64(digest[2]) << 8 | UInt64(digest[3])
        var characters: [Character] = []
        for _ in 0..<checksumLength {
            characters.append(alphabet[Int(value % UInt64(alphabet.count))])
            value /= UInt64(alphabet.count)
        }
        return String(characters)
    }
}
