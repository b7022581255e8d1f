import ArgumentParser
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// Clean/noisy image pairs for `wb learn`: all of one shape, ready for the library.
struct TrainingPairs {
    var clean: [Grid]
    var noisy: [Grid]
    /// Where each pair came from ("file.png", "stack.h5:/clean[3]", "… crop (y, x)"), for messages.
    var labels: [String]

    var count: Int { clean.count }
    var shape: Shape { clean[0].shape }
}

/// The options that say where training (and validation) pairs come from. Forms:
/// (a) HDF5 stacks (n, h, w) or single images (h, w): `clean.h5:/clean` with `--noisy noisy.h5:/noisy`;
/// (b) PNG files or folders of PNGs (sorted by name), with `--noisy` files or folders in the same order;
/// (c) clean images of either form with `--sigma`: Gaussian noise is synthesised from `--seed`.
struct TrainingDataOptions: ParsableArguments {
    @Option(help: "Noisy counterparts of the training inputs, in the same forms and order (repeatable); without it, noise is synthesised with --sigma.")
    var noisy: [String] = []
    @Option(help: "σ of the Gaussian noise synthesised from --seed for clean images without --noisy/--validation-noisy.")
    var sigma: Double?
    @Option(help: "Side of the square training crops (0: whole images, which must then share one shape).")
    var cropSize = 0
    @Option(help: "Crops per image at positions drawn from --seed (needs --crop-size).")
    var cropsPerImage = 1
    @Option(help: "Clean validation images: PNG files, folders or HDF5 references (repeatable).")
    var validation: [String] = []
    @Option(help: "Noisy counterparts of --validation (same forms and order); without it, noise is synthesised with --sigma.")
    var validationNoisy: [String] = []
    @Option(help: "Crops per validation image (same --crop-size; default: --crops-per-image).")
    var validationCrops: Int?

    func validate() throws {
        if let s = sigma, !(s > 0 && s.isFinite) { throw ValidationError("--sigma must be a finite number > 0, got \(s)") }
        if cropSize < 0 { throw ValidationError("--crop-size must be ≥ 0, got \(cropSize)") }
        if cropSize > 0 && cropSize < 8 { throw ValidationError("--crop-size must be 0 (whole images) or ≥ 8, got \(cropSize)") }
        if cropsPerImage < 1 { throw ValidationError("--crops-per-image must be ≥ 1, got \(cropsPerImage)") }
        if let v = validationCrops, v < 1 { throw ValidationError("--validation-crops must be ≥ 1, got \(v)") }
        if cropSize == 0 && (cropsPerImage > 1 || (validationCrops ?? 1) > 1) {
            throw ValidationError("--crops-per-image/--validation-crops > 1 need --crop-size")
        }
        if noisy.isEmpty && sigma == nil { throw ValidationError("give --noisy (noisy counterparts) or --sigma (synthesise noise)") }
        if !noisy.isEmpty && sigma != nil { throw ValidationError("--noisy and --sigma exclude each other for the training set") }
        if !validationNoisy.isEmpty && validation.isEmpty { throw ValidationError("--validation-noisy needs --validation (the clean images)") }
        if !validation.isEmpty && validationNoisy.isEmpty && sigma == nil {
            throw ValidationError("--validation without --validation-noisy needs --sigma to synthesise its noise")
        }
    }

    /// Every file these options read (folders expanded), for provenance.
    func files() throws -> [String] {
        try (noisy + validation + validationNoisy).flatMap(TrainingData.files(of:))
    }

    /// The training pairs from the clean `inputs` (files or pipeline grids).
    func training(_ context: ToolContext) throws -> TrainingPairs {
        var clean: [(Grid, String)] = []
        for (i, input) in context.inputs.enumerated() {
            switch input {
            case .file(let ref): clean += try TrainingData.images(ref)
            case .step(let id, _): clean += TrainingData.frames(try context.grid(i, ranks: 2...3), label: "step '\(id)'")
            }
        }
        let noisyImages = try noisy.flatMap(TrainingData.images)
        return try TrainingData.pairs(clean: clean, noisy: noisy.isEmpty ? nil : noisyImages, sigma: sigma,
                                      cropSize: cropSize, crops: cropsPerImage,
                                      seed: RandomSource.derivedSeed(context.seed, "training"), set: "training")
    }

    /// The validation pairs, or nil without --validation.
    func validationPairs(_ context: ToolContext) throws -> TrainingPairs? {
        guard !validation.isEmpty else { return nil }
        let clean = try validation.flatMap(TrainingData.images)
        let noisyImages = try validationNoisy.flatMap(TrainingData.images)
        return try TrainingData.pairs(clean: clean, noisy: validationNoisy.isEmpty ? nil : noisyImages, sigma: sigma,
                                      cropSize: cropSize, crops: validationCrops ?? cropsPerImage,
                                      seed: RandomSource.derivedSeed(context.seed, "validation"), set: "validation")
    }
}

