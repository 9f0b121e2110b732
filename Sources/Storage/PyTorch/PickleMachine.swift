// PickleMachine: a restricted pickle virtual machine for torch.save files (protocols 2-5, the
// opcodes state dicts and training checkpoints use). It never imports or calls anything:
// GLOBAL / STACK_GLOBAL resolve only allow-listed names (PickleValue.swift), REDUCE and NEWOBJ
// build dicts and tensor views for those names alone, and BINPERSID hands storage ids to the
// format reader. Text-protocol opcodes, INST/OBJ, extension registries and any other opcode are
// refused by name.
//
// Hostile input is bounded: every read is checked against the end of the stream, the stack,
// the MARK stack, the memo and the total number of container items are capped, and nothing
// recurses (the containers it made are emptied afterwards by `release()`, so even a deep or
// cyclic structure is freed without recursion).
import Foundation

/// Runs one pickle from a byte offset to its STOP opcode.
final class PickleMachine {
  /// Caps on what one pickle may build.
  struct Limits {
    var stack = 1 << 20
    var marks = 1 << 16
    var memo = 1 << 20
    var containerItems = 1 << 24
  }

  let path: String
  let limits: Limits
  /// Turns a persistent id (BINPERSID's operand) into a value; `offset` is for messages.
  let persistentLoad: (PickleValue, Int) throws -> PickleValue

  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleValue] = [:]
  private var containers: [PickleContainer] = []
  private var items = 0

  init(
    path: String, limits: Limits = Limits(),
    persistentLoad: @escaping (PickleValue, Int) throws -> PickleValue = { pid, offset in
      throw PickleMachine.Failure(offset: offset, reason: "persistent id \(pid.kind) where none is expected")
    }
  ) {
    self.path = path
    self.limits = limits
    self.persistentLoad = persistentLoad
  }

  /// A failure at a byte offset; converted to `PyTorchError.pickle` by `run`.
  struct Failure: Error {
    let offset: Int
    let reason: String
  }

  /// Empties every container this machine built (call once the values are no longer needed).
  func release() {
    for c in containers { c.clear() }
    containers = []
  }

  /// Runs the pickle that starts at `start` in `bytes`; returns its value and the offset just
  /// after its STOP. Memo and stack start empty (each pickle of a stream is independent).
  func run(_ bytes: ByteView, from start: Int) throws -> (value: PickleValue, end: Int) {
    stack = []
    marks = []
    memo = [:]
    do {
      return try bytes.data.withUnsafeBytes { try execute(PickleReader(buffer: $0, position: start)) }
    } catch let f as Failure {
      throw PyTorchError.pickle(path: path, offset: f.offset, reason: f.reason)
    }
  }

  // MARK: The opcode loop

  private func execute(_ r: PickleReader) throws -> (value: PickleValue, end: Int) {
    var r = r
    while true {
      let at = r.position
      let op = try r.byte()
      func fail(_ reason: String) -> Failure { Failure(offset: at, reason: reason) }
      switch op {
      case 0x80:  // PROTO
        let proto = try r.byte()
        guard proto <= 5 else { throw fail("pickle protocol \(proto) is newer than 5") }
      case 0x95: _ = try r.bytes(8)  // FRAME: a length hint only
      case 0x2E:  // STOP
        guard marks.isEmpty, stack.count == 1 else {
          throw fail("STOP with \(stack.count) values and \(marks.count) open MARKs on the stack")
        }
        return (stack[0], r.position)
      case 0x28:  // MARK
        guard marks.count < limits.marks else { throw limit("open MARKs", marks.count + 1, limits.marks, at) }
        marks.append(stack.count)
      case 0x7D: try push(.dict(make(PickleDict())), at)  // EMPTY_DICT
      case 0x5D: try push(.list(make(PickleList())), at)  // EMPTY_LIST
      case 0x29: try push(.tuple(make(PickleList())), at)  // EMPTY_TUPLE
      case 0x74: try push(.tuple(make(PickleList(try popMark(at)))), at)  // TUPLE
      case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
        let n = Int(op - 0x84)
        var values: [PickleValue] = []
        for _ in 0..<n { values.insert(try pop(at), at: 0) }
        try push(.tuple(make(PickleList(values))), at)
      case 0x73:  // SETITEM
        let value = try pop(at)
        let key = try pop(at)
        try dict(at).set(key, value)
        try count(1, at)
      case 0x75:  // SETITEMS
        let values = try popMark(at)
        guard values.count % 2 == 0 else {
          throw fail("SETITEMS with an odd number (\(values.count)) of values")
        }
        let d = try dict(at)
        try count(values.count / 2, at)
        for i in stride(from: 0, to: values.count, by: 2) { d.set(values[i], values[i + 1]) }
      case 0x61:  // APPEND
        let value = try pop(at)
        try list(at).items.append(value)
        try count(1, at)
      case 0x65:  // APPENDS
        let values = try popMark(at)
        try count(values.count, at)
        try list(at).items.append(contentsOf: values)
      case 0x71: try put(Int(try r.byte()), at)  // BINPUT
      case 0x72: try put(Int(try r.uint(4)), at)  // LONG_BINPUT
      case 0x94: try put(memo.count, at)  // MEMOIZE
      case 0x68, 0x6A:  // BINGET, LONG_BINGET
        let i = op == 0x68 ? Int(try r.byte()) : Int(try r.uint(4))
        guard let v = memo[i] else { throw fail("memo entry \(i) was never stored") }
        try push(v, at)
      case 0x63:  // GLOBAL "module\nname\n"
        let module = try r.line()
        let name = try r.line()
        try push(.global(try resolve(module, name)), at)
      case 0x93:  // STACK_GLOBAL
        let nameValue = try pop(at)
        let moduleValue = try pop(at)
        guard let module = moduleValue.stringValue, let name = nameValue.stringValue else {
          throw fail("STACK_GLOBAL needs two strings, got \(moduleValue.kind) and \(nameValue.kind)")
        }
        try push(.global(try resolve(module, name)), at)
      case 0x52:  // REDUCE
        let args = try pop(at)
        let callable = try pop(at)
        try push(try call(callable, args, at), at)
      case 0x81:  // NEWOBJ
        let args = try pop(at)
        let cls = try pop(at)
        guard case .global(let g) = cls else { throw fail("NEWOBJ of \(cls.kind)") }
        switch g.role {
        case .orderedDict, .dictClass: try push(.dict(make(PickleDict())), at)
        default: throw fail("NEWOBJ of \(g.name) (\(args.kind)): only dict classes are built this way")
        }
      case 0x62:  // BUILD: object state (e.g. a state dict's `_metadata`) is not needed
        let state = try pop(at)
        guard let top = stack.last, stack.count > (marks.last ?? 0) else {
          throw fail("BUILD on an empty stack")
        }
        switch top {
        case .dict, .tensor: break
        default: throw fail("BUILD of \(top.kind) with \(state.kind)")
        }
      case 0x51:  // BINPERSID
        let pid = try pop(at)
        try push(try persistentLoad(pid, at), at)
      case 0x4A: try push(.int(Int64(Int32(bitPattern: UInt32(try r.uint(4))))), at)  // BININT
      case 0x4B: try push(.int(Int64(try r.byte())), at)  // BININT1
      case 0x4D: try push(.int(Int64(try r.uint(2))), at)  // BININT2
      case 0x8A, 0x8B:  // LONG1, LONG4
        let n = op == 0x8A ? Int(try r.byte()) : Int(Int32(bitPattern: UInt32(try r.uint(4))))
        guard n >= 0 else { throw fail("LONG4 with negative length \(n)") }
        try push(long(Array(try r.bytes(n))), at)
      case 0x47:  // BINFLOAT (big-endian)
        let raw = try r.bytes(8)
        try push(.float(Double(bitPattern: raw.reduce(0) { $0 << 8 | UInt64($1) })), at)
      case 0x58, 0x8C, 0x8D:  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        let n = op == 0x8C ? Int(try r.byte()) : op == 0x58 ? Int(try r.uint(4)) : try r.length8()
        guard let s = String(bytes: try r.bytes(n), encoding: .utf8) else {
          throw fail("string is not valid UTF-8")
        }
        try push(.string(s), at)
      case 0x54, 0x55:  // BINSTRING, SHORT_BINSTRING (Python 2 str): UTF-8, else Latin-1
        let n = op == 0x55 ? Int(try r.byte()) : Int(Int32(bitPattern: UInt32(try r.uint(4))))
        guard n >= 0 else { throw fail("BINSTRING with negative length \(n)") }
        let raw = try r.bytes(n)
        try push(
          .string(String(bytes: raw, encoding: .utf8) ?? String(bytes: raw, encoding: .isoLatin1) ?? ""), at)
      case 0x42, 0x43, 0x8E:  // BINBYTES, SHORT_BINBYTES, BINBYTES8
        let n = op == 0x43 ? Int(try r.byte()) : op == 0x42 ? Int(try r.uint(4)) : try r.length8()
        try push(.bytes(Data(try r.bytes(n))), at)
      case 0x4E: try push(.none, at)  // NONE
      case 0x88: try push(.bool(true), at)  // NEWTRUE
      case 0x89: try push(.bool(false), at)  // NEWFALSE
      case 0x30:  // POP (a MARK on top is popped instead, as Python does)
        if let m = marks.last, m == stack.count { marks.removeLast() } else { _ = try pop(at) }
      case 0x31: _ = try popMark(at)  // POP_MARK
      case 0x32:  // DUP
        guard let top = stack.last, stack.count > (marks.last ?? 0) else {
          throw fail("DUP on an empty stack")
        }
        try push(top, at)
      default:
        throw fail("opcode \(Self.opcodeName(op)) is not run by this restricted reader")
      }
    }
  }

  // MARK: Stack, memo and containers

  private func limit(_ what: String, _ value: Int, _ cap: Int, _ at: Int) -> PyTorchError {
    .limitExceeded(path: path, what: "pickle \(what) (at byte \(at))", value: value, limit: cap)
  }

  private func push(_ v: PickleValue, _ at: Int) throws {
    guard stack.count < limits.stack else { throw limit("stack depth", stack.count + 1, limits.stack, at) }
    stack.append(v)
  }

  private func pop(_ at: Int) throws -> PickleValue {
    guard stack.count > (marks.last ?? 0) else { throw Failure(offset: at, reason: "stack underflow") }
    return stack.removeLast()
  }

  private func popMark(_ at: Int) throws -> [PickleValue] {
    guard let m = marks.popLast() else { throw Failure(offset: at, reason: "no MARK to pop to") }
    let values = Array(stack[m...])
    stack.removeSubrange(m...)
    return values
  }

  private func put(_ index: Int, _ at: Int) throws {
    guard let top = stack.last, stack.count > (marks.last ?? 0) else {
      throw Failure(offset: at, reason: "memoize on an empty stack")
    }
    if memo[index] == nil && memo.count >= limits.memo {
      throw limit("memo size", memo.count + 1, limits.memo, at)
    }
    memo[index] = top
  }

  private func make<C: PickleContainer>(_ c: C) -> C {
    containers.append(c)
    return c
  }

  private func count(_ n: Int, _ at: Int) throws {
    items += n
    guard items <= limits.containerItems else {
      throw limit("container items", items, limits.containerItems, at)
    }
  }

  private func dict(_ at: Int) throws -> PickleDict {
    guard stack.count > (marks.last ?? 0), case .dict(let d) = stack[stack.count - 1] else {
      throw Failure(offset: at, reason: "SETITEM(S) on \(stack.last?.kind ?? "an empty stack"), not a dict")
    }
    return d
  }

  private func list(_ at: Int) throws -> PickleList {
    guard stack.count > (marks.last ?? 0), case .list(let l) = stack[stack.count - 1] else {
      throw Failure(offset: at, reason: "APPEND(S) on \(stack.last?.kind ?? "an empty stack"), not a list")
    }
    return l
  }

  private func resolve(_ module: String, _ name: String) throws -> TorchGlobal {
    guard let g = TorchGlobal.allowed(module: module, name: name) else {
      throw PyTorchError.forbiddenGlobal(path: path, global: module + "." + name)
    }
    return g
  }

  /// LONG1/LONG4 payload: little-endian two's complement.
  private func long(_ raw: [UInt8]) -> PickleValue {
    guard raw.count <= 8 else { return .bigInt(raw) }
    guard !raw.isEmpty else { return .int(0) }
    var v: UInt64 = 0
    for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
    if raw.count < 8, raw.last! & 0x80 != 0 { v |= ~0 << (8 * UInt64(raw.count)) }  // sign-extend
    return .int(Int64(bitPattern: v))
  }

  // MARK: REDUCE of allow-listed callables

  private func call(_ callable: PickleValue, _ args: PickleValue, _ at: Int) throws -> PickleValue {
    func fail(_ reason: String) -> Failure { Failure(offset: at, reason: reason) }
    guard case .global(let g) = callable else { throw fail("REDUCE calls \(callable.kind), not a global") }
    guard case .tuple(let argList) = args else {
      throw fail("REDUCE of \(g.name) with \(args.kind) as arguments")
    }
    let a = argList.items
    switch g.role {
    case .orderedDict, .dictClass:
      let d = make(PickleDict())
      if let pairs = a.first?.sequence, a.count == 1 {
        for pair in pairs {
          guard let kv = pair.sequence, kv.count == 2 else {
            throw fail("\(g.name) item \(pair.kind) is not a pair")
          }
          d.set(kv[0], kv[1])
        }
        try count(pairs.count, at)
      } else if !a.isEmpty {
        throw fail("\(g.name) called with \(a.count) arguments")
      }
      return .dict(d)
    case .rebuildTensorV2, .rebuildTensor:
      let expected = g.role == .rebuildTensor ? [4] : [6, 7]
      guard expected.contains(a.count) else {
        throw fail(
          "\(g.name) called with \(a.count) arguments, expected \(expected.map(String.init).joined(separator: " or "))"
        )
      }
      guard case .storage(let storage) = a[0] else {
        throw fail("\(g.name): first argument is \(a[0].kind), not a storage")
      }
      guard let offset = a[1].intValue, offset >= 0 else {
        throw fail("\(g.name): storage offset is \(a[1].kind)")
      }
      let size = try dimensions(a[2], "size", g.name, at)
      let stride = try dimensions(a[3], "stride", g.name, at)
      guard size.count == stride.count else {
        throw fail("\(g.name): size \(size) and stride \(stride) differ in rank")
      }
      return .tensor(TorchTensorView(storage: storage, offset: Int(offset), size: size, stride: stride))
    case .rebuildParameter, .rebuildParameterWithState:
      guard a.count == (g.role == .rebuildParameter ? 3 : 4), case .tensor = a[0] else {
        throw fail("\(g.name) called with \(a.count) arguments (\(a.first?.kind ?? "none") first)")
      }
      return a[0]
    case .rebuildFromType:
      guard a.count == 4, case .global(let inner) = a[0], case .global(let type) = a[1],
        type.role == .tensorClass
      else {
        throw fail("\(g.name) needs (function, tensor class, arguments, state)")
      }
      guard inner.role != .rebuildFromType else { throw fail("\(g.name) nested in itself") }
      return try call(a[0], a[2], at)
    case .storageType, .unsupportedStorageType, .tensorClass:
      throw fail("\(g.name) may only name a type here; calling it is not allowed")
    }
  }

  /// A size or stride tuple: non-negative ints, at most `TorchTensorView.maxRank` of them.
  private func dimensions(_ v: PickleValue, _ what: String, _ fn: String, _ at: Int) throws -> [Int] {
    guard let items = v.sequence, items.count <= TorchTensorView.maxRank else {
      throw Failure(
        offset: at,
        reason: "\(fn): \(what) is \(v.kind), not a tuple of at most \(TorchTensorView.maxRank) ints")
    }
    return try items.map {
      guard let n = $0.intValue, n >= 0 else {
        throw Failure(offset: at, reason: "\(fn): \(what) holds \($0.kind)")
      }
      return Int(n)
    }
  }

  /// "0x63 (GLOBAL)".
  static func opcodeName(_ op: UInt8) -> String {
    let names: [UInt8: String] = [
      0x28: "MARK", 0x2E: "STOP", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT", 0x49: "INT",
      0x4A: "BININT", 0x4B: "BININT1", 0x4C: "LONG", 0x4D: "BININT2", 0x4E: "NONE", 0x50: "PERSID",
      0x51: "BINPERSID", 0x52: "REDUCE", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
      0x56: "UNICODE", 0x58: "BINUNICODE", 0x61: "APPEND", 0x62: "BUILD", 0x63: "GLOBAL", 0x64: "DICT",
      0x7D: "EMPTY_DICT", 0x65: "APPENDS", 0x67: "GET", 0x68: "BINGET", 0x69: "INST", 0x6A: "LONG_BINGET",
      0x6C: "LIST", 0x5D: "EMPTY_LIST", 0x6F: "OBJ", 0x70: "PUT", 0x71: "BINPUT", 0x72: "LONG_BINPUT",
      0x73: "SETITEM", 0x74: "TUPLE", 0x29: "EMPTY_TUPLE", 0x75: "SETITEMS", 0x47: "BINFLOAT", 0x80: "PROTO",
      0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x85: "TUPLE1", 0x86: "TUPLE2",
      0x87: "TUPLE3",
      0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x8A: "LONG1", 0x8B: "LONG4", 0x42: "BINBYTES",
      0x43: "SHORT_BINBYTES",
      0x8C: "SHORT_BINUNICODE", 0x8D: "BINUNICODE8", 0x8E: "BINBYTES8", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS",
      0x91: "FROZENSET", 0x92: "NEWOBJ_EX", 0x93: "STACK_GLOBAL", 0x94: "MEMOIZE", 0x95: "FRAME",
      0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
    return String(format: "0x%02x", op) + (names[op].map { " (\($0))" } ?? " (not a pickle opcode)")
  }
}

