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

/// A collector of one client's visible ships for `StateEncoder`: its own ships as JSON, and the others
/// by rank, with static fields for ranks of kind `withStatic`.
protocol ShipListBuilder {
    /// Appends one of the client's own ships, written by `write`, before any other ship.
    mutating func appendOwn(_ write: (inout JSONWriter) -> Void)
    /// Appends another ship by its rank. Ranks come in ascending order.
    mutating func appendShared(rank: Int, kind: FrameFragments.Kind)
    /// Appends every rank after the last one appended up to `rank`, with the kind of the open run.
    mutating func extendOpenRun(to rank: Int)
    /// The kind of the run being extended, or nil when none is open.
    var openRunKind: FrameFragments.Kind? { get }
}

/// Collects the elements of a state message's `ships` array. Own ships are written here; other ships
/// come as ranks into the shared fragments. Consecutive ranks of one kind join into a run, and a run
/// shorter than `sharedRunMinimumBytes` is copied, because a WebSocket frame per small run costs more
/// than the copy. The message lists own ships first, then the copied runs, then the shared runs.
struct FrameMessageBuilder: ShipListBuilder {
    static let sharedRunMinimumBytes = 4096

    let fragments: FrameFragments
    /// The head so far: everything up to `"ships":[`, own ships, then copied runs.
    private var head: JSONWriter
    private var hasElement = false
    private var runs: [FrameMessage.SharedRun] = []
    /// Rank of the first fragment of `runs[0]`.
    private var firstSharedRank = 0
    /// The run being extended, when `hasOpenRun`.
    private var hasOpenRun = false
    private var openKind = FrameFragments.Kind.dynamic
    private var openFirst = 0
    private var openLast = 0

    /// Starts a message with `head`, the bytes up to and including `"ships":[`, in a buffer of
    /// `capacity` bytes.
    init(fragments: FrameFragments, head: [UInt8], capacity: Int) {
        self.fragments = fragments
        self.head = JSONWriter(capacity: max(capacity, head.count))
        self.head.raw(head)
    }

    /// Appends one of the client's own ships, written by `write`. Every own ship must come before the
    /// first `appendShared`.
    mutating func appendOwn(_ write: (inout JSONWriter) -> Void) {
        assert(runs.isEmpty, "own ships lead the ships array")
        assert(!hasOpenRun, "own ships lead the ships array")
        if hasElement { head.bytes.append(UInt8(ascii: ",")) }
        write(&head)
        hasElement = true
    }

    /// Appends another ship by its rank; ranks must come in ascending order.
    @inline(__always)
    mutating func appendShared(rank: Int, kind: FrameFragments.Kind) {
        if hasOpenRun && openKind == kind && fragments.isAdjacent(rank, after: openLast) {
            openLast = rank
            return
        }
        closeRun()
        hasOpenRun = true
        openKind = kind
        openFirst = rank
        openLast = rank
    }

    /// Extends the open run through the fragment of `rank`, all ranks from the run's end up to `rank`
    /// being needed. Needed consecutive ranks have adjacent fragments, so this skips the checks of
    /// `appendShared`.
    @inline(__always)
    mutating func extendOpenRun(to rank: Int) {
        assert(hasOpenRun)
        assert(openLast < rank)
        assert((openLast + 1...rank).allSatisfy { fragments.isAdjacent($0, after: $0 - 1) })
        openLast = rank
    }

    /// The kind of the run being extended, or nil when none is open.
    var openRunKind: FrameFragments.Kind? { hasOpenRun ? openKind : nil }

    /// Returns the message, with `tail` after the last ship.
    mutating func finish(tail: [UInt8]) -> FrameMessage {
        closeRun()
        if !hasElement, let first = runs.first {
            // Every fragment starts with a comma, which cannot open the array: copy the first one without it.
            let peeled = fragments.range(first.kind, from: firstSharedRank, through: firstSharedRank)
            head.bytes.append(contentsOf: fragments.buffers[first.kind.rawValue][peeled.dropFirst()])
            runs[0].range = peeled.upperBound..<first.range.upperBound
            if runs[0].range.isEmpty { runs.removeFirst() }
        }
        return FrameMessage(head: head.bytes, runs: runs, tail: tail)
    }

    private mutating func closeRun() {
        guard hasOpenRun else { return }
        hasOpenRun = false
        let range = fragments.range(openKind, from: openFirst, through: openLast)
        if range.count >= FrameMessageBuilder.sharedRunMinimumBytes {
            if runs.isEmpty { firstSharedRank = openFirst }
            runs.append(FrameMessage.SharedRun(kind: openKind, range: range))
        } else {
            // A copied run joins the head; the first element of the array goes without its comma.
            head.bytes.append(contentsOf: fragments.buffers[openKind.rawValue][hasElement ? range : range.dropFirst()])
            hasElement = true
        }
    }
}
