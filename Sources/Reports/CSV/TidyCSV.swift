// TidyCSV: long-form CSV tables (one observation per row) written beside every table and plot of
// a report (STYLE habit 14), with RFC 4180 quoting, and the parser the tests round-trip with.
import Foundation
import Registry

public struct TidyCSV: Sendable, Equatable {
  /// DESIGN §4 per-frame metrics.
  public static let perFrameHeader = ["method", "sequence", "frame", "metric", "value"]
  /// Prediction curves: one row per (method, metric, index).
  public static let curveHeader = ["method", "metric", "index", "n", "mean", "ci_low", "ci_high"]

  public let header: [String]
  public private(set) var rows: [[String]] = []

  public init(header: [String]) {
    precondition(!header.isEmpty, "a CSV needs at least one column")
    self.header = header
  }

  /// Appends one row; it must have one field per column.
  public mutating func append(_ fields: [String]) {
    precondition(
      fields.count == header.count,
      "CSV row has \(fields.count) fields for \(header.count) columns: \(fields)")
    rows.append(fields)
  }

  /// A value as the CSV shows it: the shortest text that reads back to the same Double
  /// ("0.1", "28.5", "nan", "inf", "-inf", as pandas reads them).
  public static func number(_ v: Double) -> String { "\(v)" }

  /// RFC 4180 quoting (Registry's `csvField`, the one implementation).
  public static func field(_ s: String) -> String { csvField(s) }

  /// Header and rows, fields quoted where needed, "\n" line ends.
  public func render() -> String {
    var out = header.map(TidyCSV.field).joined(separator: ",") + "\n"
    for r in rows { out += r.map(TidyCSV.field).joined(separator: ",") + "\n" }
    return out
  }

  /// Writes the table atomically.
  public func write(to path: String) throws { try writeReportFile(render(), to: path) }

  /// Records of RFC 4180 text (header included): quoted fields may hold commas, doubled quotes
  /// and line breaks; "\r\n" and "\n" both end a record.
  /// - Throws: `ReportsError.csv` naming `source` and the line of an unterminated quote or of
  ///   text after a closing quote.
  public static func parse(_ text: String, source: String = "<csv>") throws -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var inQuotes = false
    var afterQuote = false
    var line = 1
    var quoteLine = 1
    var chars = Array(text.unicodeScalars)[...]
    while let c = chars.popFirst() {
      if inQuotes {
        if c == "\"" {
          if chars.first == "\"" {
            chars.removeFirst()
            field.unicodeScalars.append("\"")
          } else {
            inQuotes = false
            afterQuote = true
          }
        } else {
          if c == "\n" { line += 1 }
          field.unicodeScalars.append(c)
        }
        continue
      }
      switch c {
      case ",":
        record.append(field)
        field = ""
        afterQuote = false
      case "\r" where chars.first == "\n":
        continue
      case "\n":
        record.append(field)
        records.append(record)
        record = []
        field = ""
        afterQuote = false
        line += 1
      case "\"" where field.isEmpty && !afterQuote:
        inQuotes = true
        quoteLine = line
      default:
        if afterQuote {
          throw ReportsError.csv(source: source, line: line, reason: "text after a closing quote")
        }
        field.unicodeScalars.append(c)
      }
    }
    if inQuotes {
      throw ReportsError.csv(source: source, line: quoteLine, reason: "unterminated quoted field")
    }
    if !field.isEmpty || !record.isEmpty || afterQuote {
      record.append(field)
      records.append(record)
    }
    return records
  }
}
