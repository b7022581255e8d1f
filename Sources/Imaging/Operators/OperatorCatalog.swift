/// Every built-in linear operator, in the 1-D/2-D/3-D variants where it applies, plus each
/// combinator, sized for a dot-product check (`wb check adjoint --size HxW`).
///
/// 2-D operators act on `height` × `width` images, 3-D ones on `depth` × `height` × `width`
/// volumes, 1-D ones on signals of length `width`. Random parts (kernels, masks, spectra,
/// diagonal weights) are drawn from `seed`. Names state the operator, its shape and its
/// parameters, e.g. "gaussianBlur2d(64×64, σ=2)".
public func builtInOperatorsForCheck(height: Int, width: Int, depth: Int, seed: UInt64) -> [any LinearOperator] {
    precondition(height >= 1 && width >= 1 && depth >= 1, "builtInOperatorsForCheck: sizes must be ≥ 1")
    let s1 = Shape(width), s2 = Shape(height, width), s3 = Shape(depth, height, width)
    var rng = RandomSource(seed: seed)
    func kernel(_ shape: Shape) -> Grid { rng.gaussianGrid(shape) }
    func fit(_ k: Int, _ n: Int) -> Int { Swift.min(k, n) }

    let gradient2 = Gradient2D(height: height, width: width)
    let blur2 = GaussianBlur(shape: s2, sigma: 2)
    let mask2 = FourierSampling.randomMask(shape: s2, fraction: 0.3, centerFraction: 0.08,
                                           seed: RandomSource.derivedSeed(seed, "mask2d"))
    var ops: [any LinearOperator] = [
        Gradient(shape: s1),
        gradient2,
        Gradient3D(depth: depth, height: height, width: width),
        Divergence(shape: s1),
        Divergence2D(height: height, width: width),
        Divergence3D(depth: depth, height: height, width: width),
        FourierConvolution(kernel: kernel(Shape(fit(4, width))), shape: s1),
        FourierConvolution(kernel: kernel(Shape(fit(5, height), fit(4, width))), shape: s2),
        FourierConvolution(kernel: kernel(Shape(fit(3, depth), fit(3, height), fit(2, width))), shape: s3),
        GaussianBlur(shape: s1, sigma: 1.5),
        blur2,
        GaussianBlur(shape: s2, sigma: [3, 0.5]),
        GaussianBlur(shape: s3, sigma: 1),
        FourierSampling(mask: FourierSampling.randomMask(shape: s1, fraction: 0.5, centerFraction: 0.1,
                                                         seed: RandomSource.derivedSeed(seed, "mask1d"))),
        FourierSampling(mask: mask2),
        FourierSampling(mask: FourierSampling.randomMask(shape: s3, fraction: 0.3, centerFraction: 0.1,
                                                         seed: RandomSource.derivedSeed(seed, "mask3d"))),
        RandomConvolution(shape: s1, spectrum: .rademacher, seed: RandomSource.derivedSeed(seed, "rc1r")),
        RandomConvolution(shape: s1, spectrum: .gaussian, seed: RandomSource.derivedSeed(seed, "rc1g")),
        RandomConvolution(shape: s2, spectrum: .rademacher, seed: RandomSource.derivedSeed(seed, "rc2r")),
        RandomConvolution(shape: s2, spectrum: .gaussian, seed: RandomSource.derivedSeed(seed, "rc2g")),
    ]
    ops += [
        IdentityOperator(s2),
        DiagonalOperator(rng.uniformGrid(s2, in: 0.5..<2)),
        ScaledOperator(0.5, gradient2),
        Adjoint(gradient2),
        Composition(gradient2, blur2),
        OperatorSum(blur2, IdentityOperator(s2)),
        Composition(Adjoint(FourierSampling(mask: mask2)), FourierSampling(mask: mask2)),
    ]
    return ops
}
