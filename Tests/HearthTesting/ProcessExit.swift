import Foundation
import HearthCore

extension Process {
    /// Waits for the process to end on a thread of its own (`onOwnThread`). Swift's shared pool
    /// has a thread per core and runs every test of the process: on two cores, two tests
    /// holding a thread each while a process runs stall all the others (servers in this process
    /// stop answering, deadlines pass).
    public func exited() async {
        _ = try? await onOwnThread("hearth-test-wait") { self.waitUntilExit() }
    }
}
