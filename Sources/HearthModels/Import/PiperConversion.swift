import Foundation
import HearthCore

/// Turns a Piper voice folder (`NAME.onnx` and `NAME.onnx.json`, as rhasspy publishes them)
/// into one file: the ONNX model with sherpa-onnx's metadata and the phoneme table appended
/// (`PiperVoiceFile`).
struct PiperConversion {
    let model: URL
    let metadata: [(String, String)]

    /// The voice's `.onnx` in `directory`, when it has its `.onnx.json` beside it.
    static func voiceFile(in directory: URL) -> URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().first { $0.hasSuffix(".onnx") && names.contains($0 + ".json") }.map { directory.appending(path: $0) }
    }

    /// - Throws: `HearthError.invalidRequest` when the voice's JSON lacks what a Piper voice has.
    init(directory: URL) throws {
        guard let model = Self.voiceFile(in: directory) else {
            throw HearthError(.invalidRequest, "\(directory.path) has no Piper voice (NAME.onnx with NAME.onnx.json)")
        }
        self.model = model
        let file = model.appendingPathExtension("json")
        guard let data = try? Data(contentsOf: file), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HearthError(.invalidRequest, "\(file.path) is not valid JSON")
        }
        guard let rate = (json["audio"] as? [String: Any])?["sample_rate"] as? Int,
            let map = json["phoneme_id_map"] as? [String: [Int]], !map.isEmpty
        else { throw HearthError(.invalidRequest, "\(file.path) has no audio.sample_rate or phoneme_id_map: is it a Piper voice?") }
        guard json["phoneme_type"] as? String ?? "espeak" == "espeak" else {
            throw HearthError(.invalidRequest, "\(file.path) reads \(json["phoneme_type"] ?? "") phonemes; Hearth speaks espeak voices")
        }
        let voice = (json["espeak"] as? [String: Any])?["voice"] as? String ?? "en-us"
        let language = (json["language"] as? [String: Any])?["name_english"] as? String ?? voice
        // sherpa-onnx's tokens file: "PHONEME ID" per line, in id order.
        let tokens = map.compactMap { phoneme, ids in ids.first.map { (phoneme, $0) } }.sorted { $0.1 < $1.1 }
            .map { "\($0.0) \($0.1)" }.joined(separator: "\n")
        let inference = json["inference"] as? [String: Any] ?? [:]
        metadata = [
            ("model_type", "vits"), ("comment", "piper"), ("language", language), ("voice", voice), ("has_espeak", "1"),
            ("n_speakers", String(json["num_speakers"] as? Int ?? 1)), ("sample_rate", String(rate)),
            ("hearth_noise_scale", String(inference["noise_scale"] as? Double ?? 0.667)),
            ("hearth_noise_w", String(inference["noise_w"] as? Double ?? 0.8)),
            ("hearth_length_scale", String(inference["length_scale"] as? Double ?? 1)),
            ("hearth_tokens", tokens),
        ]
    }

    func write(to output: URL, progress: (Int, Int) -> Void) throws {
        guard FileManager.default.createFile(atPath: output.path, contents: nil), let out = try? FileHandle(forWritingTo: output),
            let input = try? FileHandle(forReadingFrom: model)
        else { throw HearthError(.internalError, "cannot write the converted voice", detail: output.path) }
        defer {
            try? out.close()
            try? input.close()
        }
        while let block = try input.read(upToCount: 4 << 20), !block.isEmpty { try out.write(contentsOf: block) }
        try out.write(contentsOf: PiperVoiceFile.encode(metadata))
        progress(1, 1)
    }
}
