// LiveQueryError: what a live page's query cannot answer — a run or sweep the registry does not
// hold (the server answers 404 with the message) or a request it refuses (400).
import Foundation

public struct LiveQueryError: Error, CustomStringConvertible, LocalizedError, Equatable {
  public enum Kind: Sendable, Equatable {
    /// A run id or sweep name the registry does not hold.
    case notFound
    /// A request that cannot be answered as asked (no ids, too many).
    case badRequest
  }

  public var kind: Kind
  public var message: String
  public var description: String { message }
  public var errorDescription: String? { message }

  public init(_ kind: Kind, _ message: String) { (self.kind, self.message) = (kind, message) }
}
