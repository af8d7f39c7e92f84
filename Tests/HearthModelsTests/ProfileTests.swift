import Foundation
import HearthCore
import HearthModels
import Testing

@Suite struct ProfileTests {
    @Test func parsesTheModelfileKeywords() throws {
        let profile = try Profile.parse(
            """
            # a terse assistant
            FROM smollm2:135m
            SYSTEM \"\"\"You are terse.
            Answer in one sentence.\"\"\"
            PARAMETER temperature 0.2
            PARAMETER num_predict 40
            PARAMETER stop "###"
            PARAMETER stop END
            TEMPLATE chatml
            """)
        #expect(profile.from == "smollm2:135m")
        #expect(profile.system == "You are terse.\nAnswer in one sentence.")
        #expect(profile.parameters.temperature == 0.2)
        #expect(profile.parameters.numPredict == 40)
        #expect(profile.stop == ["###", "END"])
        #expect(profile.template == "chatml")
    }

    @Test func errorsNameTheLine() {
        let unknown = #expect(throws: HearthError.self) { try Profile.parse("FROM x:1\nPARAMETER warmth 3") }
        #expect(unknown?.message.hasPrefix("line 2: unknown parameter 'warmth'") == true)
        let notANumber = #expect(throws: HearthError.self) { try Profile.parse("FROM x:1\nPARAMETER top_k lots") }
        #expect(notANumber?.message.contains("line 2") == true)
        let noBase = #expect(throws: HearthError.self) { try Profile.parse("SYSTEM hi") }
        #expect(noBase?.message.contains("FROM") == true)
        let keyword = #expect(throws: HearthError.self) { try Profile.parse("FROM x:1\nADAPTER lora.gguf") }
        #expect(keyword?.message.contains("line 2: unknown keyword 'ADAPTER'") == true)
    }

    @Test func requestSettingsWinOverTheProfilesDefaults() {
        var parameters = Profile.Parameters()
        parameters.temperature = 0.1
        parameters.numPredict = 30
        let profile = Profile(from: "base:1", system: "Be a pirate.", parameters: parameters, stop: ["###"], template: "chatml")
        var plain = GenerationRequest(model: "p:1", prompt: .chat([ChatMessage(role: .user, content: "hi")]))
        profile.apply(to: &plain)
        #expect(plain.prompt == .chat([ChatMessage(role: .system, content: "Be a pirate."), ChatMessage(role: .user, content: "hi")]))
        #expect(plain.params.temperature == 0.1 && plain.params.maxTokens == 30 && plain.params.stop == ["###"])
        #expect(plain.template == "chatml")
        var specific = GenerationRequest(
            model: "p:1", prompt: .chat([ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "hi")]),
            params: GenerationParams(maxTokens: 5, temperature: 0.9, stop: ["!"]))
        profile.apply(to: &specific)
        #expect(specific.prompt == .chat([ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "hi")]))
        #expect(specific.params.temperature == 0.9 && specific.params.maxTokens == 5 && specific.params.stop == ["!"])
    }

    @Test func aProfileSharesItsBasesFileAndInheritsFromAProfile() throws {
        let store = ModelStore(root: FileManager.default.temporaryDirectory.appending(path: "hearth-profile-\(UUID().uuidString)"))
        let file = try store.scratchFile("test")
        try Data("weights".utf8).write(to: file)
        let base = try store.install(file, as: "base:1")
        var parameters = Profile.Parameters()
        parameters.temperature = 0.3
        let first = try store.create("pirate", profile: Profile(from: "base:1", system: "Arr.", parameters: parameters))
        #expect(first.blob == base.blob)
        let second = try store.create("quiet-pirate:1", profile: Profile(from: "pirate", stop: ["."]))
        #expect(second.profile == Profile(from: "pirate:latest", system: "Arr.", parameters: parameters, stop: ["."]))
        #expect(store.diskUsage() == 7)
        let missing = #expect(throws: HearthError.self) { try store.create("x:1", profile: Profile(from: "nope:1")) }
        #expect(missing?.code == .modelNotFound)
    }
}
