/// What a question says beyond what an embedding weighs: its numbers, its negations, its
/// content words and which of them point at which (`celsius to fahrenheit`). Two questions
/// whose embeddings are close may share an answer only when these agree, so that "not",
/// another number, another name, an opposite verb or swapped roles never get a cached answer
/// to a different question. Made to refuse when unsure: a missed hit costs one generation, a
/// wrong one a wrong answer.
struct QuestionContent: Sendable, Equatable {
    /// Numbers, in digits ("five" is 5), in order.
    var numbers: [String]
    /// Names (capitalised words past the first, acronyms, single capital letters), in order:
    /// `Is Canada bigger than the US` is not `Is the US bigger than Canada`. They are content
    /// words too.
    var names: [String]
    /// How many negations (not, no, never, without, n't, …).
    var negations: Int
    /// Content words, lowercased, stemmed and with a few synonyms merged.
    var words: Set<String>
    /// The content words in the order they first come, an owner after what it owns (`the
    /// admin's files` as `files admin`, like `the files of the admin`): `can a guest see the
    /// admin's files` is not `can the admin see a guest's files` (neighbours may swap).
    var order: [String]
    /// The content words on either side of each relation word (`to`, `from`, `than`, …).
    var relations: Set<Relation>

    struct Relation: Hashable, Sendable {
        var before: String
        var word: String
        var after: String
    }

    init(_ text: String) {
        var numbers: [String] = []
        var names: [String] = []
        var negations = 0
        var words = Set<String>()
        var relations = Set<Relation>()
        var order: [String] = []
        var owner: String?  // a possessive's owner, placed after the next content word
        var lastWord: String?
        var pending: [String] = []  // relation words seen since the last content word
        for (index, original) in Self.tokens(text).enumerated() {
            var token = original.lowercased()
            if token.hasSuffix("n't") || Self.negatedContractions.contains(token) {
                negations += 1
                continue
            }
            let possessive = token.hasSuffix("'s")
            if possessive { token.removeLast(2) }
            token = token.replacingOccurrences(of: "'", with: "")
            if Self.negations.contains(token) {
                negations += 1
                continue
            }
            if let number = Self.number(token) {
                numbers.append(number)
                continue
            }
            if Self.relationWords.contains(token) {
                pending.append(Self.relationSynonyms[token] ?? token)
                continue
            }
            let word = Self.normalized(token)
            if Self.isName(original, first: index == 0) {
                names.append(word)
            } else if token.isEmpty || Self.stopWords.contains(token) || Self.stopWords.contains(word) {
                continue
            }
            words.insert(word)
            if possessive {
                if let owner, !order.contains(owner) { order.append(owner) }
                owner = word
            } else {
                if !order.contains(word) { order.append(word) }
                if let held = owner, !order.contains(held) { order.append(held) }
                owner = nil
            }
            if let lastWord {
                for relationWord in pending { relations.insert(Relation(before: lastWord, word: relationWord, after: word)) }
            }
            pending = []
            lastWord = word
        }
        if let owner, !order.contains(owner) { order.append(owner) }
        self.order = order
        self.numbers = numbers
        self.names = names
        self.negations = negations
        self.words = words
        self.relations = relations
    }

    /// Whether a question of this content may take the answer to one of `other`'s: the same
    /// numbers, negations and content words in the same order, and no relation of one
    /// reversed or pointed elsewhere in the other.
    func mayShareAnswer(with other: QuestionContent) -> Bool {
        guard numbers == other.numbers, negations == other.negations, words == other.words,
            Self.sameOrderButNeighbours(order, other.order)
        else { return false }
        // Names both write as names keep their order (`type A … type O`).
        guard names.filter(Set(other.names).contains) == other.names.filter(Set(names).contains) else { return false }
        for mine in relations {
            for theirs in other.relations where theirs.word == mine.word && theirs != mine {
                if theirs.before == mine.before || theirs.after == mine.after
                    || (theirs.before == mine.after && theirs.after == mine.before)
                {
                    return false
                }
            }
        }
        return true
    }

