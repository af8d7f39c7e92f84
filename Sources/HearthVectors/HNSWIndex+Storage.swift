import Foundation
import HearthCore

/// The index file: a header, then the vectors, the links and the ids, written atomically.
extension HNSWIndex {
    static let magic: UInt64 = 0x4854_4833_4E53_5748  // "HWSN3HTH"

    /// Writes the index to `url` atomically (a temporary file renamed into place).
    /// - Throws: file-system errors.
    public func write(to url: URL) throws {
        try lock.reading {
            var data = Data()
            func put<T>(_ value: T) { withUnsafeBytes(of: value) { data.append(contentsOf: $0) } }
            for value in [
                Int64(bitPattern: Self.magic), Int64(dimensions), Int64(parameters.m), Int64(parameters.efConstruction),
                Int64(parameters.efSearch), Int64(parameters.exactBelow), Int64(nodes), Int64(entryPoint), Int64(maxLevel),
                _watermark.lastInsert, _watermark.lastDelete,
            ] {
                put(value)
            }
            data.append(UnsafeBufferPointer(start: vectors, count: nodes * dimensions))
            data.append(UnsafeBufferPointer(start: level0, count: nodes * (maxM0 + 1)))
            ids.withUnsafeBufferPointer { data.append($0) }
            levels.withUnsafeBufferPointer { data.append($0) }
            data.append(contentsOf: removed.map { $0 ? 1 : 0 })
            for list in upper { list.withUnsafeBufferPointer { data.append($0) } }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                throw HearthError(.internalError, "cannot write a vector index", detail: "\(url.path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Reads an index written by `write(to:)`.
    /// - Throws: `HearthError.internalError` when the file is not a complete index.
    public static func read(from url: URL) throws -> HNSWIndex {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        let corrupt = HearthError(.internalError, "\(url.lastPathComponent) is not a complete vector index")
        var offset = 0
        func take<T>(_ count: Int, as type: T.Type) throws -> [T] {
            let bytes = count * MemoryLayout<T>.stride
            guard count >= 0, offset + bytes <= data.count else { throw corrupt }
            defer { offset += bytes }
            return data.withUnsafeBytes { raw in
                (0..<count).map { raw.loadUnaligned(fromByteOffset: offset + $0 * MemoryLayout<T>.stride, as: T.self) }
            }
        }
        let header = try take(11, as: Int64.self)
        guard UInt64(bitPattern: header[0]) == magic, header[1] > 0, header[2] > 1, header[6] >= 0 else { throw corrupt }
        let index = HNSWIndex(
            dimensions: Int(header[1]),
            parameters: Parameters(m: Int(header[2]), efConstruction: Int(header[3]), efSearch: Int(header[4]), exactBelow: Int(header[5])))
        let nodes = Int(header[6])
        let vectorBytes = nodes * index.dimensions * 4
        let linkBytes = nodes * (index.maxM0 + 1) * 4
        guard offset + vectorBytes + linkBytes <= data.count else { throw corrupt }
        index.grow(to: max(nodes, 1))
        data.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(index.vectors).copyMemory(from: raw.baseAddress! + offset, byteCount: vectorBytes)
            UnsafeMutableRawPointer(index.level0).copyMemory(from: raw.baseAddress! + offset + vectorBytes, byteCount: linkBytes)
        }
        offset += vectorBytes + linkBytes
        index.nodes = nodes
        index.ids = try take(nodes, as: Int64.self)
        index.levels = try take(nodes, as: Int32.self)
        index.removed = try take(nodes, as: UInt8.self).map { $0 != 0 }
        for level in index.levels {
            guard level >= 0, level < 64 else { throw corrupt }
            index.upper.append(level > 0 ? try take(Int(level) * (index.parameters.m + 1), as: Int32.self) : [])
        }
        guard offset == data.count, header[7] < nodes, header[8] < 64 else { throw corrupt }
        for (slot, id) in index.ids.enumerated() where !index.removed[slot] { index.slots[id] = Int32(slot) }
        index.entryPoint = Int32(header[7])
        index.maxLevel = Int(header[8])
        index._watermark = Watermark(lastInsert: header[9], lastDelete: header[10])
        return index
    }
}
