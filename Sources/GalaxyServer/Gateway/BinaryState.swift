/// Binary state messages (docs/protocol.md, "Binary state"): a length-prefixed JSON head with the
/// frame's fields, the client's own ships and the static fields of ships new to it, then one fixed-size
/// record per other visible ship. A record takes 72 bytes where its JSON takes about 200, and the
/// fan-out's cost grows with the bytes sent (BENCHMARKS.md).

/// Every ship's motion record of one frame, by rank, written once for all clients that take binary
/// state. Rank r's record starts at byte `r * recordBytes`, so the records of consecutive ranks form one
/// run that many clients' messages can share. The static fields of the needed ranks are written once
/// too, as JSON objects that each client's head copies.
struct ShipRecords: Sendable {
    /// Bytes of a record: u64 id, f64 position x y z (m, ICRF barycentric at the frame's time), f64
    /// velocity x y z (m/s), and the f32 attitude quaternion, scalar first. All are little-endian.
    static let recordBytes = 72

    let bytes: [UInt8]
    /// `,{"id":…,"name":…,"kind":…,"owner":…}` of every needed rank, in rank order.
    let statics: [UInt8]
    /// Offsets in `statics` where each needed rank's entry starts and ends.
    private let staticStarts: [Int]
    private let staticEnds: [Int]

    init(index: FrameIndex, needed: [Bool]) {
        let count = index.shipAtRank.count
        var statics = JSONWriter(capacity: needed.count * 64)
        var starts = [Int](repeating: 0, count: count)
        var ends = starts
        for rank in 0..<count where needed[rank] {
            starts[rank] = statics.bytes.count
            statics.bytes.append(UInt8(ascii: ","))
            StateEncoder.writeIdentity(index.ship(atRank: rank), &statics, includeStatic: true)
            statics.bytes.append(UInt8(ascii: "}"))
            ends[rank] = statics.bytes.count
        }
        (self.statics, staticStarts, staticEnds) = (statics.bytes, starts, ends)
        bytes = [UInt8](unsafeUninitializedCapacity: count * ShipRecords.recordBytes) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for rank in 0..<count {
                ShipRecords.write(index.ship(atRank: rank), into: UnsafeMutableRawBufferPointer(rebasing: raw[(rank * ShipRecords.recordBytes)...]))
            }
            initialized = count * ShipRecords.recordBytes
        }
    }

    static func write(_ ship: ShipSnapshot, into out: UnsafeMutableRawBufferPointer) {
        out.storeBytes(of: ship.id.littleEndian, toByteOffset: 0, as: UInt64.self)
        for axis in 0..<3 {
            out.storeBytes(of: ship.position[axis].bitPattern.littleEndian, toByteOffset: 8 + 8 * axis, as: UInt64.self)
            out.storeBytes(of: ship.velocity[axis].bitPattern.littleEndian, toByteOffset: 32 + 8 * axis, as: UInt64.self)
        }
        for lane in 0..<4 {
            out.storeBytes(of: Float(ship.attitude[lane]).bitPattern.littleEndian, toByteOffset: 56 + 4 * lane, as: UInt32.self)
        }
    }

    /// Byte range in `statics` of the entries of ranks `first...last`, leading comma included. Every rank
    /// in between must be needed.
    func staticRange(from first: Int, through last: Int) -> Range<Int> { staticStarts[first]..<staticEnds[last] }

    /// Byte range of the records of ranks `first...last`.
    static func range(from first: Int, through last: Int) -> Range<Int> {
        (first * recordBytes)..<((last + 1) * recordBytes)
    }
}

/// One client's binary state message: its own bytes (the JSON head, the record count and the records
/// copied from short runs), then runs of the frame's shared records.
struct BinaryStateMessage {
    var head: [UInt8]
    var runs: [Range<Int>]

    var count: Int { head.count + runs.reduce(0) { $0 + $1.count } }

    func joined(_ records: ShipRecords) -> [UInt8] {
        var bytes = head
        for run in runs { bytes.append(contentsOf: records.bytes[run]) }
        return bytes
    }
}

/// Collects a binary state message the way `FrameMessageBuilder` collects a JSON one.
struct BinaryStateBuilder: ShipListBuilder {
    /// A run of fewer records is copied into the message, since a `sendmsg` part per short run costs more.
    static let sharedRunMinimumBytes = 4096

    /// The message's JSON up to and including `"ships":[`.
    private let stateHead: [UInt8]
    private let records: ShipRecords
    private var own = JSONWriter(capacity: 2048)
    private var statics = JSONWriter(capacity: 256)
    private var copied: [UInt8] = []
    private var runs: [Range<Int>] = []
    private var recordCount = 0
    private var hasOpenRun = false
    private var openKind = FrameFragments.Kind.dynamic
    private var openFirst = 0
    private var openLast = 0

    init(stateHead: [UInt8], records: ShipRecords) {
        self.stateHead = stateHead
        self.records = records
    }

    mutating func appendOwn(_ write: (inout JSONWriter) -> Void) {
        if !own.bytes.isEmpty { own.bytes.append(UInt8(ascii: ",")) }
        write(&own)
    }

    mutating func appendShared(rank: Int, kind: FrameFragments.Kind) {
        if kind == .withStatic { appendStatics(from: rank, through: rank) }
        if hasOpenRun && rank == openLast + 1 {
            openLast = rank
            openKind = kind
            return
        }
        closeRun()
        hasOpenRun = true
        (openKind, openFirst, openLast) = (kind, rank, rank)
    }

    mutating func extendOpenRun(to rank: Int) {
        assert(hasOpenRun)
        assert(openLast < rank)
        if openKind == .withStatic { appendStatics(from: openLast + 1, through: rank) }
        openLast = rank
    }

    var openRunKind: FrameFragments.Kind? { hasOpenRun ? openKind : nil }

    /// Returns the message with `removed` in its head.
    mutating func finish(removed: [ShipID]) -> BinaryStateMessage {
        closeRun()
        var head = JSONWriter(capacity: 64 + own.bytes.count + statics.bytes.count + copied.count)
        head.raw([0, 0, 0, 0])
        head.raw(stateHead)
        head.raw(own.bytes)
        head.raw("],\"static\":[")
        head.raw(statics.bytes)
        head.raw("],\"removed\":[")
        for (k, id) in removed.enumerated() {
            if k > 0 { head.raw(",") }
            head.number(id)
        }
        head.raw("]}")
        // Spaces after the JSON put the records on an 8-byte boundary of the message.
        while (head.bytes.count + 4) % 8 != 0 { head.bytes.append(UInt8(ascii: " ")) }
        let jsonBytes = UInt32(head.bytes.count - 4)
        withUnsafeBytes(of: jsonBytes.littleEndian) { head.bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: UInt32(recordCount).littleEndian) { head.bytes.append(contentsOf: $0) }
        head.bytes.append(contentsOf: copied)
        return BinaryStateMessage(head: head.bytes, runs: runs)
    }

    private mutating func appendStatics(from first: Int, through last: Int) {
        let range = records.staticRange(from: first, through: last)
        // The array's first entry goes without its comma.
        statics.bytes.append(contentsOf: records.statics[statics.bytes.isEmpty ? range.dropFirst() : range])
    }

    private mutating func closeRun() {
        guard hasOpenRun else { return }
        hasOpenRun = false
        let range = ShipRecords.range(from: openFirst, through: openLast)
        recordCount += openLast - openFirst + 1
        if range.count >= BinaryStateBuilder.sharedRunMinimumBytes {
            runs.append(range)
        } else {
            copied.append(contentsOf: records.bytes[range])
        }
    }
}
