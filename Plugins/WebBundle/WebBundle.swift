import Foundation
import PackagePlugin

/// Embeds the web UI in the target it is applied to (HearthServer): every file under `web/`
/// (served at `/ui/…`, `index.html` at `/`) and the Debian JavaScript libraries listed in
/// `web/vendor.txt` (served at `/ui/vendor/…`), through WebBundler, into a generated Swift
/// file. Rebuilt when any of them changes.
@main
struct WebBundle: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let web = context.package.directoryURL.appending(path: "web")
        // WebBundler reads the folder itself when it runs: SwiftPM keeps this plugin's commands
        // until the package changes, so a file added to web/ later would be missed here. The
        // files seen now are inputs, so that editing any of them (as adding a file edits the
        // one that loads it) runs it again.
        var inputs: [URL] = [web]
        var pairs: [String] = []
        let files = FileManager.default.enumerator(at: web, includingPropertiesForKeys: [.isRegularFileKey])
        while let file = files?.nextObject() as? URL {
            if (try? file.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { inputs.append(file) }
        }
        // vendor.txt: `NAME  /usr/share/…/FILE  DEBIAN-PACKAGE` per line; # starts a comment.
        let vendor = web.appending(path: "vendor.txt")
        inputs.append(vendor)
        for line in try String(contentsOf: vendor, encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].split(separator: " ")
            guard fields.count == 3 else { continue }
            // A missing file is left to WebBundler, which names the package to install.
            if FileManager.default.fileExists(atPath: String(fields[1])) { inputs.append(URL(filePath: String(fields[1]))) }
            pairs.append("/ui/vendor/\(fields[0])=\(fields[1])=\(fields[2])")
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "WebAssets+Packed.swift")
        return [
            .buildCommand(
                displayName: "Embedding the web UI", executable: try context.tool(named: "WebBundler").url,
                arguments: [output.path, web.path] + pairs.sorted(), inputFiles: inputs, outputFiles: [output])
        ]
    }
}
