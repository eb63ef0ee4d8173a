import CSodium
import Foundation

/// Password hashing (argon2id) and session tokens, through libsodium.
public enum Credentials {
    private static let initialized: Bool = sodium_init() >= 0

    /// Hashes a password with argon2id at libsodium's interactive limits (2 passes, 64 MiB), about 0.1 s.
    public static func hashPassword(_ password: String) throws -> String {
        precondition(initialized, "libsodium failed to initialize")
        var output = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let status = password.withCString { pointer in
            crypto_pwhash_str(
                &output, pointer, UInt64(strlen(pointer)), UInt64(crypto_pwhash_opslimit_interactive()),
                crypto_pwhash_memlimit_interactive())
        }
        guard status == 0 else { throw CredentialsError.hashingFailed }
        return String(cString: output)
    }

    /// Checks a password against an argon2id hash in constant time.
    public static func verify(_ password: String, hash: String) -> Bool {
        precondition(initialized, "libsodium failed to initialize")
        return hash.withCString { hashPointer in
            password.withCString { pointer in
                crypto_pwhash_str_verify(hashPointer, pointer, UInt64(strlen(pointer))) == 0
            }
        }
    }

    /// Returns a new session token: 32 random bytes as lowercase hex.
    public static func newToken() -> String {
        precondition(initialized, "libsodium failed to initialize")
        var bytes = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&bytes, bytes.count)
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a token, the form in which tokens are stored.
    public static func tokenHash(_ token: String) -> Data {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let bytes = Array(token.utf8)
        crypto_hash_sha256(&digest, bytes, UInt64(bytes.count))
        return Data(digest)
    }
}

public enum CredentialsError: Error, CustomStringConvertible {
    case hashingFailed

    public var description: String { "password hashing failed (libsodium could not allocate its memory)" }
}
