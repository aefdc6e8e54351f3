import Foundation

/// The OpenAPI 3.1 document of the API (`openapi.json`, beside this file in the repository), read once.
enum OpenAPIDocument {
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            return #"{"openapi": "3.1.0", "info": {"title": "LaunchDeck", "version": "1", "description": "openapi.json is missing from this build"}, "paths": {}}"#
        }
        return text
    }()
}
