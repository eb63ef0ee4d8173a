import CGateway

/// A frame's fragment buffers, copied once into the transport's reference-counted shared buffers, which
/// every client's queued message points into. Call `release` once every message has been queued.
final class BroadcastBuffers: @unchecked Sendable {
    private let fragments: FrameFragments
    /// `gw_shared` handles by fragment kind; nil when empty or when allocation failed.
    private let handles: [OpaquePointer?]

    init(_ fragments: FrameFragments) {
        self.fragments = fragments
        handles = fragments.buffers.map { buffer in
            buffer.isEmpty ? nil : buffer.withUnsafeBufferPointer { gw_shared_create($0.baseAddress, $0.count) }
        }
    }

    /// Queues `message` as a replaceable state frame: its own bytes are copied, its runs are referenced.
    func send(_ message: FrameMessage, to connection: UInt64, transport: OpaquePointer) {
        guard message.runs.allSatisfy({ handles[$0.kind.rawValue] != nil }) else {
            // Without a shared buffer (allocation failed), the message goes out as one copied buffer.
            let bytes = message.joined(fragments)
            _ = bytes.withUnsafeBufferPointer { gw_send(transport, connection, $0.baseAddress, $0.count, 1) }
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
                _ = gw_send_parts(transport, connection, parts, parts.count, 1)
            }
        }
    }

    /// Drops this frame's references; queued messages keep the buffers alive until they are sent.
    func release() {
        for handle in handles { gw_shared_release(handle) }
    }
}
