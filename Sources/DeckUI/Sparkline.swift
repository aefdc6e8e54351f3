/// Small graphs made of block characters: queue throughput per minute.
public enum Sparkline {
    public static let minutes = 20
    static let blocks = Array("▁▂▃▄▅▆▇█")

    public static func render(_ values: [Int]) -> String {
        guard let peak = values.max(), peak > 0 else { return String(repeating: " ", count: values.count) }
        return String(values.map { value in
            value == 0 ? " " : blocks[min(blocks.count - 1, value * (blocks.count - 1) / peak)]
        })
    }

    /// A progress bar `[#####-----] 50%` of a given width.
    public static func bar(_ fraction: Double, width: Int) -> String {
        let inner = max(1, width - 2)
        let filled = Int((min(1, max(0, fraction)) * Double(inner)).rounded())
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: inner - filled) + "]"
    }
}
