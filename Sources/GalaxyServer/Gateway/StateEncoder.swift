import Foundation

/// Writes the server-to-client messages of docs/protocol.md.
enum StateEncoder {
    /// Returns the ranks of the ships visible to a client, ascending: its own, and the others inside its view.
    static func visibleShips(_ index: FrameIndex, for session: ClientSession) -> [Int] {
        let own = index.ranksByOwner.values(of: session.player.id)
        guard let view = session.view, let center = index.position(of: view.focus) else { return Array(own) }
        let inView = index.grid.ranks(within: view.radiusMeters, of: center)
        // Own ships are usually inside the view already, which saves building a merged copy per client.
        let ownInView = own.allSatisfy { containsSorted(inView, $0) }
        return ownInView ? inView : mergeUnique(Array(own), inView)
    }

    /// True when the ascending list `sorted` contains `value` (binary search).
    static func containsSorted<T: Comparable>(_ sorted: [T], _ value: T) -> Bool {
        var (low, high) = (0, sorted.count)
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && sorted[low] == value
    }

    /// Merges two ascending lists into one ascending list without repeats.
    static func mergeUnique(_ a: [Int], _ b: [Int]) -> [Int] {
        var merged: [Int] = []
        merged.reserveCapacity(a.count + b.count)
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            let next = j == b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            if merged.last != next { merged.append(next) }
            if i < a.count && a[i] == next { i += 1 }
            if j < b.count && b[j] == next { j += 1 }
        }
        return merged
    }

    /// True when the client's next state message lists every visible ship.
    static func isFull(_ session: ClientSession, forceFull: Bool) -> Bool {
        forceFull || session.framesSinceFull >= ClientSession.fullFrameInterval
    }

    /// Encodes the state message for one client: its own ships in full, the other `visible` ships as runs
    /// of `fragments` (with static fields when new to the client), bodies, and the ships that left its
    /// view. Updates the session's delta bookkeeping. `visible` lists ranks in ascending order.
    static func state(
        _ index: FrameIndex, visible: [Int], fragments: FrameFragments, for session: inout ClientSession, forceFull: Bool
    ) -> FrameMessage {
        let full = isFull(session, forceFull: forceFull)
        let head = index.stateHead(full: full)
        var builder = FrameMessageBuilder(fragments: fragments, head: head, capacity: head.count + 2048)
        let removed = fill(&builder, index, visible: visible, fragments: fragments, for: &session, full: full)
        return builder.finish(tail: removedTail(removed))
    }

    /// Encodes the same content as `state` as a binary state message whose other ships are `records`.
    static func binaryState(
        _ index: FrameIndex, visible: [Int], fragments: FrameFragments, records: ShipRecords, for session: inout ClientSession,
        forceFull: Bool
    ) -> BinaryStateMessage {
        let full = isFull(session, forceFull: forceFull)
        var builder = BinaryStateBuilder(stateHead: index.stateHead(full: full), records: records)
        let removed = fill(&builder, index, visible: visible, fragments: fragments, for: &session, full: full)
        return builder.finish(removed: removed)
    }

    /// Appends the client's own visible ships, then the others, to `builder`; advances the session's
    /// delta bookkeeping and returns the ids that left its view.
    private static func fill<Builder: ShipListBuilder>(
        _ builder: inout Builder, _ index: FrameIndex, visible: [Int], fragments: FrameFragments,
        for session: inout ClientSession, full: Bool
    ) -> [ShipID] {
        let frame = index.frame
        let known = session.knownShips
        // Own ships lead the array, so they are written before the walk over the other ships.
        let own = index.ranksByOwner.values(of: session.player.id)
        var ownVisible: [Int] = []
        for rank in own where containsSorted(visible, rank) {
            ownVisible.append(rank)
            let id = index.idAtRank[rank]
            let isNew = full || !containsSorted(known, id)
            let ship = index.ship(atRank: rank)
            // The public part of an own ship is its shared fragment without the leading comma and closing brace.
            let kind = isNew ? FrameFragments.Kind.withStatic : .dynamic
            let shared = fragments.range(kind, of: rank).map { $0.dropFirst().dropLast() }
            builder.appendOwn { w in
                if let shared {
                    w.bytes.append(contentsOf: fragments.buffers[kind.rawValue][shared])
                } else {
                    common(ship, &w, includeStatic: isNew)
                }
                writePrivateMembers(ship, &w, maneuver: frame.maneuvers[id])
            }
        }
        let (nowKnown, removed) = index.idAtRank.withUnsafeBufferPointer { ids in
            visible.withUnsafeBufferPointer { visible in
                known.withUnsafeBufferPointer { known in
                    walk(visible: visible, ids: ids, known: known, own: ownVisible, full: full, &builder)
                }
            }
        }
        if let nowKnown { session.knownShips = nowKnown }
        session.framesSinceFull = full ? 1 : session.framesSinceFull + 1
        return removed
    }

    /// Merge walk over two id-sorted lists, the visible ships and the ships the client was sent before.
    /// Appends every visible ship that is not in `own` to `builder`. Returns the ids now known (nil when
    /// they equal `known`) and the ids that left the view.
    private static func walk<Builder: ShipListBuilder>(
        visible: UnsafeBufferPointer<Int>, ids: UnsafeBufferPointer<ShipID>, known: UnsafeBufferPointer<ShipID>, own: [Int],
        full: Bool, _ builder: inout Builder
    ) -> (nowKnown: [ShipID]?, removed: [ShipID]) {
        var removed: [ShipID] = []
        // Most frames send only ships the client was sent before, so `nowKnown` is built only once the lists differ.
        var nowKnown: [ShipID]?
        var k = 0
        var nextOwn = 0
        let knownKind = full ? FrameFragments.Kind.withStatic : .dynamic
        var position = 0
        while position < visible.count {
            let rank = visible[position]
            let id = ids[rank]
            while k < known.count && known[k] < id {
                removed.append(known[k])
                k += 1
            }
            let wasKnown = k < known.count && known[k] == id
            if wasKnown { k += 1 }
            if nowKnown == nil && (!wasKnown || !removed.isEmpty) {
                var copy = [ShipID]()
                copy.reserveCapacity(visible.count)
                copy.append(contentsOf: known[0..<position])
                nowKnown = copy
            }
            nowKnown?.append(id)
            position += 1
            if nextOwn < own.count && own[nextOwn] == rank {
                nextOwn += 1
                continue
            }
            builder.appendShared(rank: rank, kind: full || !wasKnown ? FrameFragments.Kind.withStatic : .dynamic)
            // Large views are mostly stretches of consecutive ranks that the client was sent before, in the
            // same order as `known`. Such a stretch extends the open run without the general steps above.
            guard builder.openRunKind == knownKind else { continue }
            let ownLimit = nextOwn < own.count ? own[nextOwn] : Int.max
            // The stretch is the longest run of consecutive ranks after `rank` in `visible`, found by binary
            // search because `visible[i] - i` never decreases. It stays below the next own ship.
            var (low, high) = (0, min(visible.count - position, ownLimit - rank - 1, known.count - k))
            while low < high {
                let middle = (low + high + 1) / 2
                if visible[position + middle - 1] == rank + middle { low = middle } else { high = middle - 1 }
            }
            let length = low
            var last = rank
            if length > 0 && memcmp(known.baseAddress! + k, ids.baseAddress! + rank + 1, length * MemoryLayout<ShipID>.stride) == 0 {
                last = rank + length
                position += length
                k += length
            } else {
                while last < rank + length && known[k] == ids[last + 1] {
                    last += 1
                    position += 1
                    k += 1
                }
            }
            if last > rank {
                builder.extendOpenRun(to: last)
                nowKnown?.append(contentsOf: ids[(rank + 1)...last])
            }
        }
        if k < known.count {
            removed.append(contentsOf: known[k...])
            if nowKnown == nil { nowKnown = Array(known[0..<visible.count]) }
        }
        return (nowKnown, removed)
    }

    /// Writes the start of a state message up to and including `"ships":[`.
    static func writeHeader(_ index: FrameIndex, full: Bool, _ writer: inout JSONWriter) {
        let frame = index.frame
        writer.raw("{\"type\":\"state\",\"tick\":")
        writer.number(frame.tick)
        writer.member("server_time_ms", index.publishedAtMilliseconds)
        writer.member("time_s", frame.gameTimeSeconds)
        writer.member("warp", frame.status.effectiveWarp)
        writer.raw(",\"paused\":\(frame.status.paused),\"degraded\":\(frame.status.degraded),\"full\":\(full),\"bodies\":")
        writer.raw(index.encodedBodies)
        writer.raw(",\"ships\":[")
    }

    private static func removedTail(_ removed: [ShipID]) -> [UInt8] {
        var writer = JSONWriter(capacity: 16 + removed.count * 8)
        writer.raw("],\"removed\":[")
        for (k, id) in removed.enumerated() {
            if k > 0 { writer.raw(",") }
            writer.number(id)
        }
        writer.raw("]}")
        return writer.bytes
    }

    private static func common(_ ship: ShipSnapshot, _ w: inout JSONWriter, includeStatic: Bool) {
        writeIdentity(ship, &w, includeStatic: includeStatic)
        writeMotion(ship, &w)
    }

    /// Writes the opening of a ship's object: its id, then name, kind and owner when `includeStatic`.
    static func writeIdentity(_ ship: ShipSnapshot, _ w: inout JSONWriter, includeStatic: Bool) {
        w.raw("{\"id\":")
        w.number(ship.id)
        if includeStatic {
            w.member("name", ship.name)
            w.member("kind", ship.kind.rawValue)
            w.raw(",\"owner\":")
            if let owner = ship.owner { w.number(owner) } else { w.raw("null") }
        }
    }

    /// Writes the members that change every tick: position, velocity and attitude.
    static func writeMotion(_ ship: ShipSnapshot, _ w: inout JSONWriter) {
        w.member("p", ship.position)
        w.member("v", ship.velocity)
        w.raw(",\"q\":")
        w.numbers(lanes: SIMD4(ship.attitude.x, ship.attitude.y, ship.attitude.z, ship.attitude.w))
    }

    /// Writes the members that only the owner receives, and the ship's closing brace.
    private static func writePrivateMembers(_ ship: ShipSnapshot, _ w: inout JSONWriter, maneuver: ManeuverProgress?) {
        w.member("w", ship.angularRate)
        w.member("mode", ship.mode.rawValue)
        w.member("throttle", ship.throttle)
        w.member("thrust_n", ship.thrustNewtons)
        w.member("rcs", ship.rcs)
        w.member("fuel_kg", ship.fuelKg)
        w.member("dry_mass_kg", ship.dryMassKg)
        w.member("primary", ship.primary)
        w.raw(",\"condition\":[")
        w.raw(SimulationReport.conditionNames(ship.condition).map { "\"\($0)\"" }.joined(separator: ","))
        w.raw("],\"maneuver\":")
        if let maneuver { ManeuverEncoder.progress(maneuver, &w) } else { w.raw("null") }
        w.raw("}")
    }

    static func event(_ event: ShipEvent) -> [UInt8] {
        var w = JSONWriter(capacity: 160)
        w.raw("{\"type\":\"event\",\"event\":")
        w.string(event.kind.rawValue)
        w.member("ship_id", event.shipID)
        w.member("tick", event.tick)
        w.member("time_s", event.gameTimeSeconds)
        w.raw(",\"body\":")
        w.optionalString(event.body)
        w.raw("}")
        return w.bytes
    }

    static func ack(seq: Int64) -> [UInt8] { Array("{\"type\":\"ack\",\"seq\":\(seq)}".utf8) }
    static func pong(seq: Int64) -> [UInt8] { Array("{\"type\":\"pong\",\"seq\":\(seq)}".utf8) }

    static func error(seq: Int64?, code: String, message: String) -> [UInt8] {
        var w = JSONWriter(capacity: 96 + message.utf8.count)
        w.raw("{\"type\":\"error\",\"seq\":")
        if let seq { w.number(seq) } else { w.raw("null") }
        w.member("code", code)
        w.member("message", message)
        w.raw("}")
        return w.bytes
    }
}
