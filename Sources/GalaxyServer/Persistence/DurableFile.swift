import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that survive a crash or power loss: the reader sees either the old file or the new
/// one, never a partial one.
public enum DurableFile {
    /// A failed system call, with the path and errno text.
    public struct WriteError: Error, CustomStringConvertible {
        public var operation: String
        public var path: String
        public var message: String

        public var description: String { "\(operation) \(path) failed: \(message)" }
    }

    /// Replaces the file at `url` with `data` by writing a temporary file in the same directory, syncing
    /// it, renaming it over `url` and syncing the directory. Without the first sync a power loss can
    /// leave the rename on disk but not the data, so an empty or partial file would replace the old one.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try writeAndSync(data, to: temporary.path)
            guard rename(temporary.path, url.path) == 0 else { throw failure("rename to \(url.path)", temporary.path) }
        } catch {
            unlink(temporary.path)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Syncs a directory so that file creations and renames in it are on disk.
    public static func syncDirectory(_ directory: URL) throws {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { throw failure("open directory", directory.path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync directory", directory.path) }
    }

    private static func writeAndSync(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("create", path) }
        defer { close(descriptor) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = writeBytes(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw failure("write", path) }
                offset += written
            }
        }
        guard fsync(descriptor) == 0 else { throw failure("fsync", path) }
    }

    private static func failure(_ operation: String, _ path: String) -> WriteError {
        WriteError(operation: operation, path: path, message: String(cString: strerror(errno)))
    }
}

/// Calls the C `write(2)`, which `DurableFile.write(_:to:)` hides inside the enum.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
