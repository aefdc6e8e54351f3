import Foundation
import LaunchStore
import Testing
import TestSupport

@Suite struct ArtifactStoreTests {
    func makeTree(_ files: [String: String], executable: Set<String> = []) throws -> URL {
        let root = TestScratch.directory("tree")
        for (path, content) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
            if executable.contains(path) { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
        }
        return root
    }

    func blobCount(_ store: ArtifactStore) throws -> Int {
        let blobs = store.root.appendingPathComponent("blobs/sha256")
        guard let enumerator = FileManager.default.enumerator(atPath: blobs.path) else { return 0 }
        return enumerator.compactMap { $0 as? String }.filter { $0.count == 67 }.count
    }

    @Test func identicalFilesAreStoredOnce() throws {
        let store = ArtifactStore(root: TestScratch.directory("artifacts"))
        let a = try makeTree(["train.py": "print(1)\n", "lib/util.py": "x = 1\n", "copy.py": "x = 1\n", ".git/HEAD": "ref"])
        let b = try makeTree(["train.py": "print(2)\n", "lib/util.py": "x = 1\n"])
        let first = try store.snapshot(directory: a)
        #expect(first.manifest.files.map(\.path) == ["copy.py", "lib/util.py", "train.py"])
        // Two distinct contents plus one manifest.
        #expect(try blobCount(store) == 3)
        let again = try store.snapshot(directory: a)
        #expect(again.digest == first.digest)
        #expect(try blobCount(store) == 3)
        let second = try store.snapshot(directory: b)
        #expect(second.digest != first.digest)
        // One new file content and one new manifest; util.py is shared.
        #expect(try blobCount(store) == 5)
    }

    @Test func materializeRestoresFilesAndModes() throws {
        let store = ArtifactStore(root: TestScratch.directory("artifacts"))
        let tree = try makeTree(["run.sh": "#!/bin/sh\necho hi\n", "data/a.txt": "a"], executable: ["run.sh"])
        let snapshot = try store.snapshot(directory: tree)
        let target = TestScratch.directory("out")
        try store.materialize(digest: snapshot.digest, into: target)
        #expect(try String(contentsOf: target.appendingPathComponent("run.sh"), encoding: .utf8) == "#!/bin/sh\necho hi\n")
        #expect(FileManager.default.isExecutableFile(atPath: target.appendingPathComponent("run.sh").path))
        #expect(!FileManager.default.isExecutableFile(atPath: target.appendingPathComponent("data/a.txt").path))
    }

    @Test func notADirectoryIsAClearError() {
        let store = ArtifactStore(root: TestScratch.directory("artifacts"))
        #expect(throws: ArtifactError.self) { try store.snapshot(directory: URL(fileURLWithPath: "/nonexistent/dir")) }
    }
}