/// Bounds-checked reads from a pickle stream.
private struct PickleReader {
  let buffer: UnsafeRawBufferPointer
  var position: Int

  private func truncated(_ n: Int) -> PickleMachine.Failure {
    .init(
      offset: position, reason: "needs \(n) more bytes, the stream ends at byte \(buffer.count) (truncated?)")
  }

  mutating func byte() throws -> UInt8 {
    guard position < buffer.count else { throw truncated(1) }
    defer { position += 1 }
    return buffer[position]
  }

  mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer.SubSequence {
    guard n >= 0, n <= buffer.count - position else { throw truncated(n) }
    defer { position += n }
    return buffer[position..<(position + n)]
  }

  /// A little-endian unsigned integer of `width` bytes.
  mutating func uint(_ width: Int) throws -> UInt64 {
    try bytes(width).reversed().reduce(0) { $0 << 8 | UInt64($1) }
  }

  /// An 8-byte length, checked to fit in the stream.
  mutating func length8() throws -> Int {
    let n = try uint(8)
    guard n <= UInt64(buffer.count - position) else { throw truncated(Int(clamping: n)) }
    return Int(n)
  }

  /// A newline-terminated ASCII line (GLOBAL's operands), at most 256 bytes.
  mutating func line() throws -> String {
    var end = position
    while end < buffer.count, buffer[end] != 0x0A {
      end += 1
      guard end - position <= 256 else {
        throw PickleMachine.Failure(offset: position, reason: "GLOBAL name longer than 256 bytes")
      }
    }
    guard end < buffer.count else { throw truncated(1) }
    defer { position = end + 1 }
    return String(decoding: buffer[position..<end], as: UTF8.self)
  }
}
