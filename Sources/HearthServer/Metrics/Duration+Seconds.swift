extension Duration {
    /// The duration in seconds, for metrics.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
