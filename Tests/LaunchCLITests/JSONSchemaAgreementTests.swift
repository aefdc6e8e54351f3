import Foundation
import TestSupport
import Testing

/// The printed JSON Schema and the validator come from one definition; an independent JSON Schema
/// implementation (Python's jsonschema) must agree with the validator on valid and invalid documents.
@Suite struct JSONSchemaAgreementTests {
    static let check = """
        import json, sys, yaml, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        for path, expected in zip(sys.argv[2::2], sys.argv[3::2]):
            errors = list(validator.iter_errors(yaml.safe_load(open(path)) or {}))
            if (not errors) != (expected == "valid"):
                print(f"{path}: expected {expected}, jsonschema found {[e.message for e in errors]}")
                sys.exit(1)
        """

    @Test func pythonJSONSchemaAgreesWithTheValidator() async throws {
        guard RequiredComponent.available("python3 with jsonschema and PyYAML", probe: ["python3", "-c", "import jsonschema, yaml"]) else { return }
        let cli = try LaunchdeckProcess()
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/queue-config.md")
        let markdown = try String(contentsOf: docs, encoding: .utf8)
        let invalid: [String: [String]] = [
            "local-process": ["resource:\n  timeout: soon\n", "resource:\n  nope: 1\n", "max_attempts: 0\n"],
            "container": ["resource:\n  gpus: 9\n", "resource:\n  network: wifi\n", "resource:\n  run_args: [1]\n"],
            "slurm": ["resource:\n  time_limit: forever\n", "resource:\n  nodes: 0\n", "variables:\n  x: {min: 1}\n"],
            "kubernetes": ["resource:\n  namespace: Bad_NS\n", "resource:\n  job_spec: []\n", "resource:\n  gpus: \"{{gpus\"\n"],
        ]
        let script = try cli.write("check.py", Self.check)
        for target in ["local-process", "container", "slurm", "kubernetes"] {
            let schema = try await cli.run("queue", "schema", "--target", target)
            let schemaFile = try cli.write("\(target).schema.json", schema.stdout)
            var arguments = ["python3", script.path, schemaFile.path]
            let example = try #require(markdown.components(separatedBy: "```yaml target=\(target)\n").dropFirst().first?
                .components(separatedBy: "```").first)
            arguments += [try cli.write("\(target)-valid.yaml", example).path, "valid"]
            for (index, text) in invalid[target, default: []].enumerated() {
                let file = try cli.write("\(target)-invalid-\(index).yaml", text)
                let ours = try await cli.run("queue", "create", "q\(index)-\(target)", "--target", target, "--config", file.path)
                #expect(ours.status == 2, "our validator accepted \(text)")
                arguments += [file.path, "invalid"]
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(target): \(text)")
        }
    }
}
