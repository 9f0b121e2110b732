// `lmlab encode (--run ID | --checkpoint FILE) --frames DIR|FILE.h5 [--split S] --out landmarks.h5`:
// landmarks of every frame of a frame folder or HDF5 video array (or of one split's sequences),
// batched, without autograd, as a DESIGN §4 landmark file.
import ArgumentParser
import Foundation
import Workbench

struct Encode: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Encode frames to landmarks (mu, covariance) with a trained model.")

  @OptionGroup var global: GlobalOptions

  @Option(name: .customLong("run"), help: "Use this run's latest checkpoint.") var runID: String?
  @Option(help: "Use this checkpoint file.") var checkpoint: String?
  @Option(help: "Frame folder DIR/<sequence>/<frame>.png or HDF5 video array (.h5).") var frames: String
  @Option(help: "Encode only this split's sequences (default: every sequence; a split the data does not define is an error).")
  var split: String?
  @Option(help: "Output landmark file (HDF5).") var out: String
  @Option(help: "Frames per batch.") var batch = 32

  func validate() throws {
    guard (runID == nil) != (checkpoint == nil) else { throw ValidationError("give exactly one of --run and --checkpoint") }
    guard batch >= 1 else { throw ValidationError("--batch must be ≥ 1") }
  }

  func run() throws {
    try OutputFiles.check(out, option: "--out")
    let path: String
    if let c = checkpoint {
      path = c
    } else {
      path = try LandmarkEncoding.latestCheckpoint(runId: try parseRunID(runID ?? ""), registry: try global.openRegistry())
    }
    let model = try LandmarkEncoding.loadModel(checkpoint: path)
    let s = try LandmarkEncoding.encode(model: model, framesDir: frames, split: split, out: out, batch: batch)
    print(
      String(
        format: "encoded %d frames (K %d) with %@ in %.1f s (%.0f frames/s) → %@", s.frames, s.landmarks, path, s.seconds,
        Double(s.frames) / max(s.seconds, 1e-9), out))
  }
}
