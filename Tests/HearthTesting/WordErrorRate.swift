import Foundation

/// Word error rate: (substitutions + deletions + insertions) / reference words, after lower
/// case and without punctuation.
public func wordErrorRate(_ hypothesis: String, reference: String) -> Double {
    func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" }.map(String.init)
    }
    let h = words(hypothesis)
    let r = words(reference)
    var row = Array(0...h.count)
    for i in 1...max(r.count, 1) where !r.isEmpty {
        var next = [i] + [Int](repeating: 0, count: h.count)
        for j in 1...max(h.count, 1) where !h.isEmpty {
            next[j] = min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1))
        }
        row = next
    }
    return Double(row[h.count]) / Double(max(r.count, 1))
}
