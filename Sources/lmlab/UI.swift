// `lmlab ui [--registry R] [--port 8080] [--host 127.0.0.1] [--token T]`: the live, read-only view
// of the registry in the browser. Prints the URL to open, serves until SIGINT/SIGTERM.
import ArgumentParser
import Dispatch
import Foundation
import LiveView
import Workbench

struct UI: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ui",
    abstract: "Serve a live, read-only view of the registry (runs, curves as they grow, reports) in the browser.",
    discussion: """
      Binds 127.0.0.1 unless --host says otherwise. Any other address needs a token: --token, or one \
      generated and printed in the URL; requests without it get 401. Only GET and HEAD are served; \
      the registry is opened to look only (never written, never migrated).
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Port to listen on (0: any free port; the printed URL says which).")
  var port = 8080

  @Option(help: "Address to bind. Anything but loopback (127.x, ::1, localhost) requires a token.")
  var host = "127.0.0.1"

  @Option(help: "The token requests must carry (?token= once, then a cookie; or an Authorization: Bearer header). At least 16 characters.")
  var token: String?

  func run() throws {
    LMLabLogging.bootstrap(verbose: global.verbose)
    var o = LiveServerOptions(registry: global.registryPath)
    o.host = host
    o.port = port
    o.token = token
    _ = try LiveServer.effectiveToken(o)  // a bad --token fails before binding
    let options = o
    let done = DispatchSemaphore(value: 0)
    let failure = Failure()
    Task {
      do {
        try await LiveServer.run(options) { url in
          print("lmlab ui: serving \(options.registry) read-only at \(url)")
          print("(Ctrl-C to stop)")
          fflush(stdout)
        }
      } catch {
        failure.error = error
      }
      done.signal()
    }
    done.wait()
    if let e = failure.error { throw e }
  }

  final class Failure: @unchecked Sendable { var error: Error? }
}
