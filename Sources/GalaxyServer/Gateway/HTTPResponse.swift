import Foundation

/// A response for the transport: status, content type, body and extra header lines.
struct HTTPResponse: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []

    static func json(_ status: Int, _ object: Any) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(status: status, contentType: "application/json", body: Array(data))
    }

    static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, contentType: contentType, body: Array(text.utf8))
    }

    static func empty(_ status: Int) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain", body: [])
    }

    static func error(_ error: APIError) -> HTTPResponse {
        var response = json(error.status, ["error": ["code": error.code, "message": error.message]])
        if error.status == 401 { response.headers.append(("WWW-Authenticate", "Bearer")) }
        if error.status == 503 { response.headers.append(("Retry-After", "5")) }
        return response
    }

    var headerLines: String? {
        headers.isEmpty ? nil : headers.map { "\($0.0): \($0.1)\r\n" }.joined()
    }
}

/// An error the API returns to the client: HTTP status, stable code, and a message naming the value.
struct APIError: Error, Equatable, CustomStringConvertible {
    var status: Int
    var code: String
    var message: String

    var description: String { "\(status) \(code): \(message)" }

    static func invalid(_ message: String) -> APIError { APIError(status: 400, code: "invalid_request", message: message) }
    static let unauthorized = APIError(status: 401, code: "unauthorized", message: "missing, unknown or expired bearer token")
    static func notFound(_ message: String) -> APIError { APIError(status: 404, code: "not_found", message: message) }
    static func forbidden(_ message: String) -> APIError { APIError(status: 403, code: "forbidden", message: message) }
    static func unavailable(_ message: String) -> APIError {
        APIError(status: 503, code: "store_unavailable", message: message)
    }
}
