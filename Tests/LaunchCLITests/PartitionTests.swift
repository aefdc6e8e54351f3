import Foundation
import TestSupport
import Testing

/// An agent cut off from the server by the network (a namespace of the test's own, joined to the host by a veth
/// pair whose link the test takes down) while it runs an item: its guard stops the job before the lease can run
/// out, another agent runs the item, and the job's own records show no two attempts at once. Back on the network,
/// the cut-off agent carries on.
extension HostNetworkTests {
@Suite(.serialized) struct PartitionTests {
    static func sh(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func aPartitionedAgentNeverRunsBesideItsSuccessor() async throws {
        guard RequiredComponent.available("network namespaces (root and iproute2)",
                                          probe: ["sh", "-c", "ip netns add ld-probe-$$ && ip netns del ld-probe-$$"]) else { return }
        let suffix = String(UUID().uuidString.prefix(4)).lowercased()
        let namespace = "ld-part-\(suffix)"
        let hostSide = "ldh\(suffix)", innerSide = "ldn\(suffix)"
        let subnet = Int.random(in: 1...250)
        let hostAddress = "10.231.\(subnet).1", innerAddress = "10.231.\(subnet).2"
        #expect(Self.sh("""
            ip netns add \(namespace) && ip link add \(hostSide) type veth peer name \(innerSide) && \
            ip link set \(innerSide) netns \(namespace) && ip addr add \(hostAddress)/30 dev \(hostSide) && ip link set \(hostSide) up && \
            ip netns exec \(namespace) ip addr add \(innerAddress)/30 dev \(innerSide) && \
            ip netns exec \(namespace) ip link set \(innerSide) up && ip netns exec \(namespace) ip link set lo up
            """) == 0)
        defer { _ = Self.sh("ip link del \(hostSide); ip netns del \(namespace)") }

        // On every address: the namespace reaches it over the veth pair, everything else on loopback, which the cut
        // leaves alone.
        let server = try await ServerProcess.start(listen: "0.0.0.0:0")
        defer { server.process.terminate() }
        let workstation = try server.client()
        let record = workstation.home.appendingPathComponent("record")
        _ = try workstation.write("job/run.sh", OverlapRecordingJob.script(record: record, seconds: 12))
        #expect(try await workstation.run("job", "create", "long", "--dir", workstation.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        #expect(try await workstation.run("queue", "create", "q", "--target", "local-process").status == 0)
        let id = try await workstation.enqueueID("long", "--queue", "q")

        // The agent in the namespace, reaching the server only over the veth pair. A short lease: its fence is 3 s.
        let cutOff = try server.client()
        let binary = LaunchdeckProcess.binary.path
        let port = try #require(server.url.split(separator: ":").last)
        let inside = try cutOff.start(["-c", "exec ip netns exec \(namespace) \(binary) agent --queue q --name cut-off --lease-seconds 6 --heartbeat-seconds 0.5 --poll-interval 0.2"],
                                      stdout: cutOff.home.appendingPathComponent("cut-off.out"), stderr: cutOff.home.appendingPathComponent("cut-off.err"),
                                      extraEnvironment: ["LAUNCHDECK_BACKEND": "http://\(hostAddress):\(port)"], executable: "/bin/sh")
        defer { inside.terminate() }
        #expect(try await eventually { try await workstation.state(id) == "running" })
        #expect(await eventually { ((try? String(contentsOf: record, encoding: .utf8)) ?? "").contains("start \(id) 1 ") })

        // Cut: the agent's heartbeats stop reaching the server; its guard must end the job by its own clock.
        #expect(Self.sh("ip netns exec \(namespace) ip link set \(innerSide) down") == 0)
        let rescuer = try workstation.startAgent(queues: ["q"], leaseSeconds: 6, name: "rescuer")
        defer { rescuer.terminate() }
        #expect(try await eventually(timeout: 90) { try await workstation.state(id) == "succeeded" })
        let item = try #require(try await workstation.items()[id])
        #expect(item["attempts"] as? Int == 2, "the item was taken over: \(item)")
        try OverlapRecordingJob.verify(record: record, items: [id], attempts: [id: item["attempts"] as? Int ?? 1])
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("start \(id) 1 ") }.count == 1 && lines.filter { $0.hasPrefix("start \(id) 2 ") }.count == 1, "\(lines)")

        // Back on the network, the cut-off agent heartbeats again and the server sees it live.
        #expect(Self.sh("ip netns exec \(namespace) ip link set \(innerSide) up") == 0)
        #expect(try await eventually(timeout: 30) {
            let agents = try await workstation.json("agent", "list", "-o", "json") as? [[String: Any]] ?? []
            return agents.contains { $0["name"] as? String == "cut-off" && ["idle", "busy"].contains($0["state"] as? String ?? "") }
        })
        #expect(try await workstation.state(id) == "succeeded", "the late report of the lost attempt changed nothing")
    }
}
}
