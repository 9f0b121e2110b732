// OutputFiles: single files a command writes where the user says (`--csv`, `--out x.h5`,
// `--sheet`): checked before any work (a folder, a special file or a missing folder is one line
// naming the option and the path, not "cannot write '/'" or an NSCocoaErrorDomain number) and
// written through a temporary file renamed into place.
import Foundation
import SafeIO

public enum OutputFiles {
  /// Throws when `path` cannot be written as a file; `option` names the flag ("--csv").
  public static func check(_ path: String, option: String) throws {
    try AtomicFile.checkTarget(path, option: option)
  }

  /// Writes `text` to `path` (checked as `check` does) through a temporary file and a rename.
  public static func write(_ text: String, to path: String, option: String) throws {
    try AtomicFile.write(Data(text.utf8), to: path, option: option)
  }
}
