// TrainSamples: PNG contact sheets for the registry — per row a target frame, its
// reconstruction, and the frame with the landmark means drawn (one colour per landmark).
import Foundation
import Imaging
import Landmarks
import TensorEngine

public enum TrainSamples {
  /// Draws landmark means `mu` (values of [B, K, 2], image `index`) on `image`, upscaled ×`scale`.
  public static func withLandmarks(_ image: RGBImage, mu: [Float], index: Int, landmarks k: Int, scale: Int = 3) -> RGBImage {
    var im = image.clamped().upscaled(scale)
    let size = Float(image.width * scale)
    for j in 0..<k {
      let x = (mu[(index * k + j) * 2] + 1) * size / 2
      let y = (mu[(index * k + j) * 2 + 1] + 1) * size / 2
      im.fillCircle(cx: x, cy: y, radius: 1.5 * Float(scale) / 2 + 1, color: .black)
      im.fillCircle(cx: x, cy: y, radius: 1.5 * Float(scale) / 2, color: .keypoint(j))
    }
    return im
  }

  /// Rows of (target, reconstruction, landmarks on the target) for up to `rows` batch items.
  public static func sheet(target: Tensor, reconstruction: Tensor, mu: Tensor, rows: Int = 4) -> RGBImage {
    let n = min(rows, target.shape[0])
    let k = mu.shape[1]
    let values = mu.values
    var cells: [RGBImage] = []
    for i in 0..<n {
      let t = RGBImage(tensor: target, index: i)
      cells.append(t.clamped().upscaled(3))
      cells.append(RGBImage(tensor: reconstruction, index: i).clamped().upscaled(3))
      cells.append(withLandmarks(t, mu: values, index: i, landmarks: k))
    }
    return filmstrip(cells, columns: 3)
  }

  /// Test frames with the landmarks the model finds on them (no autograd), `columns` per row.
  public static func landmarksOnFrames(model: LandmarkModel, images: Tensor, columns: Int = 4) -> RGBImage {
    let mu = KeypointProbe.means(model, images)
    let k = model.config.nLandmarks
    let cells = (0..<images.shape[0]).map {
      withLandmarks(RGBImage(tensor: images, index: $0), mu: mu, index: $0, landmarks: k)
    }
    return filmstrip(cells, columns: columns)
  }
}
