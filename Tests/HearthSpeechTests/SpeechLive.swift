import Foundation
import HearthTesting
import Synchronization
import Testing

@testable import HearthSpeech

/// The tests that run the real speech models, one at a time (the suites nested in this one),
/// on one thread and one copy of each model: beside the engine's live tests, several voices
/// and Whisper models computing at once would overload a two-core machine.
@Suite(.serialized) enum SpeechLive {
    private static let loaded = Mutex<(voice: Task<PiperVoice, any Error>?, whisper: Task<WhisperModel, any Error>?)>((nil, nil))

    /// The set-up's voice, piper-joe:medium.
    static func voice() async throws -> PiperVoice {
        let path = try TestModels.path("piper-joe:medium")
        let task = loaded.withLock { models in
            if let voice = models.voice { return voice }
            let voice = Task { try await PiperVoice.load(name: "piper-joe:medium", file: URL(filePath: path), threads: 1) }
            models.voice = voice
            return voice
        }
        return try await task.value
    }

    /// The set-up's Whisper model, whisper:tiny.en.
    static func whisper() async throws -> WhisperModel {
        let path = try TestModels.path("whisper:tiny.en")
        let task = loaded.withLock { models in
            if let whisper = models.whisper { return whisper }
            let whisper = Task { try await WhisperModel.load(name: "whisper:tiny.en", file: URL(filePath: path)) }
            models.whisper = whisper
            return whisper
        }
        return try await task.value
    }
}
