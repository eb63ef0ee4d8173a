import CPostgres
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A failed libpq call, by kind so that the store can map it to a `StoreError`.
struct PostgresError: Error, CustomStringConvertible {
    enum Kind: Equatable {
        /// Connecting failed or the connection broke; the server may not have seen the statement.
        case connection
        /// No reply within this many seconds, so the connection was closed and the outcome is unknown.
        case timeout(seconds: Double)
        /// The server rejected the statement with this SQLSTATE.
        case server(sqlState: String)
    }

    var kind: Kind
    var message: String

    var description: String { message }

    /// True for SQLSTATE class 08 (connection exception) and 57P01-57P03 (server shutting down or
    /// terminating this session), after which the session is gone.
    var isConnectionClass: Bool {
        guard case .server(let state) = kind else { return false }
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
    }

    /// True when the database did not respond: connecting failed, the connection broke or a statement
    /// timed out.
    var isUnreachable: Bool {
        switch kind {
        case .connection, .timeout: return true
        case .server: return false
        }
    }

    static let uniqueViolation = "23505"
    static let foreignKeyViolation = "23503"
}

/// One libpq connection that sends parameterized statements (PQsendQueryParams) in non-blocking mode and
/// waits on the socket with a deadline, so a statement cannot block its caller past its timeout.
/// Connecting blocks for up to libpq's connect_timeout per server address, plus any DNS lookup time.
/// Not thread-safe: `PostgresStore` serializes every call on it.
final class PostgresConnection {
    /// Text results of one statement: rows of columns, nil for SQL NULL.
    typealias Rows = [[String?]]

    private let url: String
    private let connectTimeoutSeconds: Int
    private var handle: OpaquePointer?
    /// "host:port/database", for messages; never contains the password.
    let target: String

    /// Connects to `url` (a libpq URI or key=value string). `connectTimeoutSeconds` applies unless
    /// the URL sets its own `connect_timeout`.
    init(url: String, connectTimeoutSeconds: Int) throws {
        self.url = url
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.target = try PostgresConnection.describeTarget(url)
        try connect()
    }

    deinit {
        close()
    }

    var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Opens a new connection, closing any old one first.
    func connect() throws {
        close()
        // Values given before "dbname" are defaults: with expand_dbname = 1, libpq expands the URL in
        // "dbname" and its settings (such as its own connect_timeout) override earlier keywords.
        let keywords = ["application_name", "connect_timeout", "dbname"]
        let values = ["galaxy", String(connectTimeoutSeconds), url]
        let connection = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(connection)
            throw PostgresError(kind: .connection, message: "cannot connect to \(target): \(trimmed(message))")
        }
        PQsetnonblocking(connection, 1)
        // Notices such as "relation already exists, skipping" from idempotent migrations would otherwise
        // go to stderr around the structured log lines.
        _ = PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Runs one statement with `parameters` bound to $1, $2, ... and returns its rows as text. Blobs
    /// are sent in binary format as bytea; every other value is sent as text with its type.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLValue] = [], timeoutSeconds: Double) throws -> Rows {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: "not connected to \(target)")
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        try send(sql, parameters, on: handle)
        try flush(handle, deadline: deadline, timeoutSeconds: timeoutSeconds)
        try awaitResult(handle, deadline: deadline, timeoutSeconds: timeoutSeconds)
        return try collectResults(handle)
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back if it throws and the connection still works.
    func transaction<T>(timeoutSeconds: Double, _ body: () throws -> T) throws -> T {
        try query("BEGIN", timeoutSeconds: timeoutSeconds)
        do {
            let result = try body()
            try query("COMMIT", timeoutSeconds: timeoutSeconds)
            return result
        } catch {
            if isConnected { _ = try? query("ROLLBACK", timeoutSeconds: timeoutSeconds) }
            throw error
        }
    }

    // MARK: Sending and waiting

    private func send(_ sql: String, _ parameters: [SQLValue], on handle: OpaquePointer) throws {
        let encoded = parameters.map(PostgresParameter.init)
        let types = encoded.map(\.typeOID)
        let lengths = encoded.map { Int32($0.bytes?.count ?? 0) }
        let formats = encoded.map(\.format)
        let status = withParameterPointers(encoded.map(\.bytes)) { values in
            PQsendQueryParams(handle, sql, Int32(encoded.count), types, values, lengths, formats, 0)
        }
        guard status == 1 else { throw connectionError(handle, "sending a statement") }
    }

    /// Writes the buffered statement to the socket; in non-blocking mode a large one needs several rounds.
    private func flush(_ handle: OpaquePointer, deadline: Date, timeoutSeconds: Double) throws {
        while true {
            let pending = PQflush(handle)
            if pending == 0 { return }
            guard pending > 0 else { throw connectionError(handle, "sending a statement") }
            try wait(handle, forWriting: true, deadline: deadline, timeoutSeconds: timeoutSeconds)
            guard PQconsumeInput(handle) == 1 else { throw connectionError(handle, "reading a reply") }
        }
    }

