// Markup: escaping of text for HTML and SVG (one rule serves both: they are parsed as XML-ish
// text and attribute values) and the compact number format used for SVG coordinates.
import Foundation

public enum Markup {
  /// `s` safe inside element text and single- or double-quoted attribute values. Control
  /// characters XML forbids become U+FFFD so an SVG stays well-formed whatever a name holds.
  public static func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
      switch u {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(u)
      default:
        if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out
  }

  /// One element, `<name k="v" …/>`, or `<name k="v" …>text</name>` with `text`; attribute
  /// values and text are escaped, attributes keep their order.
  static func element(_ name: String, _ attributes: KeyValuePairs<String, String>, text: String? = nil)
    -> String
  {
    var o = "<" + name
    for (k, v) in attributes { o += " \(k)=\"\(escape(v))\"" }
    guard let text else { return o + "/>" }
    return o + ">" + escape(text) + "</\(name)>"
  }

  /// `<name k="v" …>inner</name>`: attributes escaped, `inner` (markup the caller built from
  /// escaped parts, e.g. a `<title>`) kept as it is.
  static func container(_ name: String, _ attributes: KeyValuePairs<String, String>, inner: String)
    -> String
  {
    String(element(name, attributes).dropLast(2)) + ">" + inner + "</\(name)>"
  }

  /// A data value for a hover attribute or tooltip: six significant digits ("0.123457", "1e-05", "120000").
  static func value(_ v: Double) -> String { v.isFinite ? String(format: "%.6g", v) : "\(v)" }

  /// A coordinate with at most two decimals and no trailing zeros ("12", "3.5", "-0.25").
  static func number(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    if r == r.rounded() { return String(Int(r)) }
    var s = String(format: "%.2f", r)
    while s.hasSuffix("0") { s.removeLast() }
    return s
  }
}
