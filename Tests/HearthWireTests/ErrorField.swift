import HearthCore

/// The field a `HearthError` thrown by `body` names; nil when `body` throws nothing, and a
/// description of any other error (which no wire decoding should throw).
func errorField(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as HearthError {
        return error.field
    } catch {
        return "unexpected \(error)"
    }
}
