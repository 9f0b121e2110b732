// swift-tools-version: 6.1
// LandmarkLab: one package, modules under Sources/ importing one way (CLI → Workbench → … → TensorEngine).
import PackageDescription

// Release builds keep bounds checks off the hot loops only where they are written on unsafe buffers;
// -Ounchecked is not used so preconditions still fire.
let package = Package(
  name: "LandmarkLab",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "lmlab", targets: ["lmlab"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
  ],
  targets: [
    // System-library shims, found through pkg-config.
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
    .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),

    // Direct 3x3 convolution kernels in C (AVX2/FMA, chosen at run time) for small channel counts.
    .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O3"])]),
    // Config sections: typed keys (name, type, range, default, help) each module declares beside
    // the code that reads them; Workbench composes them into the experiment config.
    .target(name: "ConfigSchema"),
    // What a careless user or a hostile file cannot do: names from data checked before they become
    // paths, files written through a rename, output folders that never replace a user's files,
    // special files refused by kind, sizes from headers checked against the memory available.
    .target(name: "SafeIO"),
    // Float32 tensors, kernels on OpenBLAS, reverse-mode autograd, layers, optimizers.
    .target(name: "TensorEngine", dependencies: ["COpenBLAS", "CKernels"]),
    // HDF5 files: checkpoints, landmark files, video arrays.
    .target(name: "Storage", dependencies: ["TensorEngine", "CHDF5", "SafeIO"]),
    // PNG codec, resize, color jitter, TPS warp, drawing.
    .target(name: "Imaging", dependencies: ["TensorEngine", "CPNG", "SafeIO"]),
    // Synthetic videos, frame folders, keypoints, pair and window sampling.
    .target(name: "Datasets", dependencies: ["Imaging", "Storage", "ConfigSchema", "SafeIO"]),
    // ImageNet feature networks in the engine (EfficientNet-Lite0, eval mode), weights loaded strictly.
    .target(name: "FeatureNetworks", dependencies: ["TensorEngine", "Storage"]),
    // The landmark model, its losses and trainer.
    .target(name: "Landmarks", dependencies: ["TensorEngine", "Storage", "ConfigSchema", "FeatureNetworks"]),
    // Pose state, interpolation, LSTM predictor, rollout.
    .target(name: "Dynamics", dependencies: ["Landmarks", "TensorEngine", "Storage", "ConfigSchema"]),
    // The pixel-space predictor (SAVP's deterministic family: conv encoder, ConvLSTMs, CDNA
    // kernels and compositing masks), its config section and trainer.
    .target(name: "PixelDynamics", dependencies: ["TensorEngine", "Storage", "ConfigSchema"]),
    // PSNR, SSIM, LPIPS, keypoint regression, curves, worst cases. Not named `Metrics`: swift-metrics (a
    // dependency of postgres-nio) owns that module name, and moduleAliases does not reliably rename only
    // theirs while a root module has the same name (in this graph the outcome varied from run to run).
    .target(
      name: "EvalMetrics", dependencies: ["TensorEngine", "Storage", "CKernels", "ConfigSchema", "FeatureNetworks"],
      path: "Sources/Metrics"),
    // Registry of experiments, runs, params, series, checkpoints, scores, in SQLite or PostgreSQL.
    .target(
      name: "Registry",
      dependencies: [
        "SafeIO", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
      ]),
    // HTML/SVG/CSV reports drawn from the registry.
    .target(name: "Reports", dependencies: ["Registry", "Imaging", "EvalMetrics", "SafeIO"]),
    // Wiring only: the config schema composed from the modules' sections, the run lifecycle, pipelines, sweeps.
    .target(
      name: "Workbench",
      dependencies: [
        "ConfigSchema", "TensorEngine", "Storage", "Imaging", "Datasets", "Landmarks", "Dynamics", "PixelDynamics", "EvalMetrics",
        "Registry", "Reports", "SafeIO", "Yams", .product(name: "Logging", package: "swift-log"),
      ]),
    // `lmlab ui`: the live, read-only view of the registry over HTTP (routes, token, path guard,
    // polling endpoints). Pages are rendered by Reports from data Workbench's live queries fill.
    .target(
      name: "LiveView",
      dependencies: [
        "Workbench", "Reports", "SafeIO", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // `lmlab bench ...`: speed against the reference implementations, measured in the same run.
    .target(name: "Benchmarks", dependencies: ["Workbench", "LiveView"]),
    // The command line. MemberImportVisibility: members of modules it does not import (Registry's
    // methods on the handle Workbench gives it) are invisible, so it can only pass the handle back.
    .executableTarget(
      name: "lmlab",
      dependencies: ["Workbench", "Benchmarks", "LiveView", "SafeIO", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]),

    // Test support: finds a python3 with h5py + numpy for the interop checks (no XCTest import).
    .target(name: "InteropPython", path: "Tests/InteropPython"),
    // Test support shared by every test target: NaN-proof comparisons, committed fixtures that fail
    // when missing, real components (PostgreSQL, Slurm, Chromium, h5py) that fail under CI=true,
    // deadlines and exit statuses for the processes tests start and kill. Imports XCTest.
    .target(name: "TestSupport", dependencies: ["TensorEngine", "InteropPython"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorEngineTests", dependencies: ["TestSupport", "TensorEngine", "Storage"], resources: [.copy("Fixtures")]),
    .testTarget(name: "StorageTests", dependencies: ["TestSupport", "Storage", "InteropPython"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "MetricsTests", dependencies: ["TestSupport", "EvalMetrics", "Storage", "FeatureNetworks"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "FeatureNetworksTests", dependencies: ["TestSupport", "FeatureNetworks", "TensorEngine", "Storage"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "ImagingTests", dependencies: ["TestSupport", "Imaging"], resources: [.copy("Fixtures")]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
    .testTarget(name: "LandmarksTests", dependencies: ["TestSupport", "Landmarks", "Storage"], resources: [.copy("Fixtures")]),
    .testTarget(name: "PixelDynamicsTests", dependencies: ["TestSupport", "PixelDynamics", "TensorEngine", "Storage"]),
    .testTarget(name: "DynamicsTests", dependencies: ["TestSupport", "Dynamics", "Landmarks", "Storage"], resources: [.copy("Fixtures")]),
    // Registry tests spawn `registry-stress` processes (concurrent writers, kill -9).
    .executableTarget(name: "registry-stress", dependencies: ["Registry"]),
    .testTarget(name: "RegistryTests", dependencies: ["TestSupport", "Registry"]),
    // Reports tests also use EvalMetrics, to build a sample page the way a report command will.
    .testTarget(name: "ReportsTests", dependencies: ["TestSupport", "Reports", "Imaging", "EvalMetrics"]),
    .testTarget(name: "WorkbenchConfigTests", dependencies: ["Workbench"]),
    .testTarget(name: "TrainingTests", dependencies: ["TestSupport", "Workbench", "Benchmarks", "InteropPython"]),
    // `lmlab ui`: the live view through the built binary (HTTP, safety) and in headless Chromium.
    .testTarget(name: "LiveViewTests", dependencies: ["TestSupport", "Workbench", "LiveView", "Registry", "Reports"]),
    // Careless and hostile input (issue 24): crafted files through the built `lmlab` under a memory
    // ceiling and a deadline, and a bounded, seeded fuzz round through the parsers.
    .testTarget(
      name: "HostileInputTests",
      dependencies: [
        "TestSupport", "Workbench", "SafeIO", "Storage", "Imaging", "Datasets", "Landmarks", "Registry", "EvalMetrics",
        "TensorEngine",
      ]),
  ],
  swiftLanguageModes: [.v5]
)
