import Foundation
import Testing

@testable import AishKit

@Suite struct SettingsTests {
    @Test func flagsThenVariablesThenTheConfigFileThenDefaults() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "aish-settings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appending(path: "aish"), withIntermediateDirectories: true)
        try "# mine\nAISH_MODEL = \"gemma3:270m\"\nAISH_HOST=box:9000\n".write(
            to: folder.appending(path: "aish/config"), atomically: true, encoding: .utf8)

        let defaults = Settings(environment: [:])
        #expect(defaults.server.url == "http://127.0.0.1:8420")
        #expect(defaults.model == "smollm2:135m" && defaults.apiKey == nil)

        let file = Settings(environment: ["XDG_CONFIG_HOME": folder.path])
        #expect(file.server.url == "http://box:9000" && file.model == "gemma3:270m")

        let variables = Settings(environment: [
            "XDG_CONFIG_HOME": folder.path, "AISH_HOST": "https://api.example.com/v1", "AISH_API_KEY": "k",
        ])
        #expect(variables.server.url == "https://api.example.com:443/v1" && variables.apiKey == "k")
    }

    @Test func hearthSettingsAreUnderstoodAsHearthMeansThem() {
        // HEARTH_HOST may be a bare host: Hearth's port then, as `hearth serve` reads it.
        let bare = Settings(environment: ["HEARTH_HOST": "localhost", "HEARTH_API_KEYS": " first , second"])
        #expect(bare.server.url == "http://localhost:8420")
        #expect(bare.apiKey == "first")
        #expect(Settings(environment: ["HEARTH_HOST": "10.0.0.2:9100"]).server.url == "http://10.0.0.2:9100")
        #expect(Settings(environment: ["OPENAI_API_KEY": "sk"]).apiKey == "sk")
    }

    @Test func historyLivesInTheStateFolder() {
        #expect(Settings.historyFile(["XDG_STATE_HOME": "/s"]).path == "/s/aish/history")
        #expect(Settings.historyFile(["HOME": "/h"]).path == "/h/.local/state/aish/history")
    }
}
