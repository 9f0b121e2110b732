// `lmlab import ...`: results made elsewhere brought into the registry; `import predictions`
// registers another method's predicted frames as a run scored like `lmlab predict`'s
// (Workbench/Import).
import ArgumentParser
import Foundation
import Workbench

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Bring results made elsewhere into the registry.",
    subcommands: [ImportPredictions.self]
  )
}

struct ImportPredictions: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predictions",
    abstract: "Register another method's predicted frames as a run, scored per frame like `lmlab predict`'s.",
    discussion: """
      How frames line up with the reference:
      - The reference is a frame folder REF/<sequence>/<frame>.png. A sequence's
        frames are taken in order of the number in their names; the first
        --context N of them are context: never predicted, never scored. N = 0
        (the default): every reference frame is a target, as in a predict
        run's truth/ folder.
      - A prediction folder DIR/<sequence>/<frame>.png names each frame with
        the number of the reference frame it predicts. An HDF5 video array
        (uint8 [N, T, H, W, C] in dataset `videos`; names from a `sequence`
        dataset, else video_00000, ...) gives frame t for the reference frame
        at position N + t.
      - Horizon step k (1-based) is the reference frame at position N + k - 1.
        The horizon H is the longest run of predictions of any sequence; every
        reference frame at positions N ..< N + H (fewer where a sequence ends
        sooner) must be predicted.
      So a predict run's OUT/frames against its OUT/truth reproduces its
      scores (sequence, frame, horizon step, values). Against a dataset's
      frames folder, N is the number of frames the method conditioned on.

      Refused, with nothing registered: a missing, empty or unreadable --dir;
      sequences that differ from the reference's; a non-PNG file in a sequence
      folder; a missing prediction; a prediction of a context frame or of a
      frame the reference lacks; a frame whose size or colour kind differs
      from its reference frame; a --method of LandmarkLab's own.

      Scored with PSNR, SSIM and LPIPS (when weights are found): per frame in
      the registry, means per horizon step as series, and the CSV
      method,sequence,frame,metric,value in <out>/<run id>/scores.csv beside
      frames/ and truth/ (hard links to, or copies of, the inputs). Reports
      draw the run as a prediction named --method in the setup "N context
      frames → H predicted"; against a predict run's truth/ (--context 0) it
      takes that run's setup and LPIPS backbone, so both share plots.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Name of the imported method in reports (not lstm, copy-last, ... : LandmarkLab's own).")
  var method: String
  @Option(help: "Predicted frames: a folder DIR/<sequence>/<frame>.png or an HDF5 video array file.") var dir:
    String
  @Option(
    help:
      "Ground-truth frames: a folder REF/<sequence>/<frame>.png (a predict run's truth/, a dataset's frames)."
  )
  var reference: String
  @Option(help: "Leading reference frames of each sequence that are context, not predicted.") var context = 0
  @Option(help: "Experiment to file the run under.") var experiment: String?
  @Option(help: "LPIPS weights file or folder (default: $LMLAB_LPIPS_WEIGHTS, else weights/ in the working folder; none found: LPIPS is not scored, a note says so; a path given must hold them; none: not scored).")
  var lpipsWeights: String?
  @Option(help: "Folder the run's folder <out>/<run id> is made in.") var out = "runs"

  func run() throws {
    let registry = try global.openRegistry(mustExist: false)
    var r = ImportRequest(method: method, dir: dir, reference: reference)
    r.context = context
    r.experiment = experiment
    r.lpipsWeights = lpipsWeights
    r.out = out
    let s = try PredictionImport.run(r, registry: registry)
    print(
      "run \(s.runId): import \(method) (\(s.format), \(s.sequences) sequences, horizon \(s.horizon); setup \(s.setup)), means per horizon step:"
    )
    print(s.table)
    print("frames in \(s.folder)/frames, scores in \(s.folder)/scores.csv")
  }
}
