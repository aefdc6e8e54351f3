import Foundation
import TestSupport
import Testing

/// A small tmpfs of the test's own, so a test can fill it or make it read-only without touching the machine's
/// disks. Tests run as root, where file modes cannot make a directory read-only; a mount can.
struct ScratchMount {
    let url: URL

    /// Mounts one under `parent`, or reports why it cannot (skip on a laptop, failure in CI).
    static func make(in parent: URL, size: String) -> ScratchMount? {
        let url = parent.appendingPathComponent("mount-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let mounted = RequiredComponent.available("a tmpfs mount (root with CAP_SYS_ADMIN)",
                                                  probe: ["mount", "-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", url.path])
        return mounted ? ScratchMount(url: url) : nil
    }

    func remount(readOnly: Bool) throws {
        try Self.mount(["-o", "remount,\(readOnly ? "ro" : "rw")", url.path])
    }

    /// Takes all the room that is left, so the next write anywhere on the mount fails with ENOSPC.
    func fill() -> URL {
        let filler = url.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = FileHandle(forWritingAtPath: filler.path)!
        defer { try? handle.close() }
        let chunk = Data(count: 4096)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        return filler
    }

    func unmount() {
        _ = try? Self.run(["umount", "-l", url.path])
    }

    private static func mount(_ arguments: [String]) throws {
        guard try run(["mount"] + arguments) == 0 else { throw LaunchdeckProcess.Failure(message: "mount \(arguments) failed") }
    }

