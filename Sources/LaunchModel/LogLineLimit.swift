/// How long one stored log line may be. Longer lines are cut, saying how much was cut, so one runaway line cannot
/// fill the store; the agent cuts while reading a job's output, the store again for what reaches it otherwise.
public enum LogLineLimit {
    public static let bytes = 16 * 1024

    /// The marker that ends a cut line.
    public static func marker(cutBytes: Int) -> String { " [cut: \(cutBytes) more bytes]" }

    /// `line` cut to at most `maxBytes` of UTF-8 on a scalar boundary, with the marker. A line already cut to that
    /// length (its text before the marker fits) is left as it is, so cutting twice does not add a second marker.
    public static func cut(_ line: String, maxBytes: Int = bytes) -> String {
        let total = line.utf8.count
        guard total > maxBytes else { return line }
        var earlierCut = 0
        if line.hasSuffix(" more bytes]"), let start = line.range(of: " [cut: ", options: .backwards) {
            let number = line[start.upperBound...].prefix { $0.isNumber }
            if let count = Int(number), line[start.upperBound...].dropFirst(number.count) == " more bytes]" {
                if line[..<start.lowerBound].utf8.count <= maxBytes { return line }
                earlierCut = count
            }
        }
        let body = earlierCut > 0 ? String(line[..<line.range(of: " [cut: ", options: .backwards)!.lowerBound]) : line
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in body.unicodeScalars {
            let width = UTF8.width(scalar)
            if bytes + width > maxBytes { break }
            bytes += width
            kept.append(scalar)
        }
        return String(kept) + marker(cutBytes: body.utf8.count - bytes + earlierCut)
    }
}
