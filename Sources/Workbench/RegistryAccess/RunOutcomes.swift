// How a command tells what became of the run it trained without reading the registry's run
// status itself: interrupted (a stop signal; the run checkpointed and the command exits 130).
import Registry

extension TrainSummary {
  /// A stop signal ended the run after it checkpointed; `lmlab runs resume` continues it.
  public var wasInterrupted: Bool { status == .interrupted }
}
