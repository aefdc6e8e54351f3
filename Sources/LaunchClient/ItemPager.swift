import AsyncHTTPClient
import Foundation
import LaunchAPI
import LaunchModel

/// Reads a first load's pages one ahead: the request for the next page (its address comes in this page's `Link`
/// header) is on its way while this page is decoded, so the server encodes page n+1 while this client decodes
/// page n. At most one request is ahead; dropping the pager cancels it.
actor ItemPager {
    private let backend: HTTPBackend
    private let limit: Int
    private var ahead: Task<HTTPBackend.Reply, any Error>?
    private var started = false

    init(backend: HTTPBackend, limit: Int) {
        self.backend = backend
        self.limit = limit
    }

    deinit { ahead?.cancel() }

    func next() async throws -> [LaunchItem]? {
        if !started {
            started = true
            ahead = fetch(after: nil)
        }
        guard let current = ahead else { return nil }
        let reply = try await current.value
        ahead = Self.nextAfter(reply.headers.first(name: "Link")).map { fetch(after: $0) }
        let page = try backend.decode([LaunchItem].self, reply.body, of: .itemPage)
        return page.isEmpty ? nil : page
    }

    private func fetch(after id: String?) -> Task<HTTPBackend.Reply, any Error> {
        Task { [backend, limit] in
            try await backend.send(.itemPage, [:], query: ["after": id, "limit": String(limit)], body: nil, extraTime: .zero)
        }
    }

    /// The `after` of a `Link: </api/v1/item-pages?after=ID&limit=N>; rel="next"`; nil on the last page.
    static func nextAfter(_ link: String?) -> String? {
        guard let link, link.contains(#"rel="next""#), let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"),
              open < close else { return nil }
        let target = String(link[link.index(after: open)..<close])
        return URLComponents(string: target)?.queryItems?.first { $0.name == "after" }?.value
    }
}
