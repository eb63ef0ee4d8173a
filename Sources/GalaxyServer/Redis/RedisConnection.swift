import CHiredis
import Foundation

/// A reply from Redis, copied out of hiredis's reply object.
enum RedisReply: Equatable, Sendable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    var text: String? {
        switch self {
        case .status(let s): s
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}

/// One synchronous hiredis connection, used by one thread at a time. Any I/O failure frees the
/// context exactly once and throws `RedisError.connection`. The owner then opens a new connection
/// (with backoff) and never reuses the broken one, so no context can be freed twice.
final class RedisConnection {
    let endpoint: RedisEndpoint
    private var context: UnsafeMutablePointer<redisContext>?
    private let timeoutSeconds: Int

    init(endpoint: RedisEndpoint, timeoutSeconds: Int = 5) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
    }

    deinit { close() }

    var isConnected: Bool { context != nil }

    /// Connects, authenticates and selects the database.
    func connect() throws {
        close()
        let timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        guard let c = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), timeout) else {
            throw RedisError.connection("cannot allocate a context for \(endpoint)")
        }
        context = c
        if c.pointee.err != 0 { try fail("connect to \(endpoint)") }
        _ = redisSetTimeout(c, timeout)
        _ = redisEnableKeepAlive(c)
        if let password = endpoint.password { try expectOK(command(["AUTH", password].map(Self.bytes))) }
        if endpoint.database != 0 { try expectOK(command(["SELECT", String(endpoint.database)].map(Self.bytes))) }
    }

    /// Frees the context, once.
    func close() {
        if let c = context { redisFree(c) }
        context = nil
    }

    /// Sends one command and waits for its reply (at most the connection timeout).
    func command(_ arguments: [[UInt8]]) throws -> RedisReply {
        try append(arguments)
        return try readReply()
    }

    /// Sends several commands in one write and reads all their replies: one round trip per batch.
    func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        for arguments in commands { try append(arguments) }
        return try commands.map { _ in try readReply() }
    }

    /// Returns the next pushed message of a subscribed connection, or nil if none arrived within the
    /// timeout. Waits in poll(2), so a quiet channel never breaks the connection the way a socket
    /// read timeout would.
    func nextMessage(timeoutMilliseconds: Int32) throws -> RedisReply? {
        guard let c = context else { throw RedisError.connection("not connected") }
        if let buffered = try takeBufferedReply() { return buffered }
        var descriptor = pollfd(fd: c.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready == 0 || (ready < 0 && errno == EINTR) { return nil }
        if ready < 0 { try fail("poll: \(String(cString: strerror(errno)))") }
        if redisBufferRead(c) != REDIS_OK { try fail("read") }
        return try takeBufferedReply()
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: - hiredis calls

    private func append(_ arguments: [[UInt8]]) throws {
        guard let c = context else { throw RedisError.connection("not connected") }
        let status = Self.withArgv(arguments) { count, argv, lengths in redisAppendCommandArgv(c, count, argv, lengths) }
        if status != REDIS_OK { try fail("append a command") }
    }

    private func readReply() throws -> RedisReply {
        guard let c = context else { throw RedisError.connection("not connected") }
        var raw: UnsafeMutableRawPointer?
        if redisGetReply(c, &raw) != REDIS_OK { try fail("read a reply") }
        guard let raw else { try fail("empty reply") }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func takeBufferedReply() throws -> RedisReply? {
        guard let c = context else { throw RedisError.connection("not connected") }
        var raw: UnsafeMutableRawPointer?
        if redisGetReplyFromReader(c, &raw) != REDIS_OK { try fail("parse a reply") }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Records the context's error, frees the context and throws.
    private func fail(_ action: String) throws -> Never {
        var reason = "unknown error"
        if let c = context {
            reason = withUnsafeBytes(of: c.pointee.errstr) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        close()
        throw RedisError.connection("\(action) failed: \(reason)")
    }

    private func expectOK(_ reply: RedisReply) throws {
        if case .error(let message) = reply { throw RedisError.reply(message) }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STATUS: return .status(String(cString: r.str))
        case REDIS_REPLY_ERROR: return .error(String(cString: r.str))
        case REDIS_REPLY_INTEGER: return .integer(r.integer)
        case REDIS_REPLY_STRING:
            return .bulk(r.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: r.str, count: r.len)))
        case REDIS_REPLY_ARRAY:
            return .array((0..<r.elements).map { convert(r.element[$0]!) })
        default: return .null
        }
    }

    /// Lays the arguments out in one buffer and passes hiredis pointers and lengths into it.
    private static func withArgv<R>(
        _ arguments: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        for argument in arguments {
            offsets.append(joined.count)
            joined.append(contentsOf: argument)
        }
        joined.append(0)
        let lengths = arguments.map(\.count)
        return joined.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { pointers in
                lengths.withUnsafeBufferPointer { body(Int32(arguments.count), pointers.baseAddress!, $0.baseAddress!) }
            }
        }
    }
}
