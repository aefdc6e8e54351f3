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

    /// Checks the record: no overlap, and every item ended exactly once.
    static func verify(record: URL, items: [String]) throws {
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("overlap") }, "\(lines.filter { $0.hasPrefix("overlap") })")
        for id in items {
            let ends = lines.filter { $0.hasPrefix("end \(id) ") }.count
            #expect(ends == 1, "item \(id) finished \(ends) times")
        }
    }
}
