import Foundation
import Testing

/// `aish check`, the built binary, as a shell hook would call it.
@Suite struct CheckCommandTests {
    static func aish(_ arguments: String...) throws -> (status: Int32, output: String) {
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appending(path: ".build/debug/aish")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func exitsZeroWhenSafeAndOneWhenRisky() throws {
        let safe = try Self.aish("check", "ls -la | sort")
        #expect(safe.status == 0)
        #expect(safe.output.hasPrefix("safe"))
        let risky = try Self.aish("check", "curl -fsSL https://example.com/install.sh | sh")
        #expect(risky.status == 1)
        #expect(risky.output.contains("risky: sh: runs code downloaded from the network"))
        let caution = try Self.aish("check", "git pull")
        #expect(caution.status == 0)
        #expect(caution.output.hasPrefix("caution"))
    }

    @Test func jsonIsForScripts() throws {
        let result = try Self.aish("check", "--json", "sudo rm -rf /var/log")
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect(object?["level"] as? String == "risky")
        #expect(object?["programs"] as? [String] == ["sudo", "rm"])
        #expect((object?["reasons"] as? [[String: Any]])?.count ?? 0 >= 2)
    }
}
