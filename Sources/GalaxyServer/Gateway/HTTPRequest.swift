import CGateway

/// An HTTP request copied out of the transport's buffers.
struct HTTPRequest: Sendable {
    var id: UInt64
    var method: String
    var path: String
    var query: String
    var authorization: String
    var remoteAddress: String
    var body: [UInt8]

    init(_ raw: gw_http_request) {
        id = raw.request_id
        method = String(cString: raw.method)
        path = String(cString: raw.path)
        query = String(cString: raw.query)
        authorization = String(cString: raw.authorization)
        remoteAddress = String(cString: raw.remote_address)
        body = raw.body_length > 0 ? Array(UnsafeBufferPointer(start: raw.body, count: raw.body_length)) : []
    }

    /// Returns the percent-decoded value of `name` in the query string.
    func queryValue(_ name: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }
}

import Foundation