    private static func run(_ argv: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A data directory that cannot be written (read-only mount, full disk): the CLI and the dashboard say so in one
/// line, change nothing, keep showing what is there, and everything is intact once the disk is back.
@Suite(.serialized) struct DataDirectoryFailureTests {
    /// What a user has before the disk goes bad: a queue, a job and three items (their JSON, and the first one's id).
    private func populated(_ mount: ScratchMount, cli base: LaunchdeckProcess) async throws -> (LaunchdeckProcess, items: String, firstID: String) {
        var cli = base
        cli.environment["LAUNCHDECK_HOME"] = mount.url.appendingPathComponent("data").path
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        #expect(try await cli.run("job", "create", "j", "--image", "busybox", "--entrypoint", "true").status == 0)
        for _ in 0..<3 { _ = try await cli.enqueueID("j", "--queue", "q") }
        let items = try await cli.run("items", "--queue", "q", "--output", "json").stdout
        let first = try #require((try JSONSerialization.jsonObject(with: Data(items.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        return (cli, items, first)
    }

    /// The dashboard on the test's data directory in a tmux of its own, or nil (with a skip or CI failure) without tmux.
    private func dashboard(_ cli: LaunchdeckProcess, width: Int) -> DashboardEndToEndTests.Tmux? {
        guard RequiredComponent.available("tmux", probe: ["tmux", "-V"]) else { return nil }
        let tmux = DashboardEndToEndTests.Tmux()
        tmux.run(["new-session", "-d", "-s", "deck", "-x", String(width), "-y", "30",
                  "env LAUNCHDECK_HOME='\(cli.environment["LAUNCHDECK_HOME"]!)' '\(LaunchdeckProcess.binary.path)'; sleep 60"])
        return tmux
    }

    private func expectOneLineFailure(_ result: LaunchdeckProcess.Result, mentioning words: [String], _ what: String) {
        #expect(result.status == 1, "\(what): exit \(result.status) \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(what): \(result.stderr)")
        for word in words { #expect(result.stderr.contains(word), "\(what): \(result.stderr)") }
    }

    private func expectIntactAndWritable(_ cli: LaunchdeckProcess, items: String) async throws {
        #expect(try await cli.run("items", "--queue", "q", "--output", "json").stdout == items, "nothing was lost or half-written")
        let check = try await cli.run("debug", "integrity-check")
        #expect(check.status == 0 && check.stdout == "ok\n", "\(check.stdout) \(check.stderr)")
        #expect(try await cli.run("enqueue", "j", "--queue", "q").status == 0, "writable again once the disk is back")
    }

    @Test func aReadOnlyDataDirectoryIsShownAndNeverChanged() async throws {
        let base = try LaunchdeckProcess()
        guard let mount = ScratchMount.make(in: base.home, size: "16m") else { return }
        defer { mount.unmount() }
        let (cli, items, id) = try await populated(mount, cli: base)
        try mount.remount(readOnly: true)

        for arguments in [["enqueue", "j", "--queue", "q"], ["job", "create", "k", "--image", "x", "--entrypoint", "true"],
                          ["job", "create", "d", "--dir", base.home.path, "--entrypoint", "true"], ["queue", "pause", "q"],
                          ["relaunch", id], ["cancel", id], ["agent", "--queue", "q"]] {
            expectOneLineFailure(try await cli.run(arguments), mentioning: ["read-only file system"], arguments.joined(separator: " "))
        }
        let listed = try await cli.run("items", "--queue", "q", "--output", "json")
        #expect(listed.status == 0 && listed.stdout == items, "reads still work: \(listed.stderr)")
        let once = try await cli.run("--once")
        #expect(once.status == 0 && once.stdout.contains("Items of q (3)"), "\(once.stdout) \(once.stderr)")

        if let tmux = dashboard(cli, width: 140) {
            defer { tmux.kill() }
            #expect(await tmux.waitFor("[read-only]"), "\(tmux.screen)")
            #expect(await tmux.waitFor("read-only file system"), "\(tmux.screen)")
            #expect(await tmux.waitFor("Items of q (3)"), "\(tmux.screen)")
            tmux.keys("n")
            #expect(await tmux.waitFor("read-only: n is not available"), "\(tmux.screen)")
            tmux.keys("q")
        }

        try mount.remount(readOnly: false)
        try await expectIntactAndWritable(cli, items: items)
    }

    @Test func aFullDiskIsReportedAndLosesNothing() async throws {
        let base = try LaunchdeckProcess()
        guard let mount = ScratchMount.make(in: base.home, size: "4m") else { return }
        defer { mount.unmount() }
        let (cli, items, id) = try await populated(mount, cli: base)
        let filler = mount.fill()

        _ = try base.write("job/data.bin", String(repeating: "x", count: 200_000))
        let editor = try base.write("editor.sh", "#!/bin/sh\nprintf 'resource:\\n  timeout: 2h\\n' > \"$1\"\n", executable: true)
        for arguments in [["enqueue", "j", "--queue", "q"], ["job", "create", "k", "--image", "x", "--entrypoint", "true"],
                          ["job", "create", "d", "--dir", base.home.appendingPathComponent("job").path, "--entrypoint", "true"],
                          ["queue", "pause", "q"], ["relaunch", id]] {
            expectOneLineFailure(try await cli.run(arguments), mentioning: ["disk full", "nothing was changed"], arguments.joined(separator: " "))
        }
        // A valid edit that cannot be stored is kept where the user can find it.
        let edit = try await cli.run(["queue", "edit", "q"], environment: ["EDITOR": editor.path, "VISUAL": ""])
        expectOneLineFailure(edit, mentioning: ["not saved: disk full", "your text is kept in"], "queue edit")
        if let kept = edit.stderr.components(separatedBy: "your text is kept in ").last?.trimmingCharacters(in: .whitespacesAndNewlines) {
            #expect((try? String(contentsOfFile: kept, encoding: .utf8))?.hasSuffix("resource:\n  timeout: 2h\n") == true)
        }
        let listed = try await cli.run("items", "--queue", "q", "--output", "json")
        #expect(listed.status == 0 && listed.stdout == items, "reads still work on a full disk: \(listed.stderr)")

        // A dashboard opened on the full disk shows what is there and why nothing can change. (One already open
        // when the disk fills may still write into WAL space it holds, so the failure is not certain there.)
        if let tmux = dashboard(cli, width: 160) {
            defer { tmux.kill() }
            #expect(await tmux.waitFor("Items of q (3)"), "\(tmux.screen)")
            #expect(await tmux.waitFor("[read-only]"), "\(tmux.screen)")
            #expect(await tmux.waitFor("disk full: no space left"), "\(tmux.screen)")
            tmux.keys("q")
        }

        try FileManager.default.removeItem(at: filler)
        try await expectIntactAndWritable(cli, items: items)
    }
}
