import XCTest
@testable import Storage

final class PlaceholderTests: XCTestCase { func testNothing() {} }
