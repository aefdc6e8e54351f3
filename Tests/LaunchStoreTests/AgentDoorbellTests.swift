import Foundation
import LaunchStore
import Testing
import TestSupport

@Suite struct AgentDoorbellTests {
    /// A bound datagram socket at `path`, as an agent's wake socket; close it to leave what a SIGKILLed agent leaves.
    func bound(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = try #require(UnixSocketAddress.make(path))
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(result == 0)
        return descriptor
    }

    @Test func ringingWakesLiveAgentsAndClearsTheSocketsOfGoneOnes() throws {
        let root = TestScratch.directory("doorbell")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let runtime = RuntimeDirectory(url: root)
        let live = try bound(runtime.wakeSocket(agent: "LIVE").path)
        defer { close(live) }
        close(try bound(runtime.wakeSocket(agent: "GONE").path))
        _ = FileManager.default.createFile(atPath: runtime.statusSocket(agent: "GONE").path, contents: nil)

        AgentDoorbell(runtime: runtime).ring()

        var byte: UInt8 = 0
        #expect(recv(live, &byte, 1, Int32(MSG_DONTWAIT)) == 1, "the live agent was rung")
        #expect(runtime.sockets(suffix: ".wake").map(\.lastPathComponent) == ["LIVE.wake"])
        #expect(!FileManager.default.fileExists(atPath: runtime.statusSocket(agent: "GONE").path))
    }
}
