import Foundation
import LaunchModel
import Testing

@Suite struct SmallRulesTests {
    @Test func argvSplittingFollowsShellQuotingWithoutAShell() throws {
        #expect(try ArgvSplitter.split("python train.py --epochs 3") == ["python", "train.py", "--epochs", "3"])
        #expect(try ArgvSplitter.split(#"sh -c 'echo $HOME; rm -rf /' "a \"b\"" c\ d"#) == ["sh", "-c", "echo $HOME; rm -rf /", "a \"b\"", "c d"])
        #expect(try ArgvSplitter.split("  ") == [])
        #expect(try ArgvSplitter.split("x ''") == ["x", ""])
        #expect(throws: LaunchError.self) { try ArgvSplitter.split("echo 'open") }
    }

    @Test func timeLimitsAreReadAndCappedNeverTrap() {
        #expect(TimeLimit.parse("90s") == .seconds(90))
        #expect(TimeLimit.parse("30m") == .seconds(1800))
        #expect(TimeLimit.parse("2h") == .seconds(7200))
        #expect(TimeLimit.parse("1d") == .seconds(86_400))
        #expect(TimeLimit.parse("45") == .seconds(45))
        // Valid by the config schema's pattern, far past what Duration holds: taken as the cap, not a crash.
        #expect(TimeLimit.parse("99999999999999999999d") == .seconds(TimeLimit.maximumSeconds))
        #expect(TimeLimit.parse("1e300") == .seconds(TimeLimit.maximumSeconds))
        for bad in ["", "d", "soon", "-1s", "nan", "inf", "1x"] { #expect(TimeLimit.parse(bad) == nil, "\(bad)") }
    }

    @Test func jobReferences() throws {
        #expect(try JobReference(parsing: "train") == JobReference(name: "train", version: nil))
        #expect(try JobReference(parsing: "train:latest").version == nil)
        #expect(try JobReference(parsing: "train:v3").version == 3)
        #expect(try JobReference(parsing: "train:3").version == 3)
        #expect(throws: LaunchError.self) { try JobReference(parsing: "train:v0") }
        #expect(throws: LaunchError.self) { try JobReference(parsing: "../etc:v1") }
    }

    @Test(arguments: ["gpu", "a", "team.gpu-a_1", String(repeating: "a", count: 63)])
    func goodQueueNames(_ name: String) throws {
        try Names.validateQueueName(name)
    }

    @Test(arguments: ["", "GPU", "-x", ".x", "a/b", "a b", "a;rm", "$(x)", "a\u{1b}[2J", String(repeating: "a", count: 64)])
    func badQueueNames(_ name: String) {
        #expect(throws: LaunchError.self) { try Names.validateQueueName(name) }
    }

    @Test func itemIDsSortByTimeAndAreUnique() {
        let early = ItemID.make(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = ItemID.make(at: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(early < late)
        #expect(early.count == 26)
        let many = Set((0..<10_000).map { _ in ItemID.make() })
        #expect(many.count == 10_000)
    }

    @Test func secretsAreRedacted() {
        let redacted = SecretRedactor.redact(["WANDB_API_KEY": "abc", "HF_TOKEN": "t", "DB_PASSWORD": "p", "PATH": "/bin"])
        #expect(redacted == ["WANDB_API_KEY": "[redacted]", "HF_TOKEN": "[redacted]", "DB_PASSWORD": "[redacted]", "PATH": "/bin"])
        #expect(SecretRedactor.redactAssignments(in: "run --api_key=abc MY_SECRET=x lr=0.1") == "run --api_key=[redacted] MY_SECRET=[redacted] lr=0.1")
        #expect(AgentEnvironment(environmentVariables: ["AWS_SECRET_ACCESS_KEY": "s"]).environmentVariables["AWS_SECRET_ACCESS_KEY"] == "[redacted]")
    }

    @Test func literalsKeepTheirType() {
        #expect(JSONValue.parseLiteral("3") == .int(3))
        #expect(JSONValue.parseLiteral("0.5") == .double(0.5))
        #expect(JSONValue.parseLiteral("true") == .bool(true))
        #expect(JSONValue.parseLiteral("resnet") == .string("resnet"))
        #expect(JSONValue.parseLiteral("[1,2]") == .array([1, 2]))
        #expect(JSONValue.parseLiteral("nan") == .string("nan"))
    }

    @Test func equalJobContentHasEqualDigest() {
        let a = JobSpec(source: .image(reference: "busybox:1"), entrypoint: ["true"], hyperparameters: ["a": 1, "b": 2])
        var b = JobSpec(source: .image(reference: "busybox:1"), entrypoint: ["true"], hyperparameters: ["b": 2, "a": 1])
        #expect(a.digest == b.digest)
        b.datasetVersion = "mnist:v3"
        #expect(a.digest != b.digest)
    }

    @Test func jobSpecsAreValidated() {
        let bad = JobSpec(source: .git(url: "--upload-pack=x", commit: "zz"), entrypoint: [],
                          dependencies: JobDependencies(baseImage: "-it"), datasetVersion: "a b")
        #expect {
            try bad.validate()
        } throws: { error in
            Set((error as? ValidationFailure)?.issues.map(\.path) ?? []) == ["entrypoint", "source.git", "source.commit", "dependencies.base_image", "dataset"]
        }
    }
}

@Suite struct ItemIDOrderTests {
    @Test func idsMadeInOneMillisecondSortInTheOrderMade() {
        let now = Date()
        let ids = (0..<5000).map { _ in ItemID.make(at: now) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 26 })
        #expect(ItemID.make(at: now.addingTimeInterval(-5)) > ids.last!, "a clock stepping back never breaks the order")
    }
}
