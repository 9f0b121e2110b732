// `lmlab runs list [--where EXPR] [--sort KEY] [--limit N] [--columns F,...]`.
import ArgumentParser
import Foundation
import Workbench

struct RunsList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "List runs, newest first, optionally filtered and sorted.",
    discussion: """
      EXPR combines comparisons (= != < <= > >= ~ !~) with and/or/not and parentheses.
      `~` means "contains": literal text (no wildcards), ignoring ASCII case.
      Fields: id status kind name seed host parent experiment config_hash
      git_commit; any config key (n_landmarks, param.lr...); metric.NAME (latest value),
      best.NAME, min.NAME, max.NAME. Example:
        lmlab runs list --where 'n_landmarks=30 and status=finished and metric.keypoint_acc>0.7'
      """)

  @OptionGroup var global: GlobalOptions

  @Option(name: .long, help: "Filter expression (see below).")
  var `where`: String?

  @Option(
    name: .long, parsing: .unconditional,
    help:
      "Sort keys, comma-separated; '-' prefix or ':desc' suffix for descending (e.g. -metric.keypoint_acc).")
  var sort: String?

  @Option(name: .long, help: "At most this many runs (0 = all).")
  var limit = 50

  @Option(name: .long, help: "Extra columns, comma-separated fields (e.g. lr,best.loss).")
  var columns: String?

  func validate() throws {
    if limit < 0 { throw ValidationError("--limit must be 0 (all) or positive") }
  }

  func run() throws {
    // Everything the user typed is parsed before the registry is opened.
    let query = try RunListQuery(where: `where`, sort: sort, limit: limit, columns: columns)
    print(try query.listing(in: try global.openRegistry()))
  }
}
