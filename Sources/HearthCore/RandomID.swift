/// Ids for things clients name later (`chatcmpl-…`, `file-…`, `vs_…`): 24 random lowercase
/// letters and digits. Not for secrets: keys and session tokens are made by the identity service.
public func randomID() -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    // Random bytes 64 bits at a time (each draw from the system generator is a system call);
    // bytes at or above 252 (7 × 36) are skipped so that every character is equally likely.
    var generator = SystemRandomNumberGenerator()
    var id: [UInt8] = []
    id.reserveCapacity(24)
    while id.count < 24 {
        var bits = generator.next()
        for _ in 0..<8 where id.count < 24 {
            let byte = UInt8(truncatingIfNeeded: bits)
            bits >>= 8
            if byte < 252 { id.append(alphabet[Int(byte % 36)]) }
        }
    }
    return String(decoding: id, as: UTF8.self)
}
