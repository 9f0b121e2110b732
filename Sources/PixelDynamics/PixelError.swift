// Errors a user can cause in the pixel predictor.
import Foundation

/// Errors a user can cause in the pixel predictor: a bad value, naming the key and what was expected.
public enum PixelError: Error, CustomStringConvertible, LocalizedError, Equatable {
  case badValue(key: String, value: String, expected: String)

  public var description: String {
    switch self {
    case .badValue(let key, let value, let expected): return "\(key) must be \(expected), got \(value)"
    }
  }
  public var errorDescription: String? { description }
}
