import ArgumentParser
import Foundation
import HearthCore
import HearthWire

extension Hearth {
    struct Skills: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "skills",
            abstract: "List, run and create skills: tools the server runs for its callers and agents.",
            discussion: """
                Built-in skills: time_now, calculate, shell_risk, files_list and files_read
                (administrators; folders of HEARTH_INGEST_ROOTS), knowledge_search, knowledge_ask.
                Your own skills are folders in $XDG_DATA_HOME/hearth/skills (HEARTH_HOME/skills),
                each with a SKILL.md and a program, run in a sandbox (bubblewrap).
                """,
            subcommands: [List.self, Run.self, New.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the skills you may run.")

            @Flag(help: "Print the list as JSON (as GET /hearth/skills answers), input schemas included.")
            var json = false

            func run() async throws {
                do {
                    let list = try await Connection.run(try environmentConfiguration()) { try await $0.skills() }
                    if json { return print(try prettyJSON(list)) }
                    printTable(
                        ["NAME", "ORIGIN", "DESCRIPTION"],
                        list.skills.map { [$0.name, $0.origin + ($0.network ? ", network" : ""), String($0.description.prefix(90))] })
                    for problem in list.problems {
                        FileHandle.standardError.write(Data("skipped skill folder \(problem.folder): \(problem.message)\n".utf8))
                    }
                } catch {
                    throw fail(error)
                }
            }
        }

        struct Run: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Run a skill and print its output.",
                discussion: """
                    The input is a JSON object, given whole or built from --arg KEY=VALUE (a value
                    that parses as JSON is taken as such, anything else as a string).
                    The exit status is 1 when the skill reports an error.

                    Examples:
                      hearth skills run calculate --arg expression='(12.5 * 4) / 3'
                      hearth skills run time_now '{"timezone": "Asia/Tokyo"}'
                      hearth skills run shell_risk --arg command='rm -rf ~/projects'
                    """)

            @Argument(help: "Skill name.")
            var name: String

            @Argument(help: "The input as a JSON object.")
            var input: String?

            @Option(name: .customLong("arg"), help: "One input field, KEY=VALUE (repeat for several).")
            var fields: [String] = []

            func run() async throws {
                let arguments = try arguments()
                let result: SkillsWire.RunResult
                do {
                    result = try await Connection.run(try environmentConfiguration()) { [name] in
                        try await $0.runSkill(name, arguments: arguments)
                    }
                } catch {
                    throw fail(error)
                }
                guard !result.isError else {
                    FileHandle.standardError.write(Data("error: \(result.output)\n".utf8))
                    throw ExitCode(1)
                }
                print(result.output, terminator: result.output.hasSuffix("\n") ? "" : "\n")
            }

            func arguments() throws -> JSONValue {
                var object: [String: JSONValue] = [:]
                if let input {
                    guard case .object(let given) = try? JSONDecoder().decode(JSONValue.self, from: Data(input.utf8)) else {
                        throw ValidationError("the input must be a JSON object, such as '{\"expression\": \"1 + 1\"}'")
                    }
                    object = given
                }
                for field in fields {
                    guard let equals = field.firstIndex(of: "="), equals != field.startIndex else {
                        throw ValidationError("--arg takes KEY=VALUE, got '\(field)'")
                    }
                    let value = String(field[field.index(after: equals)...])
                    object[String(field[..<equals])] = (try? JSONDecoder().decode(JSONValue.self, from: Data(value.utf8))) ?? .string(value)
                }
                return .object(object)
            }
        }

        struct New: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a skill folder to fill in: a SKILL.md and a Python program that reads its input.",
                discussion: """
                    The server finds the new skill at once (no restart). Edit SKILL.md (what it does
                    and the JSON Schema of its input) and run.py, then try it:
                      hearth skills new word_count
                      hearth skills run word_count --arg text='one two three'
                    """)

            @Argument(help: "Skill name: letters, digits, '_' or '-'.")
            var name: String

            func validate() throws {
                guard (1...64).contains(name.count),
                    name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
                else { throw ValidationError("a skill's name is 1 to 64 letters, digits, '_' or '-'") }
            }

            func run() throws {
                let folder = Paths().skills.appending(path: name, directoryHint: .isDirectory)
                let manager = FileManager.default
                guard !manager.fileExists(atPath: folder.path) else {
                    throw fail(HearthError.invalidRequest("\(folder.path) exists already"))
                }
                try manager.createDirectory(at: folder, withIntermediateDirectories: true)
                try Self.manifest(name).write(to: folder.appending(path: "SKILL.md"), atomically: true, encoding: .utf8)
                let program = folder.appending(path: "run.py")
                try Self.program.write(to: program, atomically: true, encoding: .utf8)
                try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
                print("created \(folder.path)")
                print("edit SKILL.md and run.py, then: hearth skills run \(name) --arg text='one two three'")
            }

            static func manifest(_ name: String) -> String {
                """
                ---
                name: \(name)
                description: Count the words of a text.
                input_schema: {"type": "object", "properties": {"text": {"type": "string", "description": "the text"}}, "required": ["text"]}
                command: python3 run.py
                timeout: 10
                network: false
                ---
                # \(name)

                The program gets its input as a JSON object on standard input and prints its
                output. It runs in a sandbox: its folder is read-only at /skill, /work (its
                working folder) and /tmp are scratch space, and there is no network unless
                `network: true`. An exit status other than 0 reports an error.

                """
            }

            static let program = """
                #!/usr/bin/env python3
                import json
                import sys

                arguments = json.load(sys.stdin)
                print(len(arguments["text"].split()))

                """
        }
    }
}
