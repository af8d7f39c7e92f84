import HearthCore
import Testing

struct RandomIDTests {
    @Test func idsAreTwentyFourLettersAndDigitsEachEquallyLikely() {
        let ids = (0..<10_000).map { _ in randomID() }
        #expect(Set(ids).count == ids.count)
        let alphabet = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        #expect(ids.allSatisfy { $0.count == 24 && $0.allSatisfy(alphabet.contains) })
        // 240,000 characters: each of the 36 expected 6,667 times (give or take 81); `byte % 36`
        // without skipping 252...255 would give a, b, c and d 7,619 each.
        var counts: [Character: Int] = [:]
        for id in ids { for character in id { counts[character, default: 0] += 1 } }
        #expect(counts.count == 36)
        #expect(counts.values.allSatisfy { (6_167...7_167).contains($0) }, "\(counts.sorted { $0.key < $1.key })")
    }
}
