import Foundation
import HearthModels
import HearthTesting
import Testing

/// The GGUF reader on the real models the set-up installs.
@Suite struct ModelHeadersTests {
    @Test func readsTheRealModelsHeadersLikeLlamaCpp() throws {
        let smollm = try ModelMetadata.read(URL(filePath: try TestModels.smollm2))
        #expect(smollm.architecture == "llama")
        #expect(smollm.quantization == "Q4_1")
        #expect(smollm.contextLength == 8192)
        #expect(smollm.embeddingLength == 576)
        #expect(smollm.vocabularySize == 49152)
        #expect((134_000_000...135_000_000).contains(smollm.parameters))
        #expect(smollm.chatTemplate?.contains("<|im_start|>") == true)
        let gemma = try ModelMetadata.read(URL(filePath: try TestModels.gemma3))
        #expect(gemma.architecture == "gemma3")
        #expect(gemma.quantization == "Q4_K_M")
        #expect(gemma.chatTemplate == nil)
    }
}