    private func awaitResult(_ handle: OpaquePointer, deadline: Date, timeoutSeconds: Double) throws {
        while true {
            guard PQconsumeInput(handle) == 1 else { throw connectionError(handle, "reading a reply") }
            if PQisBusy(handle) == 0 { return }
            try wait(handle, forWriting: false, deadline: deadline, timeoutSeconds: timeoutSeconds)
        }
    }

    private func wait(_ handle: OpaquePointer, forWriting: Bool, deadline: Date, timeoutSeconds: Double) throws {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else {
            // The statement may or may not have run; a fresh connection is the only clean state.
            close()
            throw PostgresError(kind: .timeout(seconds: timeoutSeconds), message: "no reply from \(target) within \(timeoutSeconds) s")
        }
        let events = Int16(forWriting ? (POLLIN | POLLOUT) : POLLIN)
        var descriptor = pollfd(fd: PQsocket(handle), events: events, revents: 0)
        let milliseconds = Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up))
        let status = poll(&descriptor, 1, milliseconds)
        if status < 0 && errno != EINTR {
            throw PostgresError(kind: .connection, message: "poll on the connection to \(target) failed: errno \(errno)")
        }
    }

    /// Reads every result of the statement and returns the rows of the last one, or throws its error.
    private func collectResults(_ handle: OpaquePointer) throws -> Rows {
        var rows: Rows = []
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK: rows = readRows(result)
            case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY: rows = []
            default: failure = failure ?? serverError(result, handle)
            }
        }
        if let failure {
            // A FATAL error such as 57P01 (terminated by an administrator) arrives as a result while the
            // connection still looks usable. libpq marks the connection broken only after that result.
            if PQstatus(handle) != CONNECTION_OK || failure.isConnectionClass {
                close()
                throw PostgresError(kind: .connection, message: "connection to \(target) lost: \(failure.message)")
            }
            throw failure
        }
        return rows
    }

    private func readRows(_ result: OpaquePointer) -> Rows {
        let columns = PQnfields(result)
        return (0..<PQntuples(result)).map { row in
            (0..<columns).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    private func serverError(_ result: OpaquePointer, _ handle: OpaquePointer) -> PostgresError {
        if PQstatus(handle) != CONNECTION_OK { return connectionError(handle, "running a statement") }
        let state = PQresultErrorField(result, galaxy_pg_diag_sqlstate()).map { String(cString: $0) } ?? ""
        let primary = PQresultErrorField(result, galaxy_pg_diag_message_primary()).map { String(cString: $0) }
        let message = primary ?? trimmed(String(cString: PQresultErrorMessage(result)))
        return PostgresError(kind: .server(sqlState: state), message: "\(message) (SQLSTATE \(state))")
    }

    private func connectionError(_ handle: OpaquePointer, _ step: String) -> PostgresError {
        let message = trimmed(String(cString: PQerrorMessage(handle)))
        close()
        return PostgresError(kind: .connection, message: "connection to \(target) lost while \(step): \(message)")
    }

    // MARK: Connection strings

    /// Parses a libpq connection string into its set options.
    static func parse(_ url: String) throws -> [String: String] {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &error) else {
            let message = error.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(error)
            throw StoreError.invalidArgument(
                "invalid PostgreSQL connection URL (\(trimmed(message))); expected postgresql://user@host:port/database")
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { result[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return result
    }

    /// "host:port/database" from a connection string, leaving out the user's password.
    static func describeTarget(_ url: String) throws -> String {
        let options = try parse(url)
        let host = options["host"] ?? options["hostaddr"] ?? "localhost"
        return "\(host):\(options["port"] ?? "5432")/\(options["dbname"] ?? options["user"] ?? "default")"
    }
}

/// A parameter in libpq's wire form.
private struct PostgresParameter {
    var bytes: [UInt8]?
    var format: Int32
    var typeOID: Oid

    init(_ value: SQLValue) {
        switch value {
        case .integer(let number): self.init(text: String(number), oid: 20)  // int8
        case .real(let number): self.init(text: "\(number)", oid: 701)  // float8; Swift prints round-trip digits
        case .text(let string): self.init(text: string, oid: 25)  // text
        case .blob(let data): self.init(bytes: [UInt8](data), format: 1, oid: 17)  // bytea, binary format
        case .null: self.init(bytes: nil, format: 0, oid: 0)
        }
    }

    private init(text: String, oid: Oid) {
        self.init(bytes: Array(text.utf8) + [0], format: 0, oid: oid)
    }

    private init(bytes: [UInt8]?, format: Int32, oid: Oid) {
        self.bytes = bytes
        self.format = format
        self.typeOID = oid
    }
}

/// Calls `body` with C pointers to each parameter's bytes (nil for NULL), valid only during the call.
private func withParameterPointers<T>(_ parameters: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { bytes in
        guard let bytes else { return nil }
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
        bytes.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { copy.update(from: $0.baseAddress!, count: bytes.count) }
        }
        return copy
    }
    defer { copies.forEach { $0?.deallocate() } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

/// Calls `body` with a NULL-terminated array of C strings, valid only during the call.
private func withCStringArray<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Returns a libpq message on one line: libpq ends messages with a newline and puts hints on
/// indented lines of their own.
private func trimmed(_ message: String) -> String {
    message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
}
