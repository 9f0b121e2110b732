// `lmlab eval ...`: scoring commands (frames against references, keypoint regression).
import ArgumentParser

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score predictions: PSNR/SSIM/LPIPS on frame folders, keypoint-regression accuracy.",
    subcommands: [EvalFrames.self, EvalKeypoints.self, EvalLive.self]
  )
}
