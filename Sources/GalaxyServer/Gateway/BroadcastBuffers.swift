import CGateway

/// A frame's fragment buffers, their compressed form when some client takes compressed state, and the
/// ships' binary records when some client takes binary state. Each is copied once into the transport's
/// reference-counted shared buffers, which every client's queued message points into. Call `release` once every message has been queued.
final class BroadcastBuffers: @unchecked Sendable {
    private let fragments: FrameFragments
    private let deflated: DeflatedFragments?
    /// `gw_shared` handles by fragment kind; nil when empty or when allocation failed.
    private let handles: [OpaquePointer?]
    private let deflatedHandles: [OpaquePointer?]
    private let records: ShipRecords?
    private let recordsHandle: OpaquePointer?

    init(_ fragments: FrameFragments, deflated: DeflatedFragments? = nil, records: ShipRecords? = nil) {
        self.fragments = fragments
        self.deflated = deflated
        self.records = records
        handles = BroadcastBuffers.share(fragments.buffers)
        deflatedHandles = BroadcastBuffers.share(deflated?.buffers ?? [])
        recordsHandle = records.flatMap { BroadcastBuffers.share([$0.bytes])[0] }
    }

    private static func share(_ buffers: [[UInt8]]) -> [OpaquePointer?] {
        buffers.map { buffer in
            buffer.isEmpty ? nil : buffer.withUnsafeBufferPointer { gw_shared_create($0.baseAddress, $0.count) }
        }
    }

    /// Queues `message` as a replaceable state frame: its own bytes are copied, its runs are referenced.
    func send(_ message: FrameMessage, to connection: UInt64, transport: OpaquePointer) {
        guard message.runs.allSatisfy({ handles[$0.kind.rawValue] != nil }) else {
            // Without a shared buffer (allocation failed), the message goes out as one copied buffer.
            let bytes = message.joined(fragments)
            _ = bytes.withUnsafeBufferPointer { gw_send(transport, connection, $0.baseAddress, $0.count, GW_SEND_REPLACEABLE) }
            return
        }
        message.head.withUnsafeBufferPointer { head in
            message.tail.withUnsafeBufferPointer { tail in
                var parts = [gw_part(data: head.baseAddress, length: head.count, shared: nil)]
                for run in message.runs {
                    let handle = handles[run.kind.rawValue]
                    let start = gw_shared_data(handle)! + run.range.lowerBound
                    parts.append(gw_part(data: start, length: run.range.count, shared: handle))
                }
                parts.append(gw_part(data: tail.baseAddress, length: tail.count, shared: nil))
                _ = gw_send_parts(transport, connection, parts, parts.count, GW_SEND_REPLACEABLE)
            }
        }
    }

    /// Queues a compressed message (see `DeflatedMessage`) as a replaceable binary state frame.
    func send(_ stream: DeflatedMessage, to connection: UInt64, transport: OpaquePointer) {
        let flags = GW_SEND_REPLACEABLE | GW_SEND_BINARY
        // Shared parts exist only when `deflated` does, so their kinds index `deflatedHandles`.
        let shared = stream.parts.allSatisfy { part in
            guard case .shared(let kind, _) = part else { return true }
            return deflatedHandles[kind.rawValue] != nil
        }
        guard shared else {
            let bytes = stream.joined(deflated)
            _ = bytes.withUnsafeBufferPointer { gw_send(transport, connection, $0.baseAddress, $0.count, flags) }
            return
        }
        stream.own.withUnsafeBufferPointer { own in
            let parts = stream.parts.map { part -> gw_part in
                switch part {
                case .own(let range):
                    return gw_part(data: own.baseAddress.map { $0 + range.lowerBound }, length: range.count, shared: nil)
                case .shared(let kind, let range):
                    let handle = deflatedHandles[kind.rawValue]
                    return gw_part(data: gw_shared_data(handle)! + range.lowerBound, length: range.count, shared: handle)
                }
            }
            _ = gw_send_parts(transport, connection, parts, parts.count, flags)
        }
    }

    /// Queues a binary state message as a replaceable binary frame. The buffers must have been made
    /// with `records`.
    func send(_ message: BinaryStateMessage, to connection: UInt64, transport: OpaquePointer) {
        let flags = GW_SEND_REPLACEABLE | GW_SEND_BINARY
        guard let records else { preconditionFailure("binary state needs the frame's ship records") }
        guard let recordsHandle else {
            let bytes = message.joined(records)
            _ = bytes.withUnsafeBufferPointer { gw_send(transport, connection, $0.baseAddress, $0.count, flags) }
            return
        }
        message.head.withUnsafeBufferPointer { head in
            var parts = [gw_part(data: head.baseAddress, length: head.count, shared: nil)]
            let base = gw_shared_data(recordsHandle)!
            for run in message.runs {
                parts.append(gw_part(data: base + run.lowerBound, length: run.count, shared: recordsHandle))
            }
            _ = gw_send_parts(transport, connection, parts, parts.count, flags)
        }
    }

    /// Drops this frame's references; queued messages keep the buffers alive until they are sent.
    func release() {
        for handle in handles + deflatedHandles + [recordsHandle] { gw_shared_release(handle) }
    }
}
