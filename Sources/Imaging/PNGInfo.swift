// PNGInfo: a PNG's IHDR fields, read from the first 33 bytes, and the limits every PNG is held to
// before its pixels are allocated. A header is a claim, not a fact: a 69-byte file may say
// 30000×30000. So before decoding:
//   - each side is at most `ImageLimits.maxSide` (16384 px, far above any video frame);
//   - the file must be large enough to hold that many pixels: deflate compresses at most about
//     1032:1, so a file smaller than the filtered pixel rows / 1100 cannot be complete;
//   - the decoded image (libpng's RGBA buffer plus the float planes) must fit in the memory
//     available (`MemoryBudget`).
// Each refusal names the file and the numbers.
import Foundation
import SafeIO

public enum ImageLimits {
  /// Longest side of any image read, in pixels.
  public static let maxSide = 16384
  /// Deflate's best ratio is about 1032:1; a little slack for headers.
  static let maxCompressionRatio = 1100

  /// Bytes a decoded w×h image takes (libpng's 8- or 16-bit RGBA buffer plus three float planes).
  public static func decodedBytes(width: Int, height: Int, sixteenBit: Bool = false) -> Int {
    width * height * ((sixteenBit ? 8 : 4) + 12)
  }
}

public struct PNGInfo: Sendable, Equatable {
  public var width: Int
  public var height: Int
  public var bitDepth: Int
  /// 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
  public var colorType: Int
  public var interlaced: Bool

  /// Samples per pixel as stored.
  public var channels: Int {
    switch colorType {
    case 2: return 3
    case 4: return 2
    case 6: return 4
    default: return 1
    }
  }

  public var isColor: Bool { !(colorType == 0 || colorType == 4) }

  /// Bytes of the filtered pixel rows (what the compressed data inflates to, without interlacing).
  public var rawBytes: Int { height * (1 + (width * channels * bitDepth + 7) / 8) }

  /// Fewest bytes a complete file of this size can have.
  public var minimumFileBytes: Int { rawBytes / ImageLimits.maxCompressionRatio }

  /// Parses the signature and the IHDR chunk (`bytes` from the start of the file; 33 are needed).
  public static func parse(_ bytes: [UInt8], path: String) throws -> PNGInfo {
    let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count >= 8, Array(bytes[0..<8]) == sig else {
      if !bytes.isEmpty && bytes.count < 8 && Array(bytes) == Array(sig.prefix(bytes.count)) {
        throw ImagingError.truncated(path: path, detail: "file ends inside the signature")
      }
      throw ImagingError.notPNG(path: path)
    }
    guard bytes.count >= 29, bytes[12] == 0x49, bytes[13] == 0x48, bytes[14] == 0x44, bytes[15] == 0x52 else {
      throw ImagingError.truncated(path: path, detail: "no IHDR chunk")
    }
    func be(_ i: Int) -> Int {
      Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
    }
    let info = PNGInfo(
      width: be(16), height: be(20), bitDepth: Int(bytes[24]), colorType: Int(bytes[25]),
      interlaced: bytes[28] != 0)
    guard info.width > 0, info.height > 0 else {
      throw ImagingError.truncated(path: path, detail: "header says \(info.width)×\(info.height) pixels")
    }
    guard [1, 2, 4, 8, 16].contains(info.bitDepth), [0, 2, 3, 4, 6].contains(info.colorType) else {
      throw ImagingError.truncated(
        path: path, detail: "IHDR has bit depth \(info.bitDepth) and color type \(info.colorType)")
    }
    return info
  }

  /// The limits of the header comment; `fileBytes` is the file's size.
  public func checkLimits(path: String, fileBytes: Int, memory: Bool = true) throws {
    guard width <= ImageLimits.maxSide, height <= ImageLimits.maxSide else {
      throw ImagingError.tooLarge(
        path: path,
        detail:
          "header says \(width)×\(height) pixels; images may be at most \(ImageLimits.maxSide) px a side")
    }
    guard fileBytes >= minimumFileBytes else {
      throw ImagingError.tooLarge(
        path: path,
        detail:
          "header says \(width)×\(height) pixels (\(byteCount(Double(rawBytes))) of pixel rows, at least "
          + "\(byteCount(Double(minimumFileBytes))) compressed), but the file has \(byteCount(Double(fileBytes))): truncated or crafted"
      )
    }
    // Small images are never refused for memory (and skip reading /proc for every frame).
    let decoded = ImageLimits.decodedBytes(width: width, height: height, sixteenBit: bitDepth == 16)
    if memory && decoded > 64 << 20 {
      do {
        try MemoryBudget.check(decoded, "header says \(width)×\(height) pixels")
      } catch let e as InputRefused {
        throw ImagingError.tooLarge(path: path, detail: e.message)
      }
    }
  }
}
