// `lmlab weights import`: a PyTorch checkpoint (.pth / .pt / .ckpt) converted to LandmarkLab's
// HDF5 weights layout (Workbench/Weights/WeightsImport.swift does the work).
import ArgumentParser
import Foundation
import Workbench

struct WeightsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "weights", abstract: "Pretrained weight files.", subcommands: [WeightsImportCommand.self])
}

struct WeightsImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract:
      "Convert a PyTorch checkpoint to HDF5: one float32 dataset per tensor, named by its dotted path.",
    discussion: """
      Reads both torch.save formats (zip, and the legacy format before
      torch 1.6) without Python: a restricted unpickler that allows only
      tensor-rebuilding globals and executes nothing. Nested dicts and
      lists flatten to dotted names (a Lightning checkpoint's weights are
      under `state_dict.`); each dataset records its saved dtype in the
      `torch_dtype` attribute, and the checkpoint's other values (epoch,
      hyperparameters) are kept as JSON in the root attribute
      `pytorch_metadata`. The file is written beside --out and renamed
      into place.
      """)

  @Argument(help: "A PyTorch checkpoint (.pth, .pt, .ckpt).") var file: String
  @Option(help: "Output HDF5 file.") var out: String
  @Option(help: "Keep only tensors under this dotted prefix, named without it (e.g. state_dict).") var prefix:
    String?
  @Flag(help: "Replace --out if it exists.") var force = false

  func run() throws {
    let summary = try WeightsImport.run(input: file, output: out, prefix: prefix, force: force)
    summary.lines.forEach { print($0) }
  }
}
