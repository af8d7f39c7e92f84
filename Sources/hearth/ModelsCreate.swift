import ArgumentParser
import Foundation
import HearthWire

extension Hearth.Models {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a profile: a model with its own system prompt, default parameters, stop strings or template.",
            discussion: """
                A profile shares its base model's file and works everywhere a model does
                (/v1/models, chat, hearth run). Flags override what --file says.

                Examples:
                  hearth models create pirate --from smollm2:135m --system "You are a pirate." --parameter temperature=0.3
                  hearth models create terse:v1 --file ./terse.profile

                A profile file uses Ollama's Modelfile keywords:
                  FROM smollm2:135m
                  SYSTEM \"\"\"You are terse.
                  Answer in one sentence.\"\"\"
                  PARAMETER temperature 0.2
                  PARAMETER stop "###"
                  TEMPLATE chatml
                """)

        @Argument(help: "Name of the new profile (name:tag).") var name: String
        @Option(help: "Base model (an installed name or profile).") var from: String?
        @Option(name: .shortAndLong, help: "A profile file (FROM, SYSTEM, PARAMETER, TEMPLATE lines).") var file: String?
        @Option(help: "System prompt used when a conversation has none.") var system: String?
        @Option(
            name: .customLong("parameter"),
            help: ArgumentHelp("A default parameter, name=value; repeat for several.", valueName: "name=value"))
        var parameters: [String] = []
        @Option(help: "A stop string; repeat for several.") var stop: [String] = []
        @Option(help: "A chat template llama.cpp has built in (chatml, llama3, gemma, …) instead of the model's.") var template: String?

        func validate() throws {
            if from == nil && file == nil { throw ValidationError("give the base model with --from, or a profile file with --file") }
            for parameter in parameters where !parameter.contains("=") {
                throw ValidationError("--parameter takes name=value, got '\(parameter)'")
            }
        }

        func run() async throws {
            do {
                var values: [String: String] = [:]
                var stop = stop
                for parameter in parameters {
                    let parts = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                    if parts[0] == "stop" { stop.append(parts[1]) } else { values[parts[0]] = parts[1] }
                }
                let request = ModelsWire.CreateRequest(
                    name: name,
                    modelfile: try file.map { try String(contentsOfFile: ($0 as NSString).expandingTildeInPath, encoding: .utf8) },
                    from: from, system: system, parameters: values, stop: stop, template: template)
                let created = try await Connection.run(try environmentConfiguration()) { try await $0.createModel(request) }
                print("created \(created.name) from \(created.from ?? "?")")
            } catch { throw fail(error) }
        }
    }
}
