internal import CSherpa
import Foundation
import HearthCore
import Synchronization

/// Text to IPA phonemes with espeak-ng, as Piper voices were trained on (piper-phonemize):
/// clause by clause, each clause's punctuation kept after its phonemes. espeak-ng keeps
/// global state, so one call runs at a time in the process.
enum Phonemizer {
    private static let lock = Mutex<Bool?>(nil)

    /// The phonemes of `text` in `voice` (espeak-ng's name, such as `en-us`).
    /// - Throws: `HearthError.unavailable` when espeak-ng or its data is missing.
    static func phonemes(_ text: String, voice: String) throws -> String {
        try lock.withLock { ready in
            if ready == nil {
                // Synchronous output, default data path; no audio device is opened.
                ready = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, 0) > 0
            }
            guard ready == true else {
                throw HearthError(.unavailable, "espeak-ng cannot start: is its data installed (Debian package espeak-ng-data)?")
            }
            guard espeak_SetVoiceByName(voice) == EE_OK else {
                throw HearthError(.unavailable, "espeak-ng has no voice \(voice) (install its data, Debian package espeak-ng-data)")
            }
            var out = ""
            for (clause, mark) in clauses(text) {
                clause.withCString { start in
                    var pointer: UnsafeRawPointer? = UnsafeRawPointer(start)
                    while pointer != nil {
                        guard let phonemes = espeak_TextToPhonemes(&pointer, espeakCHARS_UTF8, espeakPHONEMES_IPA) else { break }
                        out += String(cString: phonemes)
                    }
                }
                if let mark { out += String(mark) + " " }
            }
            return out.trimmingCharacters(in: .whitespaces)
        }
    }

    /// `text` cut after each clause mark that ends a word (not the point of 3.5), with the
    /// mark (espeak-ng 1.51 drops it).
    static func clauses(_ text: String) -> [(String, Character?)] {
        var clauses: [(String, Character?)] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            let ends = index + 1 == characters.count || characters[index + 1].isWhitespace
            if ".,;:!?".contains(character), ends {
                clauses.append((current, character))
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { clauses.append((current, nil)) }
        return clauses
    }
}
