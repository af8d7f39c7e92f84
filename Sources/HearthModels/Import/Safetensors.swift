import Foundation
import HearthCore

/// The tensors of a Hugging Face model folder: every `*.safetensors` file in it (one file
/// or shards), memory-mapped, read by name as 32-bit floats.
struct SafetensorsFolder {
    struct Tensor {
        var dtype: String
        /// Row-major (NumPy) order: the last dimension varies fastest.
        var shape: [Int]
        var file: Int
        var range: Range<Int>
    }

    private let files: [Data]
    let tensors: [String: Tensor]

    /// - Throws: `HearthError.invalidRequest` when the folder has no safetensors or one is corrupt.
    init(directory: URL) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !names.isEmpty else {
            throw HearthError(.invalidRequest, "\(directory.path) has no .safetensors file")
        }
        var files: [Data] = []
        var tensors: [String: Tensor] = [:]
        for name in names {
            let url = directory.appending(path: name)
            let data = try Data(contentsOf: url, options: .alwaysMapped)
            func corrupt(_ why: String) -> HearthError {
                HearthError(.invalidRequest, "\(url.path) is not a valid safetensors file: \(why)")
            }
            guard data.count >= 8 else { throw corrupt("it is shorter than its header") }
            let headerLength = Int(data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
            guard headerLength <= data.count - 8,
                let header = try? JSONSerialization.jsonObject(with: data[8..<8 + headerLength]) as? [String: Any]
            else { throw corrupt("its JSON header is unreadable") }
            let base = 8 + headerLength
            for (key, value) in header where key != "__metadata__" {
                guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                    let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                    offsets[0] <= offsets[1], base + offsets[1] <= data.count
                else { throw corrupt("the entry of \(key) is malformed or points past the end of the file") }
                tensors[key] = Tensor(dtype: dtype, shape: shape, file: files.count, range: base + offsets[0]..<base + offsets[1])
            }
            files.append(data)
        }
        self.files = files
        self.tensors = tensors
    }

    /// The tensor's values as floats, in row-major order.
    /// - Throws: `HearthError.invalidRequest` when it is missing or of a type other than F32, F16 or BF16.
    func floats(_ name: String) throws -> [Float] {
        guard let tensor = tensors[name] else { throw HearthError(.invalidRequest, "the model has no tensor \(name)") }
        let count = tensor.shape.reduce(1, *)
        let width = ["F32": 4, "F16": 2, "BF16": 2][tensor.dtype]
        guard let width else {
            throw HearthError(.invalidRequest, "tensor \(name) is \(tensor.dtype); only F32, F16 and BF16 can be imported")
        }
        guard tensor.range.count == count * width else {
            throw HearthError(.invalidRequest, "tensor \(name) has \(tensor.range.count) bytes for \(count) \(tensor.dtype) values")
        }
        return files[tensor.file].withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[tensor.range])
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                switch tensor.dtype {
                case "F32":
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    }
                case "F16":
                    for i in 0..<count {
                        out[i] = Float(
                            Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
                    }
                default:
                    for i in 0..<count {
                        out[i] = Float(
                            bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
                    }
                }
                initialized = count
            }
        }
    }
}

/// Encodes float weights in the ggml types the importer writes.
enum TensorEncoding {
    static func encode(_ values: [Float], as type: GGMLType) -> Data {
        switch type {
        case .f32: values.withUnsafeBytes { Data($0) }
        case .f16: values.map { Float16($0) }.withUnsafeBytes { Data($0) }
        case .q8_0: q8_0(values)
        default: preconditionFailure("the importer does not write \(type)")
        }
    }

    /// ggml's reference Q8_0: blocks of 32 values as one f16 scale and 32 signed bytes.
    static func q8_0(_ values: [Float]) -> Data {
        precondition(values.count % 32 == 0)
        var out = Data(capacity: values.count / 32 * 34)
        var block = [Int8](repeating: 0, count: 32)
        for start in stride(from: 0, to: values.count, by: 32) {
            var amax: Float = 0
            for i in start..<start + 32 { amax = max(amax, abs(values[i])) }
            let scale = amax / 127
            let inverse = scale == 0 ? 0 : 1 / scale
            for i in 0..<32 { block[i] = Int8((values[start + i] * inverse).rounded()) }
            out.append(integer: Float16(scale).bitPattern)
            block.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }
}
