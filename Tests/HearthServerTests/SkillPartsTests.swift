import Foundation
import HearthCore
import Testing

@testable import HearthServices

/// The pieces of skills that need no server: the calculator and `SKILL.md`.
struct SkillPartsTests {
    @Test(arguments: [
        ("1 + 2 * 3", "7"), ("(1 + 2) * 3", "9"), ("2 ^ 3 ^ 2", "512"), ("-2 ^ 2", "4"), ("10 % 4", "2"), ("7 / 2", "3.5"),
        ("sqrt(16) + abs(-3)", "7"), ("max(1, 5, 3) - min(4, 2)", "3"), ("log(2, 1024)", "10"), ("2.5e3", "2500"),
        ("round(pi * 100) / 100", "3.14"), ("1 / 3", "0.333333333333"),
    ])
    func calculates(_ expression: String, _ expected: String) throws {
        #expect(Arithmetic.format(try Arithmetic.evaluate(expression)) == expected)
    }

    @Test(arguments: [
        ("1 +", "missing"), ("2 * (3", "')' is missing"), ("1 / 0", "division by zero"), ("foo(1)", "unknown function"),
        ("x + 1", "unknown name"), ("1 2", "unexpected '2'"), ("10 ^ 400", "not a finite number"),
        (String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200), "nested more than"),
        (String(repeating: "-", count: 500) + "1", "nested more than"), (String(repeating: "1+", count: 1_500) + "1", "longer than"),
    ])
    func refusesWithAReason(_ expression: String, _ reason: String) {
        #expect(throws: HearthError.self) { try Arithmetic.evaluate(expression) }
        do {
            _ = try Arithmetic.evaluate(expression)
        } catch let error as HearthError {
            #expect(error.message.contains(reason), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func readsAManifest() throws {
        let manifest = try SkillManifest(
            """

            ---
            name: word_count
            description: "Count the words: all of them."
            input_schema: {"type": "object",
              "properties": {"text": {"type": "string"}}}
            command: python3 main.py --fast
            timeout: 12
            network: true
            ---
            # Word count
            """)
        #expect(manifest.name == "word_count")
        #expect(manifest.description == "Count the words: all of them.")
        #expect(manifest.inputSchema.contains(#""properties": {"text""#))
        #expect(manifest.command == ["python3", "main.py", "--fast"])
        #expect(manifest.timeout == 12)
        #expect(manifest.network)
    }

    @Test(arguments: [
        ("name: x\n---\n", "must start with"), ("---\nname: x\n", "no closing"), ("---\ndescription: d\n---\n", "'name' is missing"),
        ("---\nname: a b\ndescription: d\n---\n", "must be 1 to 64"), ("---\nname: x\n---\n", "'description' is missing"),
        ("---\nname: x\ndescription: d\ninput_schema: [1]\n---\n", "not a JSON object"),
        ("---\nname: x\ndescription: d\ntimeout: 9999\n---\n", "'timeout'"),
        ("---\nname: x\ndescription: d\nnetwork: yes\n---\n", "'network'"),
        ("---\nname: x\ndescription: d\nshell: bash\n---\n", "unknown field 'shell'"), ("---\nname: x\nname: y\n---\n", "twice"),
    ])
    func refusesABrokenManifest(_ text: String, _ reason: String) {
        do {
            _ = try SkillManifest(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }
}
