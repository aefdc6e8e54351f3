import LaunchModel

/// Splits a job's output into lines as it arrives, however long a line is: the pipe is always drained, so a job
/// writing a 5 MiB line (or 3 MiB and no newline at all) never blocks on a full pipe and never holds its slot. A line
/// longer than `maxBytes` keeps its first `maxBytes` and says how much was cut (`LogLineLimit`). Lines end at `\n` or
/// `\r\n`; a lone `\r` rewrites the line (a tqdm progress bar), which is kept as its last state, not once per redraw.
struct OutputLineSplitter {
    let maxBytes: Int
    private var pending: [UInt8] = []
    private var cutBytes = 0
    private var afterCarriageReturn = false
    /// What the line said before its last `\r`: kept if nothing follows it (`100%\r` then EOF or `\n`).
    private var rewritten: (bytes: [UInt8], cut: Int)?

    init(maxBytes: Int = LogLineLimit.bytes) {
        self.maxBytes = maxBytes
    }

    /// The lines completed by `bytes`.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if afterCarriageReturn {
                afterCarriageReturn = false
                // `\r\n` ends the line as it stood before the `\r`.
                if byte == UInt8(ascii: "\n") {
                    if pending.isEmpty && cutBytes == 0, let previous = rewritten { (pending, cutBytes) = previous }
                    lines.append(takeLine())
                    continue
                }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                lines.append(takeLine())
            case UInt8(ascii: "\r"):
                afterCarriageReturn = true
                if !pending.isEmpty || cutBytes > 0 { rewritten = (pending, cutBytes) }
                pending.removeAll(keepingCapacity: true)
                cutBytes = 0
            default:
                if pending.count < maxBytes { pending.append(byte) } else { cutBytes += 1 }
            }
        }
        return lines
    }

    /// The last line, when the output ended without a newline.
    mutating func finish() -> String? {
        if pending.isEmpty && cutBytes == 0, let previous = rewritten { (pending, cutBytes) = previous }
        return pending.isEmpty && cutBytes == 0 ? nil : takeLine()
    }

    private mutating func takeLine() -> String {
        var kept = pending[...]
        var cut = cutBytes
        if cut > 0, !kept.isEmpty {
            // End on a whole UTF-8 scalar: find where the last one starts, and drop it if it was cut short.
            var start = kept.endIndex - 1
            while start > kept.startIndex, kept[start] & 0xC0 == 0x80, kept.endIndex - start < 4 { start -= 1 }
            if Self.sequenceLength(kept[start]) > kept.endIndex - start {
                cut += kept.endIndex - start
                kept = kept[..<start]
            }
        }
        let text = String(decoding: kept, as: UTF8.self) + (cut > 0 ? LogLineLimit.marker(cutBytes: cut) : "")
        pending.removeAll(keepingCapacity: true)
        cutBytes = 0
        rewritten = nil
        return text
    }

    private static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}
