import Foundation
import Testing

/// A job that proves no item ever runs twice at once: each run checks that no earlier run of its item is alive,
/// records its start, works for a while, and records its end.
enum OverlapRecordingJob {
    static func script(record: URL, seconds: Double) -> String {
        """
        #!/bin/sh
        for pid in $(grep "^start $LAUNCHDECK_ITEM_ID " "\(record.path)" 2>/dev/null | cut -d' ' -f4); do
          if kill -0 "$pid" 2>/dev/null; then echo "overlap $LAUNCHDECK_ITEM_ID $pid" >> "\(record.path)"; fi
        done
        echo "start $LAUNCHDECK_ITEM_ID $LAUNCHDECK_ATTEMPT $$" >> "\(record.path)"
        sleep \(seconds)
        echo "end $LAUNCHDECK_ITEM_ID $$" >> "\(record.path)"
        """
    }

    /// Checks the record: no two runs of an item ever overlapped, and every item's run completed. A run may
    /// complete twice only when its agent was killed between the job's end and its report, so the item was
    /// taken over (its attempts show it): the backend still holds one final state per item.
    static func verify(record: URL, items: [String], attempts: [String: Int]) throws {
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("overlap") }, "\(lines.filter { $0.hasPrefix("overlap") })")
        for id in items {
            let ends = lines.filter { $0.hasPrefix("end \(id) ") }.count
            #expect(ends >= 1, "item \(id) never finished a run")
            #expect(ends == 1 || (attempts[id] ?? 1) >= ends, "item \(id) finished \(ends) runs in \(attempts[id] ?? 1) attempts")
        }
    }
}
