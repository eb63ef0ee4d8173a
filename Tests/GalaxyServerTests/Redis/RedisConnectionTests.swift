import Foundation
import Testing

@testable import GalaxyServer

/// A redis-server of the test's own on a free loopback port, without persistence.
final class TestRedisServer {
    let port: Int
    private var process: Process?

    init() throws {
        port = try TestRedisServer.freePort()
        try start()
    }

    deinit { kill() }

    var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    func start() throws {
        let binary = "/usr/bin/redis-server"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw RedisError.connection("\(binary) is missing: install the redis-server package (scripts/install-deps.sh does)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let probe = RedisConnection(endpoint: endpoint)
        for _ in 0..<100 {
            if (try? probe.connect()) != nil, (try? probe.command([RedisConnection.bytes("PING")])) == .status("PONG") { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw RedisError.connection("redis-server did not answer on port \(port) within 5 s")
    }

    /// SIGKILL, as a crashed node.
    func kill() {
        guard let p = process, p.isRunning else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw RedisError.connection("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The hiredis wrapper against a real server, including the C20 case: the server killed under a
/// subscribed connection, several failed reconnects, then a restart.
@Suite(.serialized) struct RedisConnectionTests {
    func args(_ words: String...) -> [[UInt8]] { words.map(RedisConnection.bytes) }

    @Test func commandsPipelinesAndBinaryValues() throws {
        let server = try TestRedisServer()
        let c = RedisConnection(endpoint: server.endpoint)
        try c.connect()
        let binary: [UInt8] = [0, 255, 13, 10, 36, 42]
        #expect(try c.command([RedisConnection.bytes("SET"), RedisConnection.bytes("k"), binary]) == .status("OK"))
        #expect(try c.command(args("GET", "k")) == .bulk(binary))
        let replies = try c.pipeline([args("INCR", "n"), args("INCR", "n"), args("GET", "missing"), args("NOSUCHCOMMAND")])
        #expect(replies[0] == .integer(1))
        #expect(replies[1] == .integer(2))
        #expect(replies[2] == .null)
        guard case .error = replies[3] else { Issue.record("an unknown command must come back as an error reply"); return }
        #expect(c.isConnected, "an error reply leaves the connection usable")
    }

    @Test func subscriberSurvivesAKilledServerAndSubscribesAgain() throws {
        let server = try TestRedisServer()
        let subscriber = RedisConnection(endpoint: server.endpoint)
        try subscriber.connect()
        _ = try subscriber.command(args("SUBSCRIBE", "galaxy:test"))
        #expect(try subscriber.nextMessage(timeoutMilliseconds: 50) == nil, "a quiet channel is not an error")
        server.kill()
        #expect(throws: RedisError.self) { _ = try subscriber.nextMessage(timeoutMilliseconds: 2000) }
        #expect(!subscriber.isConnected)
        for _ in 0..<3 {
            #expect(throws: RedisError.self) { try subscriber.connect() }
            #expect(!subscriber.isConnected)
        }
        try server.start()
        try subscriber.connect()
        _ = try subscriber.command(args("SUBSCRIBE", "galaxy:test"))
        let publisher = RedisConnection(endpoint: server.endpoint)
        try publisher.connect()
        #expect(try publisher.command(args("PUBLISH", "galaxy:test", "hello")) == .integer(1))
        let message = try #require(try subscriber.nextMessage(timeoutMilliseconds: 2000))
        #expect(message == .array([.bulk(Array("message".utf8)), .bulk(Array("galaxy:test".utf8)), .bulk(Array("hello".utf8))]))
    }
}