/// Reading image sets (files, folders, stacks) and making seeded crops and noisy copies.
enum TrainingData {
    /// True when `path` is an existing folder.
    static func isFolder(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The PNG files of a folder, sorted by name; an error when there are none.
    static func pngFiles(in folder: String) throws -> [String] {
        guard let dir = opendir(folder) else { throw WBError("\(folder): cannot read the folder") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.lowercased().hasSuffix(".png") && !name.hasPrefix(".") { names.append(name) }
        }
        guard !names.isEmpty else { throw WBError("\(folder): the folder holds no .png files") }
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return names.sorted().map { base + $0 }
    }

    /// The files read for one reference (a folder's PNGs, or the file of a PNG/HDF5 reference).
    static func files(of ref: String) throws -> [String] {
        if isFolder(ref) { return try pngFiles(in: ref) }
        let file = DataFiles.fileComponent(ref)
        guard (try? DataFiles.format(of: ref, role: "image set")) != nil else {
            if !AtomicOutput.exists(ref) { throw WBError("\(ref): no such folder or file") }
            throw WBError("\(ref): neither a folder nor a .png/.h5 image reference")
        }
        guard AtomicOutput.exists(file) else { throw ImagingError.fileNotFound(path: file) }
        return [file]
    }

    /// The 2-D images of one reference: each PNG of a folder, a PNG, or an HDF5 image (h, w)
    /// or stack (n, h, w); NaN/Inf rejected (naming the source).
    static func images(_ ref: String) throws -> [(Grid, String)] {
        if isFolder(ref) { return try pngFiles(in: ref).map { (try DataFiles.read($0, ranks: 2...2), $0) } }
        _ = try files(of: ref)
        return frames(try DataFiles.read(ref, ranks: 2...3), label: ref)
    }

    /// A rank-2 grid as one image, a rank-3 grid as its frames.
    static func frames(_ g: Grid, label: String) -> [(Grid, String)] {
        g.rank == 2 ? [(g, label)] : (0..<g.shape[0]).map { (g.slice($0), "\(label)[\($0)]") }
    }

    /// Pairs clean and noisy images (or synthesises noise), then crops; every check names the
    /// set and the images involved.
    static func pairs(clean: [(Grid, String)], noisy: [(Grid, String)]?, sigma: Double?,
                      cropSize: Int, crops: Int, seed: UInt64, set: String) throws -> TrainingPairs {
        guard !clean.isEmpty else { throw WBError("the \(set) set is empty") }
        if let noisy {
            guard noisy.count == clean.count else {
                throw WBError("the \(set) set has \(clean.count) clean but \(noisy.count) noisy images; they must pair up one to one")
            }
            for (c, n) in zip(clean, noisy) where c.0.shape != n.0.shape {
                throw WBError("\(set) pair \(c.1) and \(n.1): shapes differ (\(c.0.shape) vs \(n.0.shape))")
            }
        }
        var rng = RandomSource(seed: RandomSource.derivedSeed(seed, "crops"))
        var out = TrainingPairs(clean: [], noisy: [], labels: [])
        for (i, (image, label)) in clean.enumerated() {
            let (h, w) = (image.shape[0], image.shape[1])
            if cropSize > 0 && (cropSize > h || cropSize > w) {
                throw WBError("\(label): the image (\(h)×\(w)) is smaller than --crop-size \(cropSize)")
            }
            for k in 0..<crops {
                var c = image, n = noisy?[i].0, l = label
                if cropSize > 0 {
                    let top = Int(rng.uniform() * Double(h - cropSize + 1)), left = Int(rng.uniform() * Double(w - cropSize + 1))
                    c = crop(image, top: top, left: left, size: cropSize)
                    n = n.map { crop($0, top: top, left: left, size: cropSize) }
                    l = "\(label) crop (\(top), \(left))"
                }
                if n == nil, let sigma {
                    n = try Noise.add(.gaussian(sigma: sigma), to: c, seed: RandomSource.derivedSeed(seed, "noise \(i) \(k)"))
                }
                out.clean.append(c)
                out.noisy.append(n!)
                out.labels.append(l)
            }
        }
        let shape = out.clean[0].shape
        if let odd = out.clean.indices.first(where: { out.clean[$0].shape != shape }) {
            throw WBError("\(set) images differ in shape (\(out.labels[0]) is \(shape), \(out.labels[odd]) is \(out.clean[odd].shape)); use --crop-size")
        }
        return out
    }

    /// The size×size window of a 2-D image at (top, left).
    static func crop(_ g: Grid, top: Int, left: Int, size: Int) -> Grid {
        let w = g.shape[1]
        var out = Grid.image(height: size, width: size)
        for i in 0..<size {
            for j in 0..<size { out.storage[i * size + j] = g.storage[(top + i) * w + left + j] }
        }
        return out
    }
}
