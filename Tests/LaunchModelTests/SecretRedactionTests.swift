import LaunchModel
import Testing

/// What every view shows of values that look secret: the marker, never the value.
@Suite struct SecretRedactionTests {
    @Test func valuesUnderSecretKeysAreHiddenAtAnyDepthButReferencesStay() {
        let value: JSONValue = ["lr": 0.1, "hf_token": "hf_abcdef", "env": ["API_KEY": "k-123456", "HOME": "/root"],
                                "auth": ["user": "me", "pass": "pw"], "WANDB_API_KEY": "{{wandb_key}}"]
        #expect(SecretRedactor.redact(value) == ["lr": 0.1, "hf_token": "[redacted]", "env": ["API_KEY": "[redacted]", "HOME": "/root"],
                                                 "auth": ["user": "[redacted]", "pass": "[redacted]"], "WANDB_API_KEY": "{{wandb_key}}"])
    }

    @Test func secretNamesAreToldByTheirWords() {
        for name in ["WANDB_API_KEY", "hf_token", "HF_TOKEN", "apiKey", "GITHUB_TOKEN", "PGPASSWORD", "client_secret", "accessToken",
                     "AWS_SECRET_ACCESS_KEY", "db-password", "auth", "AUTHORIZATION", "MY_CREDENTIALS", "token", "key", "DB_PASS", "db_pass", "smtpPass"] {
            #expect(SecretRedactor.isSecret(name: name), "\(name)")
        }
        for name in ["tokenizer_name", "max_tokens", "maxTokens", "key_dim", "keypoints", "author", "monkey_patch", "lr", "PATH", "HOME",
                     "KEY_FILE", "num_keys", "PWD", "passes", "two_pass", "forward_pass"] {
            #expect(!SecretRedactor.isSecret(name: name), "\(name)")
        }
    }

    /// A job that prints the server token it was given, or an error that quotes one, shows none of it.
    @Test func launchDeckTokensAreHiddenInText() {
        let token = "ldk_" + String(repeating: "Ab3", count: 12) + "x9"
        #expect(SecretRedactor.redactText("using \(token) now") == "using ldk_[redacted] now")
        #expect(SecretRedactor.redactText("LAUNCHDECK_TOKEN=\(token)").contains(token) == false)
        #expect(SecretRedactor.redactText("the ldk_ prefix marks a token") == "the ldk_ prefix marks a token")
    }

    @Test func urlCredentialsAreHidden() {
        #expect(SecretRedactor.redactURLCredentials(in: "git https://bob:ghp_secret@github.com/org/repo.git@abc")
                == "git https://bob:[redacted]@github.com/org/repo.git@abc")
        #expect(SecretRedactor.redactURLCredentials(in: "git git@github.com:org/repo.git") == "git git@github.com:org/repo.git")
        #expect(SecretRedactor.redactURLCredentials(in: "https://host/a@b") == "https://host/a@b")
        #expect(SecretRedactor.redactURLCredentials(in: "https://ghp_token123@github.com/o/r") == "https://[redacted]@github.com/o/r")
        #expect(SecretRedactor.redactURLCredentials(in: "ssh://git@github.com/o/r") == "ssh://git@github.com/o/r")
        #expect(SecretRedactor.hiddenValues(in: ["url": "https://u:pw-secret@h/x", "lr": 1]) == ["pw-secret"])
    }

    @Test func queueConfigTextKeepsItsCommentsWithSecretsHidden() throws {
        let config = try QueueConfig.parse("""
            variables:
              api_token: {type: string, default: tok-default, description: the token}
              gpus: {type: int, default: 1, min: 0, max: 8}
            resource:
              env:
                WANDB_API_KEY: supersecretvalue   # from the team vault
                HF_TOKEN: "{{api_token}}"
                MODE: offline

            """, target: .localProcess)
        let shown = config.redactedValue
        #expect(shown["resource"]?["env"]?["WANDB_API_KEY"] == "[redacted]")
        #expect(shown["resource"]?["env"]?["HF_TOKEN"] == "{{api_token}}")
        #expect(shown["variables"]?["api_token"]?["default"] == "[redacted]")
        #expect(shown["variables"]?["api_token"]?["type"] == "string")
        #expect(config.redactedText == """
            variables:
              api_token: {type: string, default: [redacted], description: the token}
              gpus: {type: int, default: 1, min: 0, max: 8}
            resource:
              env:
                WANDB_API_KEY: [redacted]
                HF_TOKEN: "{{api_token}}"
                MODE: offline

            """)
        // Flow mappings hide their secret values only; what lines cannot hide (a block scalar) is shown as JSON.
        let flow = try QueueConfig.parse("resource:\n  env: {HF_TOKEN: \"hf,abc\", MODE: offline}\n", target: .localProcess)
        #expect(flow.redactedText == "resource:\n  env: {HF_TOKEN: [redacted], MODE: offline}\n")
        // A `#` inside a flow value would leave part of the secret on the line: the text is not used then.
        let hash = try QueueConfig.parse("resource:\n  env: {DB_PASSWORD: hunter#2024, MODE: x}\n", target: .localProcess)
        #expect(!hash.redactedText.contains("2024") && !hash.redactedText.contains("hunter"), "\(hash.redactedText)")
        let continued = try QueueConfig.parse("resource:\n  env:\n    DB_PASSWORD: first\n      second-part\n", target: .localProcess)
        #expect(!continued.redactedText.contains("second-part"), "\(continued.redactedText)")
        let index = try QueueConfig.parse("resource:\n  env:\n    PIP_INDEX_URL: https://me:pip-secret@pypi.example/simple\n", target: .localProcess)
        #expect(index.redactedText == "resource:\n  env:\n    PIP_INDEX_URL: https://me:[redacted]@pypi.example/simple\n")
        let block = try QueueConfig.parse("# note\nresource:\n  env:\n    HF_TOKEN: |\n      multi-line-secret\n", target: .localProcess)
        #expect(!block.redactedText.contains("multi-line-secret") && block.redactedText.contains("[redacted]"), "\(block.redactedText)")

        let blockStyle = try QueueConfig.parse("""
            # my queue
            resource:
              env:
                WANDB_API_KEY: supersecretvalue   # from the team vault
                MODE: offline

            """, target: .localProcess)
        #expect(blockStyle.redactedText == "# my queue\nresource:\n  env:\n    WANDB_API_KEY: [redacted]\n    MODE: offline\n")
    }

    @Test func aConfigWithoutSecretsIsShownAsWritten() throws {
        let text = "# note\nresource:\n  timeout: 1h\n"
        #expect(try QueueConfig.parse(text, target: .localProcess).redactedText == text)
    }
}
