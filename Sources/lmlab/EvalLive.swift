// `lmlab eval live --run ID`: which landmarks of a dynamics run's landmark model follow the figure.
import ArgumentParser
import Workbench

struct EvalLive: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "live",
    abstract: "Landmark motion on a dynamics run's training sequences, and which landmarks follow the annotated keypoints.")

  @OptionGroup var global: GlobalOptions
  @Option(name: .customLong("run"), help: "Dynamics run id.") var runID: String

  func run() throws {
    print(try LandmarkLiveness.of(dynamicsRun: try parseRunID(runID), registry: try global.openRegistry()).summary)
  }
}
