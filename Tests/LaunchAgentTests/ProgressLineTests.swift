import Foundation
@testable import LaunchAgent
import LaunchModel
import TestSupport
import Testing

@Suite struct ProgressLineTests {
    @Test func jobProgressLines() throws {
        let full = try #require(ProgressLine.job("launchdeck:progress 45/100 epoch 3"))
        #expect(full.current == 45 && full.total == 100 && full.message == "epoch 3")
        let bare = try #require(ProgressLine.job("launchdeck:progress 7"))
        #expect(bare.current == 7 && bare.total == nil && bare.message == "")
        #expect(ProgressLine.job("launchdeck:progress x/y") == nil)
        #expect(ProgressLine.job("launchdeck:progress 1/0") == nil)
        #expect(ProgressLine.job("progress 1/2") == nil)
        #expect(ProgressLine.job("launchdeck:progress /") == nil)
        #expect(ProgressLine.job("launchdeck:progress // x") == nil)
        #expect(ProgressLine.job("launchdeck:progress nan/3") == nil)
    }

    /// The progress file's place is the job's to choose: a FIFO or /dev/zero behind it must not hang or flood the agent.
    @Test func theProgressFileIsReadOnlyWhenItIsARegularFile() throws {
        let directory = TestScratch.directory("progress")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let regular = directory.appendingPathComponent("regular")
        try Data("3/10 epoch\n".utf8).write(to: regular)
        #expect(ItemRun.readProgressFile(regular.path) == Data("3/10 epoch\n".utf8))
        let fifo = directory.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect(ItemRun.readProgressFile(fifo.path) == nil)
        let zero = directory.appendingPathComponent("zero")
        try FileManager.default.createSymbolicLink(atPath: zero.path, withDestinationPath: "/dev/zero")
        #expect(ItemRun.readProgressFile(zero.path) == nil)
        let big = directory.appendingPathComponent("big")
        try Data(repeating: UInt8(ascii: "x"), count: 1 << 20).write(to: big)
        #expect(ItemRun.readProgressFile(big.path)?.count == 65_536)
    }

    /// Job output is untrusted: no line, however mangled, may crash the agent that reads it.
    @Test func anyLineIsReadWithoutACrash() {
        let pieces = ["launchdeck:progress ", "STEP ", "Step ", "/", "//", " ", "0", "7", "1e400", "nan", "inf", "-", ".", ":", "x", "\u{0}", "é", "\n"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 * ChaosScale.factor {
            let line = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            if let progress = ProgressLine.job(line) { #expect(progress.current.isFinite) }
            if let step = ProgressLine.buildStep(line) { #expect(step.current.isFinite && step.total > 0) }
        }
    }

    @Test func buildSteps() throws {
        let podman = try #require(ProgressLine.buildStep("STEP 3/7: RUN pip install -r requirements.txt"))
        #expect(podman.current == 3 && podman.total == 7 && podman.message == "RUN pip install -r requirements.txt")
        let docker = try #require(ProgressLine.buildStep("Step 2/4 : COPY . /workspace"))
        #expect(docker.current == 2 && docker.total == 4 && docker.message == "COPY . /workspace")
        #expect(ProgressLine.buildStep("--> 23093bb80cd") == nil)
    }

    @Test func secretValuesAreRedactedFromOutput() {
        let redactor = SecretValueRedactor(environment: ["WANDB_API_KEY": "s3cr3t-value", "SHORT_TOKEN": "abc", "HOME": "/root"])
        #expect(redactor.redact("key is s3cr3t-value, home /root") == "key is [redacted], home /root")
        #expect(redactor.redact("HF_TOKEN=xyz abc") == "HF_TOKEN=[redacted] abc")
    }

    @Test func doorbellKeepsARingThatCameEarly() async {
        let doorbell = Doorbell()
        await doorbell.ring()
        let clock = ContinuousClock()
        let elapsed = await clock.measure { await doorbell.wait(upTo: .seconds(30)) }
        #expect(elapsed < .seconds(5))
    }

    /// A wait ended by a ring leaves nothing behind: the next wait waits (its timer was cancelled, not rung).
    @Test func aRingLeavesNoSpuriousRingForTheNextWait() async throws {
        let doorbell = Doorbell()
        Task {
            try await Task.sleep(for: .milliseconds(20))
            await doorbell.ring()
        }
        await doorbell.wait(upTo: .seconds(30))
        try await Task.sleep(for: .milliseconds(100))
        let elapsed = await ContinuousClock().measure { await doorbell.wait(upTo: .milliseconds(400)) }
        #expect(elapsed >= .milliseconds(350), "the second wait returned at once: a cancelled timer rang")
    }
}

@Suite struct OutputLineSplitterTests {
    func lines(_ chunks: [[UInt8]], maxBytes: Int) -> [String] {
        var splitter = OutputLineSplitter(maxBytes: maxBytes)
        var result: [String] = []
        for chunk in chunks { result += chunk.withUnsafeBytes { splitter.feed($0) } }
        if let last = splitter.finish() { result.append(last) }
        return result
    }

    @Test func linesEndAtNewlinesAndCarriageReturnsAcrossChunks() {
        #expect(lines([Array("one\ntw".utf8), Array("o\r\nthree\rfour".utf8)], maxBytes: 100) == ["one", "two", "four"])
    }

    /// tqdm redraws its bar with `\r`: the log keeps the bar's last state, not one line per redraw.
    @Test func aLineRewrittenWithCarriageReturnsKeepsItsLastState() {
        #expect(lines([Array(" 10%|#   |\r 50%|##  |\r100%|####|\n".utf8)], maxBytes: 100) == ["100%|####|"])
        #expect(lines([Array("a\rb\r".utf8), Array("c\r".utf8)], maxBytes: 100) == ["c"])
        #expect(lines([Array("done\r\n".utf8), Array("next\n".utf8)], maxBytes: 100) == ["done", "next"])
    }

    @Test func aLongLineIsCutOnAScalarBoundaryAndSaysHowMuch() {
        // "é" is two bytes: a cut after 5 bytes keeps two of them whole and drops the half.
        #expect(lines([Array("éééé\n".utf8)], maxBytes: 5) == ["éé" + LogLineLimit.marker(cutBytes: 4)])
        #expect(lines([Array(repeating: UInt8(ascii: "x"), count: 10)], maxBytes: 4) == ["xxxx" + LogLineLimit.marker(cutBytes: 6)])
    }

    @Test func cuttingTwiceAddsNoSecondMarker() {
        let once = LogLineLimit.cut(String(repeating: "y", count: 100), maxBytes: 10)
        #expect(once == "yyyyyyyyyy" + LogLineLimit.marker(cutBytes: 90))
        #expect(LogLineLimit.cut(once, maxBytes: 10) == once)
    }
}
