import LaunchModel

/// A queue's items in enqueue order, stored in fixed-size chunks. Snapshots share the chunks with the state
/// store, so when one item changes only its chunk is copied, not the whole queue: with 100,000 items a refresh
/// copies a few hundred kilobytes instead of tens of megabytes, and memory holds one copy of the queue, not two.
public struct ItemList: RandomAccessCollection, Sendable {
    static let chunkSize = 1024
    private var chunks: [[LaunchItem]] = []
    public private(set) var count = 0

    public init() {}

    public init<S: Sequence>(_ items: S) where S.Element == LaunchItem {
        for item in items { append(item) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> LaunchItem {
        get { chunks[index / Self.chunkSize][index % Self.chunkSize] }
        set { chunks[index / Self.chunkSize][index % Self.chunkSize] = newValue }
    }

    /// Where the item with this id sits, by binary search: the state store keeps every list in id order.
    public func index(ofID id: String) -> Int? {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            let found = self[middle].id
            if found == id { return middle }
            if found < id { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    public mutating func append(_ item: LaunchItem) {
        if count % Self.chunkSize == 0 {
            var chunk: [LaunchItem] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(item)
        count += 1
    }
}
