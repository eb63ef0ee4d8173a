import CZlib
import Foundation
import Synchronization
import Testing

@testable import GalaxyServer

/// Inflates a raw DEFLATE stream with zlib. Returns nil unless the stream is valid and its final block
/// ends exactly at the end of `stream`.
func inflateRaw(_ stream: [UInt8]) -> [UInt8]? {
    var z = z_stream()
    guard czlib_inflate_init_raw(&z) == Z_OK else { return nil }
    defer { inflateEnd(&z) }
    var output = [UInt8](repeating: 0, count: max(64, stream.count * 16))
    var input = stream
    let status = input.withUnsafeMutableBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            z.next_in = input.baseAddress
            z.avail_in = uInt(input.count)
            z.next_out = output.baseAddress
            z.avail_out = uInt(output.count)
            return inflate(&z, Z_FINISH)
        }
    }
    guard status == Z_STREAM_END, z.avail_in == 0 else { return nil }
    return Array(output[0..<Int(z.total_out)])
}

struct DeflatedMessageTests {
    @Test(arguments: [0, 1, 65_535, 65_536, 200_000])
    func storedBlocksInflateToTheirBytes(count: Int) {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var stream: [UInt8] = []
        DeflatedMessage.store(bytes[...], into: &stream)
        stream.append(contentsOf: [0x03, 0x00])
        #expect(inflateRaw(stream) == bytes)
    }

    @Test func blocksSpliceAtEveryBoundary() throws {
        let plain = Array((0..<5_000).map { "ship \($0 % 97) at \(Double($0) * 1.25e7)," }.joined().utf8)
        for blockBytes in [64, 4096] {
            let fragments = FrameFragments(buffers: [plain, Array(plain.prefix(999))])
            let deflated = try #require(DeflatedFragments(fragments, workers: 3, blockBytes: blockBytes))
            if blockBytes >= 4096 { #expect(deflated.buffers[0].count < plain.count / 2, "the text compresses") }
            for (lower, upper) in [(0, plain.count), (1, plain.count - 1), (blockBytes, 3 * blockBytes), (5, 70), (blockBytes - 1, blockBytes + 1)] {
                let message = FrameMessage(head: Array("[".utf8), runs: [.init(kind: .withStatic, range: lower..<upper)], tail: Array("]".utf8))
                let stream = DeflatedMessage(message, plain: fragments, deflated: deflated)
                #expect(inflateRaw(stream.joined(deflated)) == message.joined(fragments), "block \(blockBytes), run \(lower)..<\(upper)")
            }
            let short = FrameMessage(head: [], runs: [.init(kind: .dynamic, range: 0..<999)], tail: [])
            #expect(inflateRaw(DeflatedMessage(short, plain: fragments, deflated: deflated).joined(deflated)) == Array(plain.prefix(999)))
        }
    }

    /// Clients that take compressed state get, frame after frame, streams that inflate to the exact text of
    /// the same client's plain message, with the shared blocks reused.
    @Test func broadcastStreamsInflateToThePlainMessages() throws {
        let radii: [Double?] = [1e13, 2_000, nil, 1e13]
        var plain = radii.enumerated().map { k, radius in StateFixture.client(UInt64(k + 1), player: PlayerID(7 + k), radiusMeters: radius) }
        var compressed = plain
        for k in compressed.indices { compressed[k].encoding = .deflate }
        for n in 0..<4 {
            let index = FrameIndex(frame: GatewayEncodingTests.frame(n))
            let texts = Mutex<[UInt64: [UInt8]]>([:])
            let streams = Mutex<[UInt64: [UInt8]]>([:])
            var phases = Broadcaster.Phases()
            plain = Broadcaster.encode(index, clients: plain, transport: nil, phases: &phases) { id, bytes in
                texts.withLock { $0[id] = bytes }
            }.sessions.sorted { $0.connectionID < $1.connectionID }
            compressed = Broadcaster.encode(index, clients: compressed, transport: nil, phases: &phases) { id, bytes in
                streams.withLock { $0[id] = bytes }
            }.sessions.sorted { $0.connectionID < $1.connectionID }
            for client in plain {
                let text = try #require(texts.withLock { $0[client.connectionID] })
                let stream = try #require(streams.withLock { $0[client.connectionID] })
                #expect(inflateRaw(stream) == text, "frame \(n), client \(client.connectionID)")
            }
        }
    }
}
