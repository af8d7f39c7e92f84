import Foundation
import HearthTesting
import Synchronization
import Testing

@testable import HearthSpeech

/// The tests that run the real speech models, one at a time (the suites nested in this one),
/// on one thread and one copy of each model: beside the engine's live tests, several voices
/// and Whisper models computing at once would overload a two-core machine.
@Suite(.serialized) enum SpeechLive {
    private static let loaded = Mutex<(voice: PiperVoice?, whisper: WhisperModel?)>((nil, nil))

    /// The set-up's voice, piper-joe:medium.
    static func voice() throws -> PiperVoice {
        try loaded.withLock { models in
            if let voice = models.voice { return voice }
            let voice = try PiperVoice(name: "piper-joe:medium", file: URL(filePath: try TestModels.path("piper-joe:medium")), threads: 1)
            models.voice = voice
            return voice
        }
    }

    /// The set-up's Whisper model, whisper:tiny.en.
    static func whisper() throws -> WhisperModel {
        try loaded.withLock { models in
            if let whisper = models.whisper { return whisper }
            let whisper = try WhisperModel(name: "whisper:tiny.en", file: URL(filePath: try TestModels.path("whisper:tiny.en")))
            models.whisper = whisper
            return whisper
        }
    }
}
