/// Ids for things clients name later (`chatcmpl-…`, `file-…`, `vs_…`): 24 random lowercase
/// letters and digits. Not for secrets: keys and session tokens are made by the identity service.
public func randomID() -> String {
    String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
}
