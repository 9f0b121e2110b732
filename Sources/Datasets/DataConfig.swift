// DataConfig: the data config section — which video source a run reads: the synthetic set
// (made in memory from the run's seed at the model's image size) or a dataset on disk (a frame
// folder or an HDF5 video array file), the synthetic set's size, and an optional separate source
// to score predictions on (BAIR ships one file per split).
import ConfigSchema
import Foundation
import SafeIO

public struct DataConfig: ConfigSection {
  /// Names what `dataset_path` holds; `synthetic` with no path is the built-in set.
  public var dataset = "synthetic"
  public var datasetPath = ""
  /// A separate source predict and interpolate score on ('' : the test split of `datasetPath`);
  /// read by Workbench's FrameRunTarget.resolvedTestData, opened with `open(path:)`.
  public var testDataPath = ""
  /// The synthetic set: sequences and frames per sequence.
  public var synthSequences = 40
  public var synthFrames = 100

  public init() {}

  /// Dataset names a config may give; all but `synthetic` read `dataset_path`.
  public static let datasetNames = ["synthetic", "frames", "videos", "bbc_pose", "bair", "kth"]

  public static let sectionName = "data"
  public static let reader = "Datasets.DataConfig.open"
  public static let fields: [ConfigField<DataConfig>] = [
    .string(
      "dataset", \.dataset, allowed: datasetNames,
      "synthetic (built in), or what dataset_path holds: frames / videos (any), bbc_pose, bair, kth"),
    .string("dataset_path", \.datasetPath, "a frame folder or a videos .h5 file ('' for the synthetic set)"),
    .string(
      "test_data_path", \.testDataPath,
      "a frame folder or videos .h5 file that predict and interpolate score on (all its sequences, or --split's) instead of dataset_path's test split ('' for none)"),
    .int("synth_sequences", \.synthSequences, 3...100_000, "synthetic set: number of sequences"),
    .int("synth_frames", \.synthFrames, 2...100_000, "synthetic set: frames per sequence"),
  ]

  /// The source this config names: the synthetic set at `imageSize` drawn from `seed`, or the
  /// frame folder (a directory) or HDF5 video array (a file) at `dataset_path`. `frames` and
  /// `videos` say which of the two the path must be.
  public func open(imageSize: Int, seed: Int) throws -> VideoSource {
    if datasetPath.isEmpty {
      guard dataset == "synthetic" else {
        throw DatasetError.invalidArgument("dataset '\(dataset)' needs dataset_path (a frame folder or a videos .h5 file)")
      }
      return try SyntheticVideoSet(
        SyntheticSpec(sequences: synthSequences, frames: synthFrames, size: imageSize, seed: UInt64(seed)))
    }
    var isDir: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: datasetPath, isDirectory: &isDir)
    if exists && dataset == "frames" && !isDir.boolValue {
      throw DatasetError.badFile(path: datasetPath, detail: "dataset 'frames' needs a frame folder; this is a file")
    }
    if exists && dataset == "videos" && isDir.boolValue {
      throw DatasetError.badFile(path: datasetPath, detail: "dataset 'videos' needs an HDF5 videos file; this is a folder")
    }
    return try DataConfig.open(path: datasetPath)
  }

  /// Opens a frame folder (a directory) or an HDF5 video array (a file): wherever a dataset
  /// is read (training, predict --test-data, encode --frames, data inspect) either works.
  public static func open(path: String) throws -> VideoSource {
    switch FileKind.of(path) {
    case .missing: throw DatasetError.badFile(path: path, detail: "not found")
    case .directory: return try FrameFolderDataset(root: path)
    case .regular: return try VideoArrayDataset(path: path)
    case .special(let k): throw DatasetError.badFile(path: path, detail: "\(k), not a frame folder or an HDF5 file")
    }
  }
}
