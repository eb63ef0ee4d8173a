/// One client's state message: its own bytes around runs of the frame's shared fragments. The transport
/// sends the parts in order as one WebSocket message, so the shared runs are never copied per client.
struct FrameMessage {
    /// Bytes `range` of the fragment buffer of `kind`.
    struct SharedRun: Equatable {
        var kind: FrameFragments.Kind
        var range: Range<Int>
    }

    /// The start of the message up to and including the ships this client does not share.
    var head: [UInt8]
    var runs: [SharedRun]
    /// The end of the message after the last ship.
    var tail: [UInt8]

    var count: Int { head.count + tail.count + runs.reduce(0) { $0 + $1.range.count } }

    /// Returns the message as one contiguous buffer.
    func joined(_ fragments: FrameFragments) -> [UInt8] {
        var bytes = head
        bytes.reserveCapacity(count)
        for run in runs { bytes.append(contentsOf: fragments.buffers[run.kind.rawValue][run.range]) }
        bytes.append(contentsOf: tail)
        return bytes
    }
}

/// Collects the elements of a state message's `ships` array. Own ships are written here; other ships
/// come as ranks into the shared fragments. Consecutive ranks of one kind join into a run, and a run
/// shorter than `sharedRunMinimumBytes` is copied, because a WebSocket frame per small run costs more
/// than the copy.
struct FrameMessageBuilder {
    static let sharedRunMinimumBytes = 4096

    private struct OpenRun {
        var kind: FrameFragments.Kind
        var first: Int
        var last: Int
    }

    let fragments: FrameFragments
    /// Everything before the first ship, ending with `"ships":[`.
    var head: JSONWriter
    private var own = JSONWriter(capacity: 0)
    private var ownCount = 0
    /// Copied runs, each fragment with its leading comma.
    private var copied: [UInt8] = []
    private var runs: [OpenRun] = []
    private var open: OpenRun?

    init(fragments: FrameFragments, capacity: Int) {
        self.fragments = fragments
        head = JSONWriter(capacity: capacity)
    }

    /// Appends one of the client's own ships, written by `write`.
    mutating func appendOwn(_ write: (inout JSONWriter) -> Void) {
        if ownCount > 0 { own.raw(",") }
        write(&own)
        ownCount += 1
    }

    /// Appends another ship by its rank; ranks must come in ascending order.
    mutating func appendShared(rank: Int, kind: FrameFragments.Kind) {
        if var run = open, run.kind == kind, fragments.isAdjacent(rank, after: run.last) {
            run.last = rank
            open = run
            return
        }
        closeRun()
        open = OpenRun(kind: kind, first: rank, last: rank)
    }

    /// Returns the message, with `tail` after the last ship.
    mutating func finish(tail: [UInt8]) -> FrameMessage {
        closeRun()
        var bytes = head.bytes
        bytes.append(contentsOf: own.bytes)
        var hasElement = ownCount > 0
        if !copied.isEmpty {
            bytes.append(contentsOf: hasElement ? copied[...] : copied.dropFirst())
            hasElement = true
        }
        var shared = runs.map { FrameMessage.SharedRun(kind: $0.kind, range: fragments.range($0.kind, from: $0.first, through: $0.last)) }
        if !hasElement, let first = runs.first {
            // Every fragment starts with a comma, which cannot open the array: copy the first one without it.
            let peeled = fragments.range(first.kind, from: first.first, through: first.first)
            bytes.append(contentsOf: fragments.buffers[first.kind.rawValue][peeled.dropFirst()])
            shared[0].range = peeled.upperBound..<shared[0].range.upperBound
            if shared[0].range.isEmpty { shared.removeFirst() }
        }
        return FrameMessage(head: bytes, runs: shared, tail: tail)
    }

    private mutating func closeRun() {
        guard let run = open else { return }
        open = nil
        let range = fragments.range(run.kind, from: run.first, through: run.last)
        if range.count >= FrameMessageBuilder.sharedRunMinimumBytes {
            runs.append(run)
        } else {
            copied.append(contentsOf: fragments.buffers[run.kind.rawValue][range])
        }
    }
}
