// PNG read/write through libpng's simplified API (which handles libpng's longjmp errors itself).
//
// In: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and palette files. 8-bit files are read as
// 8-bit RGBA (gray replicated, palette expanded) and alpha is dropped; 16-bit files are read as
// 16-bit (value / 65535). NOTE: libpng's simplified reader treats 16-bit data as linear and 8-bit
// data as sRGB; a file whose gAMA chunk says otherwise is converted accordingly (PIL ignores gAMA).
// 16-bit files with alpha come back premultiplied from libpng and are un-premultiplied here.
// Out: 8-bit RGB, values clamped to [0, 1] and rounded, through a temporary file renamed into
// place. Reads check the file's kind (a FIFO named x.png would block) and the header's claims
// (PNGInfo's limits) before anything is allocated.
import CPNG
import Foundation
import SafeIO

private let formatAlpha: UInt32 = 0x01
private let formatColor: UInt32 = 0x02
private let formatLinear: UInt32 = 0x04
private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

private func message(of image: png_image) -> String {
  withUnsafeBytes(of: image.message) { raw in
    let bytes = raw.prefix { $0 != 0 }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// Reads a PNG file into an RGBImage (values in [0, 1]).
public func readPNG(_ path: String) throws -> RGBImage {
  switch FileKind.of(path) {
  case .regular: break
  case .missing: throw ImagingError.notFound(path: path)
  case .directory: throw ImagingError.notAFile(path: path, detail: "a folder, not a PNG file")
  case .special(let k): throw ImagingError.notAFile(path: path, detail: "\(k), not a PNG file")
  }
  // A large file is checked against the memory available before it is read whole; the pixels
  // its header claims are checked by decodePNG before libpng allocates anything.
  let size = FileKind.size(path) ?? 0
  if size > 64 << 20 {
    do { try MemoryBudget.check(size, "a \(byteCount(Double(size))) PNG file") } catch let e as InputRefused {
      throw ImagingError.tooLarge(path: path, detail: e.message)
    }
  }
  let data: Data
  do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
    throw ImagingError.unreadable(path: path, detail: error.localizedDescription)
  }
  return try decodePNG(data, path: path)
}

/// Decodes PNG bytes; `path` only names the source in errors.
public func decodePNG(_ data: Data, path: String = "<memory>") throws -> RGBImage {
  guard data.count >= 8, Array(data.prefix(8)) == pngSignature else {
    if data.count < 8 && Array(data) == Array(pngSignature.prefix(data.count)) && !data.isEmpty {
      throw ImagingError.truncated(path: path, detail: "file ends inside the signature")
    }
    throw ImagingError.notPNG(path: path)
  }
  // The header's claims against the limits before libpng allocates anything.
  try PNGInfo.parse([UInt8](data.prefix(33)), path: path).checkLimits(path: path, fileBytes: data.count)
  return try data.withUnsafeBytes { raw -> RGBImage in
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
      let m = message(of: image)
      png_image_free(&image)
      throw ImagingError.truncated(path: path, detail: m)
    }
    let w = Int(image.width), h = Int(image.height)
    let sixteen = image.format & formatLinear != 0
    let hasAlpha = image.format & formatAlpha != 0
    let plane = w * h
    var pixels = [Float](repeating: 0, count: 3 * plane)
    if !sixteen {
      image.format = formatColor | formatAlpha  // 8-bit RGBA
      let buffer: [UInt8] = try finishRead(&image, count: 4 * plane, path: path)
      buffer.withUnsafeBufferPointer { src in
        pixels.withUnsafeMutableBufferPointer { dst in
          let s: Float = 1 / 255
          for i in 0..<plane {
            dst[i] = Float(src[4 * i]) * s
            dst[plane + i] = Float(src[4 * i + 1]) * s
            dst[2 * plane + i] = Float(src[4 * i + 2]) * s
          }
        }
      }
    } else {
      let channels = hasAlpha ? 4 : 3
      image.format = formatLinear | formatColor | (hasAlpha ? formatAlpha : 0)
      let buffer: [UInt16] = try finishRead(&image, count: channels * plane, path: path)
      buffer.withUnsafeBufferPointer { src in
        pixels.withUnsafeMutableBufferPointer { dst in
          let s: Float = 1 / 65535
          for i in 0..<plane {
            var scale = s
            if hasAlpha {
              let a = Float(src[4 * i + 3])
              scale = a > 0 ? 1 / a : 0
            }
            for c in 0..<3 { dst[c * plane + i] = Swift.min(Float(src[channels * i + c]) * scale, 1) }
          }
        }
      }
    }
    png_image_free(&image)
    return RGBImage(width: w, height: h, pixels: pixels)
  }
}

/// Reads the pixels of a begun `image` in its set format into `count` samples; on failure
/// frees the image and throws, naming `path`.
private func finishRead<Sample: FixedWidthInteger>(_ image: inout png_image, count: Int, path: String) throws -> [Sample] {
  var buffer = [Sample](repeating: 0, count: count)
  let ok = buffer.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
  guard ok != 0 else {
    let m = message(of: image)
    png_image_free(&image)
    throw ImagingError.truncated(path: path, detail: m)
  }
  return buffer
}

/// Interleaved 8-bit RGB bytes of an image (clamped to [0, 1], rounded).
public func rgb8Bytes(_ image: RGBImage) -> [UInt8] {
  let plane = image.planeSize
  var out = [UInt8](repeating: 0, count: 3 * plane)
  image.pixels.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
      for i in 0..<plane {
        for c in 0..<3 {
          let v = Swift.min(Swift.max(src[c * plane + i], 0), 1)
          dst[3 * i + c] = UInt8((v * 255).rounded())
        }
      }
    }
  }
  return out
}

/// Writes an 8-bit RGB PNG (values clamped to [0, 1] and rounded) through a temporary file
/// renamed into place. Same image, same bytes.
public func writePNG(_ image: RGBImage, to path: String) throws {
  precondition(image.width > 0 && image.height > 0, "writePNG: empty image")
  var bytes = rgb8Bytes(image)
  do {
    try AtomicFile.write(to: path) { tmp in
      var png = png_image()
      png.version = UInt32(PNG_IMAGE_VERSION)
      png.width = UInt32(image.width)
      png.height = UInt32(image.height)
      png.format = formatColor
      let ok = bytes.withUnsafeMutableBytes { png_image_write_to_file(&png, tmp, 0, $0.baseAddress, 0, nil) }
      if ok == 0 {
        let m = message(of: png)
        png_image_free(&png)
        throw ImagingError.writeFailed(path: path, detail: m.isEmpty ? "libpng refused the file" : m)
      }
      png_image_free(&png)
    }
  } catch let e as InputRefused {
    throw ImagingError.writeFailed(path: path, detail: e.reason(without: path))
  }
}
