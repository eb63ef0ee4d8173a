import Foundation

/// The address of a Redis server, from `redis://[[user]:password@]host[:port][/db]`.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    /// Parses a redis:// URL; the error names the part that is wrong.
    public init(url text: String) throws {
        guard text.hasPrefix("redis://") else {
            throw RedisError.invalidURL("Redis URL must start with redis://, got '\(text.prefix(20))'")
        }
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw RedisError.invalidURL("Redis URL has no host: '\(text.prefix(60))'")
        }
        let port = url.port ?? 6379
        guard (1...65535).contains(port) else { throw RedisError.invalidURL("Redis port must be within 1...65535, got \(port)") }
        let path = url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard path.isEmpty || Int(path) != nil else {
            throw RedisError.invalidURL("Redis database must be a number after the slash, got '\(path.prefix(20))'")
        }
        self.init(host: host, port: port, password: url.password?.removingPercentEncoding, database: Int(path) ?? 0)
    }

    /// The endpoint without its password, for logs.
    public var description: String { "redis://\(host):\(port)/\(database)" }
}

public enum RedisError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// The connection failed or broke; the context is gone and must be opened again.
    case connection(String)
    /// Redis replied to a command with an error.
    case reply(String)

    public var description: String {
        switch self {
        case .invalidURL(let reason): reason
        case .connection(let reason): "Redis connection: \(reason)"
        case .reply(let reason): "Redis error reply: \(reason)"
        }
    }
}
