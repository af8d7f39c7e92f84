import Foundation
import HearthCore

/// Evaluates an arithmetic expression: numbers, `+ - * / %`, `^` (power, right to left),
/// parentheses, unary signs, the constants `pi` and `e`, and the functions `sqrt abs round
/// floor ceil exp ln log10 log2 sin cos tan min max pow`, and `log(b, x)`. Nothing else: no variables, no
/// calls out. Deep nesting and long input are refused before they cost anything.
struct Arithmetic {
    static let maxLength = 2_000
    static let maxDepth = 64

    private let characters: [Character]
    private var index = 0
    private var depth = 0

    /// - Throws: `HearthError.invalidRequest` saying what is wrong and where.
    static func evaluate(_ expression: String) throws -> Double {
        guard expression.count <= maxLength else {
            throw HearthError.invalidRequest("the expression is longer than \(maxLength) characters", field: "expression")
        }
        var parser = Arithmetic(characters: Array(expression))
        let value = try parser.sum()
        parser.skipSpaces()
        guard parser.index == parser.characters.count else {
            throw parser.error("unexpected '\(parser.characters[parser.index])'")
        }
        guard value.isFinite else { throw HearthError.invalidRequest("the result is not a finite number", field: "expression") }
        return value
    }

    /// `value` as a person writes it: integers without a fraction, others to 12 significant digits.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.12g", value)
    }

    private init(characters: [Character]) { self.characters = characters }

    private func error(_ message: String) -> HearthError {
        HearthError.invalidRequest("\(message) at position \(index + 1) of the expression", field: "expression")
    }

    private mutating func skipSpaces() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    private mutating func take(_ character: Character) -> Bool {
        skipSpaces()
        guard index < characters.count, characters[index] == character else { return false }
        index += 1
        return true
    }

    private mutating func sum() throws -> Double {
        var value = try product()
        while true {
            if take("+") {
                value += try product()
            } else if take("-") {
                value -= try product()
            } else {
                return value
            }
        }
    }

    private mutating func product() throws -> Double {
        var value = try power()
        while true {
            if take("*") {
                value *= try power()
            } else if take("/") {
                let divisor = try power()
                guard divisor != 0 else { throw error("division by zero") }
                value /= divisor
            } else if take("%") {
                let divisor = try power()
                guard divisor != 0 else { throw error("division by zero") }
                value = value.truncatingRemainder(dividingBy: divisor)
            } else {
                return value
            }
        }
    }

    private mutating func power() throws -> Double {
        let base = try unary()
        guard take("^") else { return base }
        return Foundation.pow(base, try nested { try $0.power() })
    }

    private mutating func unary() throws -> Double {
        if take("-") { return -(try nested { try $0.unary() }) }
        if take("+") { return try nested { try $0.unary() } }
        return try primary()
    }

    /// Runs `parse` one level deeper, refusing input nested past `maxDepth`.
    private mutating func nested(_ parse: (inout Arithmetic) throws -> Double) throws -> Double {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw error("nested more than \(Self.maxDepth) levels") }
        return try parse(&self)
    }

    private mutating func primary() throws -> Double {
        skipSpaces()
        guard index < characters.count else { throw error("a number is missing") }
        if take("(") {
            let value = try nested { try $0.sum() }
            guard take(")") else { throw error("')' is missing") }
            return value
        }
        let start = index
        if characters[index].isNumber || characters[index] == "." {
            while index < characters.count, characters[index].isNumber || characters[index] == "." { index += 1 }
            if index < characters.count, characters[index] == "e" || characters[index] == "E" {
                let mark = index
                index += 1
                if index < characters.count, characters[index] == "+" || characters[index] == "-" { index += 1 }
                if index < characters.count, characters[index].isNumber {
                    while index < characters.count, characters[index].isNumber { index += 1 }
                } else {
                    index = mark
                }
            }
            guard let value = Double(String(characters[start..<index])) else {
                index = start
                throw error("'\(String(characters[start..<min(characters.count, start + 20)]))' is not a number")
            }
            return value
        }
        while index < characters.count, characters[index].isLetter || characters[index].isNumber { index += 1 }
        let name = String(characters[start..<index]).lowercased()
        guard !name.isEmpty else { throw error("unexpected '\(characters[index])'") }
        switch name {
        case "pi": return Double.pi
        case "e": return M_E
        default: break
        }
        guard take("(") else { throw error("unknown name '\(name.prefix(40))'") }
        var arguments = [try nested { try $0.sum() }]
        while take(",") { arguments.append(try nested { try $0.sum() }) }
        guard take(")") else { throw error("')' is missing") }
        return try call(name, arguments)
    }

    private func call(_ name: String, _ arguments: [Double]) throws -> Double {
        let one: [String: (Double) -> Double] = [
            "sqrt": { $0.squareRoot() }, "abs": { Swift.abs($0) }, "round": { $0.rounded() }, "floor": { $0.rounded(.down) },
            "ceil": { $0.rounded(.up) }, "exp": { Foundation.exp($0) }, "ln": { Foundation.log($0) },
            "log10": { Foundation.log10($0) }, "log2": { Foundation.log2($0) }, "sin": { Foundation.sin($0) },
            "cos": { Foundation.cos($0) }, "tan": { Foundation.tan($0) },
        ]
        if let function = one[name] {
            guard arguments.count == 1 else { throw error("\(name) takes one argument") }
            return function(arguments[0])
        }
        switch name {
        case "min", "max":
            return name == "min" ? arguments.min()! : arguments.max()!
        case "pow", "log":
            guard arguments.count == 2 else { throw error("\(name) takes two arguments") }
            return name == "pow" ? Foundation.pow(arguments[0], arguments[1]) : Foundation.log(arguments[1]) / Foundation.log(arguments[0])
        default:
            throw error("unknown function '\(name.prefix(40))'")
        }
    }
}
