import LaunchModel

/// Where the next page of a first load starts: after the last id read, or nowhere once a short page came.
actor PageCursor {
    struct Position: Sendable { var id: String? }
    private(set) var next: Position? = Position(id: nil)

    func read(_ page: [LaunchItem], limit: Int) {
        next = page.count == limit ? page.last.map { Position(id: $0.id) } : nil
    }
}
