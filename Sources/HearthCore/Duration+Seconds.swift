extension Duration {
    /// The duration in seconds, with a fraction (for metrics, logs and measurements).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
