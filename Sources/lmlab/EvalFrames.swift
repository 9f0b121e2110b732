// `lmlab eval frames`: per-frame PSNR/SSIM/LPIPS of a predicted frame folder against a reference one.
import ArgumentParser
import Foundation
import Workbench

struct EvalFrames: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "frames",
    abstract: "Score predicted frames against reference frames (DIR/<sequence>/<frame>.png, matched one to one).")

  @Option(help: "Folder of reference frames.") var reference: String
  @Option(help: "Folder of predicted frames (same sequences and frame numbers).") var predicted: String
  @Option(help: "Method name written to the CSV.") var method: String = "method"
  @Option(help: "Comma-separated metrics: psnr, ssim, ssim-uniform, lpips-alex, lpips-vgg, lpips-squeeze, effnet-lite0-dist.")
  var metrics: String = "psnr,ssim"
  @Option(help: "LPIPS weights: an HDF5 file or a folder of lpips_<net>.h5 (made by Experiments/tools/export_lpips_weights.py; default: $LMLAB_LPIPS_WEIGHTS, else weights/ in the working folder; an lpips metric without a file is an error naming them).")
  var lpipsWeights: String?
  @Option(help: "Write the per-frame CSV (method,sequence,frame,metric,value) here.") var csv: String?

  func validate() throws {
    if try FrameMetric.parseList(metrics).isEmpty { throw ValidationError("--metrics names no metric") }
  }

  func run() throws {
    if let csv { try OutputFiles.check(csv, option: "--csv") }
    let result = try evaluateFrames(
      reference: reference, predicted: predicted, method: method, metrics: try FrameMetric.parseList(metrics),
      lpipsWeights: lpipsWeights)
    if let csv {
      try OutputFiles.write(result.csv(), to: csv, option: "--csv")
    }
    print(result.summary())
    if let csv { print("per-frame values: \(csv)") }
  }
}
