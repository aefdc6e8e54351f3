import Foundation
import LaunchModel

/// How an item's progress reads, in one place for the items table, the dashboard's detail and `item describe`.
/// The phase and message come from job output (or srun's): shown inert.
extension ItemProgress {
    /// `run 45/100 epoch 3`; a phase without a count says where the run is by its message (`slurm Slurm job 7 pending`).
    public var summary: String {
        let count = current == 0 && total == nil ? "" : " " + Durations.number(current) + (total.map { "/" + Durations.number($0) } ?? "")
        return TerminalTextSafety.inert("\(phase)\(count) \(message)".trimmingCharacters(in: .whitespaces))
    }

    /// The items table's cell: a bar when the total is known, else the count, or the message when there is none.
    public var cell: String {
        if let fraction {
            return Sparkline.bar(fraction, width: 10) + String(format: "%4d%%", Int(fraction * 100))
        }
        if current == 0, !message.isEmpty { return TerminalTextSafety.inert(message) }
        return TerminalTextSafety.inert("\(phase) \(Durations.number(current))")
    }
}
