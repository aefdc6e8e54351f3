import Foundation
import Testing

/// A job that proves nothing of an attempt outlives it: each run starts two helpers that try to outlive it (one
/// ignoring SIGTERM, one a daemon in a session of its own), and before it starts, checks that no process of an
/// earlier attempt of its item is alive: neither its main process nor those helpers. A process is recognised by
/// `LAUNCHDECK_ITEM_ID` in its environment, so a pid reused by another process (pid_max is 32768 here) is no false
/// alarm.
enum TreeRecordingJob {
    static func script(record: URL, seconds: Double) -> String {
        """
        #!/bin/sh
        ours() { [ -r /proc/$1/environ ] && ! grep -q ') Z ' /proc/$1/stat 2>/dev/null && tr '\\0' '\\n' < /proc/$1/environ 2>/dev/null | grep -qx "LAUNCHDECK_ITEM_ID=$LAUNCHDECK_ITEM_ID"; }
        for pid in $(grep "^pid $LAUNCHDECK_ITEM_ID " "\(record.path)" 2>/dev/null | cut -d' ' -f3); do
          if ours "$pid"; then echo "overlap $LAUNCHDECK_ITEM_ID $pid" >> "\(record.path)"; fi
        done
        echo "pid $LAUNCHDECK_ITEM_ID $$" >> "\(record.path)"
        sh -c 'trap "" TERM; exec sleep 600' &
        echo "pid $LAUNCHDECK_ITEM_ID $!" >> "\(record.path)"
        setsid sh -c 'trap "" TERM; exec sleep 601' &
        echo "pid $LAUNCHDECK_ITEM_ID $!" >> "\(record.path)"
        echo "start $LAUNCHDECK_ITEM_ID $LAUNCHDECK_ATTEMPT $$" >> "\(record.path)"
        sleep \(seconds)
        echo "end $LAUNCHDECK_ITEM_ID $$" >> "\(record.path)"
        """
    }

    /// Checks the record: no attempt met a live process of an earlier one, every item finished a run, and, with
    /// `exactlyOnce`, no item finished two (the store never ran a finished job again).
    static func verify(record: URL, items: [String], attempts: [String: Int], exactlyOnce: Bool = false) throws {
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("overlap") }, "\(lines.filter { $0.hasPrefix("overlap") })")
        for id in items {
            let ends = lines.filter { $0.hasPrefix("end \(id) ") }.count
            #expect(ends >= 1, "item \(id) never finished a run")
            if exactlyOnce {
                #expect(ends == 1, "item \(id) finished \(ends) runs")
            } else {
                #expect(ends == 1 || (attempts[id] ?? 1) >= ends, "item \(id) finished \(ends) runs in \(attempts[id] ?? 1) attempts")
            }
        }
    }

    /// Processes of these items still alive (helpers that outlived their attempt).
    static func survivors(record: URL, items: Set<String>) throws -> [String] {
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
        return lines.compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard words.count == 3, words[0] == "pid", items.contains(String(words[1])), let pid = Int32(words[2]) else { return nil }
            guard let environment = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")), processAlive(pid) else { return nil }
            let ours = environment.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "LAUNCHDECK_ITEM_ID=\(words[1])" }
            return ours ? String(line) : nil
        }
    }
}
