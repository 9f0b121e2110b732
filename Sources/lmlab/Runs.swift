// `lmlab runs ...`: list, show, compare, export, queue, resume and delete recorded runs.
import ArgumentParser

struct Runs: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Query and manage the runs recorded in the registry.",
    subcommands: [
      RunsList.self, RunsShow.self, RunsCompare.self, RunsExport.self, RunsQueue.self, RunsResume.self,
      RunsDelete.self,
    ]
  )
}
