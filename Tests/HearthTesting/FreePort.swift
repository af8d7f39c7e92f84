import Foundation
import HearthCore

/// A TCP port on 127.0.0.1 that was free a moment ago.
public enum FreePort {
    public static func find() throws -> Int {
        let (descriptor, port) = try bound()
        close(descriptor)
        return port
    }

    /// A socket that listens on a free loopback port and never answers (the kernel accepts
    /// connections into its backlog): a server that is there but silent. Close it when done.
    public static func silentListener() throws -> (descriptor: Int32, port: Int) {
        let (descriptor, port) = try bound()
        guard listen(descriptor, 16) == 0 else { throw HearthError(.internalError, "cannot listen on \(port)") }
        return (descriptor, port)
    }

    private static func bound() throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw HearthError(.internalError, "no free loopback port")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