    /// Words and numbers as written: an apostrophe between letters and a dot between letters
    /// or digits stay inside (`don't`, `3.5`, `node.js`).
    static func tokens(_ text: String) -> [String] {
        let characters = Array(text.replacingOccurrences(of: "\u{2019}", with: "'"))
        var tokens: [String] = []
        var current = ""
        for (index, character) in characters.enumerated() {
            let previous = index > 0 ? characters[index - 1] : " "
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            let joins =
                !current.isEmpty
                && ((character == "'" && previous.isLetter && next.isLetter)
                    || (character == "." && (previous.isLetter || previous.isNumber) && (next.isLetter || next.isNumber)))
            if character.isLetter || character.isNumber || joins {
                current.append(character)
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// Whether two orders of the same words differ at most by neighbours swapped (`a python
    /// list`, `a list in python`): a word moved further (`can the admin see a guest's files`)
    /// changes who does what.
    static func sameOrderButNeighbours(_ a: [String], _ b: [String]) -> Bool {
        guard a.count == b.count else { return false }
        var index = 0
        while index < a.count {
            if a[index] == b[index] {
                index += 1
            } else if index + 1 < a.count, a[index] == b[index + 1], a[index + 1] == b[index] {
                index += 2
            } else {
                return false
            }
        }
        return true
    }

    /// Whether a token as written is a name: an acronym (`US`, `PDF`), a single capital letter
    /// (`type O`), or a capitalised word that is not the question's first word (`France`).
    static func isName(_ token: String, first: Bool) -> Bool {
        guard let initial = token.first, initial.isUppercase, token != "I" else { return false }
        let letters = token.filter(\.isLetter)
        if letters.count >= 2, letters.allSatisfy(\.isUppercase) { return true }
        if letters.count == 1 { return !first }
        return !first && !stopWords.contains(token.lowercased())
    }

    /// A number word or digits as digits; nil for other words.
    static func number(_ token: String) -> String? {
        if let first = token.first, first.isNumber, token.allSatisfy({ $0.isNumber || $0 == "." }) {
            return token.hasSuffix(".") ? String(token.dropLast()) : token
        }
        // 1st, 2nd, 10th
        if let first = token.first, first.isNumber, ["st", "nd", "rd", "th"].contains(String(token.suffix(2))),
            token.dropLast(2).allSatisfy(\.isNumber)
        {
            return "#" + token.dropLast(2)
        }
        return numberWords[token]
    }

    /// A word's stem, with a few synonyms merged: plurals and verb endings go.
    static func normalized(_ word: String) -> String {
        var word = synonyms[word] ?? word
        if word.count > 4, word.hasSuffix("ies") {
            word = String(word.dropLast(3)) + "y"
        } else if word.count > 4, word.hasSuffix("es"), ["sh", "ch", "xe", "se", "ze"].contains(where: { word.dropLast(1).hasSuffix($0) }) {
            word.removeLast(2)
        } else if word.count > 3, word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is") {
            word.removeLast()
        } else if word.count > 5, word.hasSuffix("ing") {
            word.removeLast(3)
        } else if word.count > 4, word.hasSuffix("ed") {
            word.removeLast(2)
        } else if word.count > 5, word.hasSuffix("ly") {
            word.removeLast(2)
        }
        return synonyms[word] ?? word
    }

    static let negations: Set = [
        "not", "no", "never", "none", "nobody", "nothing", "nowhere", "neither", "nor", "without", "cannot", "dont", "doesnt",
        "isnt", "arent", "wasnt", "werent", "cant", "couldnt", "shouldnt", "wouldnt", "didnt", "hasnt", "havent", "hadnt",
        "mustnt", "neednt", "non", "avoid", "except", "excluding", "unless",
    ]
    static let negatedContractions: Set = ["won't", "can't", "ain't", "shan't"]

    /// Words that relate the content words around them; swapping what is on either side
    /// changes the question (`celsius to fahrenheit`, `older than`).
    static let relationWords: Set = [
        "to", "into", "from", "than", "vs", "versus", "on", "of", "in", "by", "for", "with", "per", "at", "between", "toward",
        "towards", "onto",
    ]
    static let relationSynonyms = ["into": "to", "towards": "to", "toward": "to", "onto": "on", "versus": "vs"]

    /// Words that carry no content of their own in a question: asking, politeness, articles,
    /// pronouns and auxiliaries. Negations, relations, quantities and directions are not here.
    static let stopWords: Set = [
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "have", "has",
        "had", "having", "i", "me", "my", "mine", "myself", "we", "us", "our", "you", "your", "yours", "it", "its", "this",
        "that", "these", "those", "there", "here", "what", "whats", "which", "who", "whom", "whose", "how", "hows", "why",
        "when", "where", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "please", "pls", "plz",
        "tell", "explain", "wanna", "way", "ways", "proper", "correct", "just", "simply", "actually", "really", "exactly",
        "and", "or", "so", "then", "also", "about", "let", "lets", "hi", "hello", "hey", "thanks", "thank", "question",
        "wondering", "curious", "someone", "anyone", "somebody", "anybody", "basically", "possible", "able", "im", "ive",
        "id", "youre", "theres", "via", "method", "steps", "step", "guide", "command",
    ]

    /// Common ways of saying the same thing in a question, merged.
    static let synonyms = [
        "big": "large", "bigger": "larger", "biggest": "largest", "huge": "large", "tiny": "small", "little": "small",
        "quick": "fast", "quicker": "faster", "quickest": "fastest", "speedy": "fast", "folder": "directory", "dir": "directory",
        "folders": "directory", "directories": "directory", "picture": "image", "photo": "image", "pic": "image", "img": "image",
        "erase": "delete", "rm": "delete", "remove": "delete", "display": "show", "shown": "show", "see": "check",
        "view": "check", "int": "integer", "dict": "dictionary", "env": "environment", "quit": "exit",
        "begin": "start", "launch": "start", "finish": "end", "difference": "differ", "different": "differ",
        "utilize": "use", "utilise": "use", "automobile": "car", "kids": "child", "kid": "child",
        "children": "child", "people": "person", "persons": "person", "mins": "minute", "min": "minute", "secs": "second",
        "sec": "second", "hrs": "hour", "hr": "hour", "doc": "document", "docs": "document", "repo": "repository",
        "config": "configuration", "configure": "configuration", "setup": "set", "installing": "install", "installation": "install",
        "deleting": "delete", "removing": "delete", "running": "run", "ran": "run", "wrote": "write", "written": "write",
        "writing": "write", "took": "take", "taken": "take", "taking": "take", "bought": "buy", "buying": "buy",
        "calculate": "compute", "calculating": "compute", "calculation": "compute", "computing": "compute",
        "mac": "macos", "osx": "macos", "js": "javascript", "py": "python", "u": "you", "ur": "your", "thx": "thanks",
        "amount": "quantity", "number": "quantity", "count": "quantity", "many": "quantity", "much": "quantity",
        "length": "long", "lengthy": "long", "cost": "price", "costs": "price", "expensive": "price",
    ]

    static let numberWords = [
        "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
        "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
        "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
        "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
        "million": "1000000", "billion": "1000000000", "dozen": "12", "half": "0.5", "quarter": "0.25", "double": "x2",
        "twice": "x2", "triple": "x3", "first": "#1", "second": "#2", "third": "#3", "fourth": "#4", "fifth": "#5",
        "last": "#last", "next": "#next", "previous": "#previous",
    ]
}
