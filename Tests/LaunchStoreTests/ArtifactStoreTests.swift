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

    /// A blob damaged on disk is found when it is used, and storing the same content again repairs it.
    @Test func aDamagedBlobFailsClearlyAndIsRepairedByStoringItAgain() throws {
        let store = ArtifactStore(root: TestScratch.directory("artifacts"))
        let tree = try makeTree(["train.py": "print('real')\n"])
        let snapshot = try store.snapshot(directory: tree)
        let blob = try store.blobURL(snapshot.manifest.files[0].digest)
        try Data("print('CORRUPTED')\n".utf8).write(to: blob)
        #expect(throws: ArtifactError.self) { try store.materialize(digest: snapshot.digest, into: TestScratch.directory("out")) }
        _ = try store.snapshot(directory: tree)
        let target = TestScratch.directory("out")
        try store.materialize(digest: snapshot.digest, into: target)
        #expect(try String(contentsOf: target.appendingPathComponent("train.py"), encoding: .utf8) == "print('real')\n")
    }

    /// The digest depends on the content alone: not on the order names are listed in, nor on how a name's accents
    /// are spelled in Unicode; and a snapshot never captures the data directory it is stored in.
    @Test func digestsDependOnContentOnly() throws {
        let store = ArtifactStore(root: TestScratch.directory("artifacts"))
        #if os(Linux)
        // Two names Swift's String holds equal (so no dictionary here), written in either order. (macOS file
        // systems hold them one name.)
        let files = [("caf\u{E9}.py", "a"), ("cafe\u{301}.py", "b")]
        func tree(_ order: [(String, String)]) throws -> URL {
            let root = TestScratch.directory("tree")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            for (name, content) in order { try Data(content.utf8).write(to: root.appendingPathComponent(name)) }
            return root
        }
        let one = try store.snapshot(directory: try tree(files))
        let two = try store.snapshot(directory: try tree(files.reversed()))
        #expect(one.manifest.files.count == 2)
        #expect(one.digest == two.digest)
        #endif

        let home = TestScratch.directory("home")
        let data = home.appendingPathComponent(".local/share/launchdeck", isDirectory: true)
        let inHome = ArtifactStore(root: data.appendingPathComponent("artifacts"))
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data("code".utf8).write(to: home.appendingPathComponent("train.py"))
        let first = try inHome.snapshot(directory: home)
        #expect(first.manifest.files.map(\.path) == ["train.py"])
        #expect(try inHome.snapshot(directory: home).digest == first.digest)
    }

    #if os(Linux)
    /// A file name that is not UTF-8 is named in the error, not reported as missing.
    @Test func aNonUTF8FileNameIsNamed() throws {
        let store = ArtifactStore(root: TestScratch.directory("artifacts"))
        let tree = try makeTree(["ok.py": "x"])
        let bytes: [UInt8] = Array(tree.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".py".utf8) + [0]
        let descriptor = bytes.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        #expect(descriptor >= 0)
        close(descriptor)
        #expect { try store.snapshot(directory: tree) } throws: { error in
            "\(error)".contains("the file name is not UTF-8; rename it")
        }
    }
    #endif

    @Test func notADirectoryIsAClearError() {
        let store = ArtifactStore(root: TestScratch.directory("artifacts"))
        #expect(throws: ArtifactError.self) { try store.snapshot(directory: URL(fileURLWithPath: "/nonexistent/dir")) }
    }
}
