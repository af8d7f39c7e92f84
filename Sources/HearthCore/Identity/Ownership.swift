/// Who may see and change what: every collection, uploaded file and conversation has an
/// owner (a user, or nil for the administrators'); a user reaches only their own, and the
/// collections an administrator shared with them (to read); an administrator reaches all.
/// A key limited to some collections reaches only those, whoever holds it.
extension Principal {
    /// The owner of what this principal creates: its user's id, nil for the operator's
    /// static keys and an open server (their objects are the administrators').
    public var ownerID: Int64? {
        guard let user, user.id > 0 else { return nil }
        return user.id
    }

    /// Whether this principal reaches an object of `ownerID`: its own, or any as an administrator.
    public func owns(_ ownerID: Int64?) -> Bool {
        isAdmin || (ownerID != nil && ownerID == self.ownerID)
    }

    /// Whether this principal may read and search `collection`.
    public func mayRead(_ collection: KnowledgeCollection) -> Bool {
        guard keyAllows(collection.name) else { return false }
        if owns(collection.ownerID) { return true }
        guard let id = self.ownerID else { return false }
        return collection.sharedWith.contains(id) || collection.sharedWith.contains(KnowledgeCollection.everyone)
    }

    /// Whether this principal may change `collection`: add or remove files, rename, delete.
    public func mayChange(_ collection: KnowledgeCollection) -> Bool {
        keyAllows(collection.name) && owns(collection.ownerID)
    }

    /// Whether this principal's key (if it names collections) allows `collection`.
    public func keyAllows(_ collection: String) -> Bool {
        key?.collections.map { $0.contains(collection) } ?? true
    }
}
