import Testing
import PropertyBased
@testable import Inverse

/// Proximal maps: brute-force/optimality checks, the Moreau identity against the closed-form
/// conjugate proxes, and non-expansiveness.
@Suite struct ProxTests {
    static let steps = [0.05, 0.7, 3.0]

    @Test(arguments: steps)
    func l1ProxMatchesGoldenSection(tau: Double) {
        let f = L1Norm(weight: 0.6)
        let v = randomGrid(Shape(40), seed: 1)
        let x = f.prox(v, stepSize: tau)
        for i in 0..<v.count {
            let phi = { (t: Double) in 0.6 * abs(t) + (t - v[i]) * (t - v[i]) / (2 * tau) }
            let best = goldenSectionMinimum(-5, 5, phi)
            // The prox objective is at least as low as the brute-force one, and the points agree to
            // the resolution of a golden-section search on a quadratic (~√ε).
            #expect(phi(x[i]) <= phi(best) + 1e-15, "τ \(tau), element \(i)")
            #expect(abs(best - x[i]) < 1e-6, "τ \(tau), element \(i): \(x[i]) vs brute force \(best)")
        }
    }

    @Test(arguments: steps)
    func boxProxMatchesGoldenSection(tau: Double) {
        let f = BoxIndicator(lower: -0.3, upper: 0.8)
        let v = randomGrid(Shape(40), seed: 2)
        let x = f.prox(v, stepSize: tau)
        for i in 0..<v.count {
            let phi = { (t: Double) in (t - v[i]) * (t - v[i]) / (2 * tau) }
            let best = goldenSectionMinimum(-0.3, 0.8, phi)
            #expect(phi(x[i]) <= phi(best) + 1e-15, "τ \(tau), element \(i)")
            #expect(abs(best - x[i]) < 1e-6, "τ \(tau), element \(i)")
        }
        #expect(f.value(x) == 0)
        #expect(f.value(v) == .infinity)
    }

    @Test(arguments: steps)
    func groupL21ProxOptimality(tau: Double) {
        let lambda = 0.5
        let f = GroupL21Norm(weight: lambda)
        let v = randomGrid(Shape(2, 9, 7), seed: 3)
        let x = f.prox(v, stepSize: tau)
        let n = 63
        var zeros = 0
        for p in 0..<n {
            let v0 = v.storage[p], v1 = v.storage[n + p], x0 = x.storage[p], x1 = x.storage[n + p]
            let nx = (x0 * x0 + x1 * x1).squareRoot(), nv = (v0 * v0 + v1 * v1).squareRoot()
            if nx == 0 {
                zeros += 1
                #expect(nv <= tau * lambda * (1 + 1e-12))  // 0 ∈ ∂: ‖v‖ ≤ τλ
            } else {
                // (v − x)/τ = λ x/‖x‖
                #expect(abs((v0 - x0) / tau - lambda * x0 / nx) < 1e-12)
                #expect(abs((v1 - x1) / tau - lambda * x1 / nx) < 1e-12)
            }
        }
        if tau == 3.0 { #expect(zeros > 0) }
        // Brute force on one group: the prox objective is not lower at random nearby points.
        let obj = { (a: Double, b: Double) in lambda * (a * a + b * b).squareRoot() + ((a - v.storage[0]) * (a - v.storage[0]) + (b - v.storage[n]) * (b - v.storage[n])) / (2 * tau) }
        let best = obj(x.storage[0], x.storage[n])
        var rng = RandomSource(seed: 9)
        for _ in 0..<2000 {
            let a = x.storage[0] + 0.1 * rng.gaussian(), b = x.storage[n] + 0.1 * rng.gaussian()
            #expect(obj(a, b) >= best - 1e-14)
        }
    }

    @Test func groupL21DualBallProjection() {
        let f = GroupL21Norm(weight: 0.4)
        let v = randomGrid(Shape(3, 5, 6), seed: 4)
        var x = Grid(shape: v.shape)
        f.projectOntoDualBall(v, into: &x)
        #expect(f.dualNorm(x) <= 0.4 * (1 + 1e-15))
        #expect(f.convexConjugateValue(x) == 0)
        #expect(f.convexConjugateValue(v) == .infinity)
        // Groups inside the ball are unchanged; outside, direction kept.
        let n = 30
        for p in 0..<n {
            let nv = (0..<3).map { v.storage[$0 * n + p] * v.storage[$0 * n + p] }.reduce(0, +).squareRoot()
            for k in 0..<3 {
                let expected = nv <= 0.4 ? v.storage[k * n + p] : v.storage[k * n + p] * 0.4 / nv
                #expect(abs(x.storage[k * n + p] - expected) < 1e-15)
            }
        }
    }

    @Test func squaredL2ProxOptimality() {
        let y = randomGrid(Shape(6, 5), seed: 5)
        let f = SquaredL2Distance(target: y)
        for tau in Self.steps {
            let v = randomGrid(y.shape, seed: 6)
            let x = f.prox(v, stepSize: tau)
            // (v − x)/τ − ∇f(x) = 0
            var r = v; r.subtract(x); r.scale(by: 1 / tau); r.subtract(f.gradient(x))
            #expect(r.norm < 1e-12, "τ \(tau)")
        }
    }

    /// Moreau identity v = prox_{τf}(v) + τ·prox_{f*/τ}(v/τ), with the closed-form conjugate proxes.
    @Test(arguments: steps)
    func moreauIdentity(tau: Double) {
        let v = randomGrid(Shape(2, 8, 8), seed: 7)
        let residuals: [(String, Double)] = [
            ("L1", moreauResidual(L1Norm(weight: 0.3), v, stepSize: tau)),
            ("GroupL21", moreauResidual(GroupL21Norm(weight: 0.3), v, stepSize: tau)),
            ("Box", moreauResidual(BoxIndicator(lower: -0.2, upper: 0.5), v, stepSize: tau)),
            ("SquaredL2", moreauResidual(SquaredL2Distance(target: randomGrid(v.shape, seed: 8)), v, stepSize: tau)),
            ("Zero", moreauResidual(ZeroFunctional(), v, stepSize: tau)),
        ]
        for (name, r) in residuals { #expect(r < 1e-14, "\(name), τ \(tau): residual \(r)") }
    }

    /// The generic Moreau-based conjugate prox agrees with each closed form.
    @Test(arguments: steps)
    func genericConjugateProxAgreesWithClosedForms(sigma: Double) {
        let v = randomGrid(Shape(3, 6, 5), seed: 10)
        func check<F: ProximableFunctional>(_ f: F, _ name: String) {
            var a = Grid(shape: v.shape), b = Grid(shape: v.shape), s = Grid(shape: v.shape)
            f.proxConjugate(v, stepSize: sigma, into: &a)
            f.proxConjugateByMoreau(v, stepSize: sigma, into: &b, scratch: &s)
            #expect(a.maxAbsDifference(b) < 1e-13, "\(name), σ \(sigma)")
        }
        check(L1Norm(weight: 0.7), "L1")
        check(GroupL21Norm(weight: 0.7), "GroupL21")
        check(BoxIndicator(lower: -1, upper: 0.25), "Box")
        check(SquaredL2Distance(target: randomGrid(v.shape, seed: 11)), "SquaredL2")
        check(ZeroFunctional(), "Zero")
    }

    @Test func nonExpansiveness() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...1_000_000)) { seed in
            let s = UInt64(seed)
            let u = randomGrid(Shape(2, 6, 6), seed: s), v = randomGrid(Shape(2, 6, 6), seed: s &+ 1)
            let tau = 0.05 + Double(seed % 100) / 20
            let ratios = [
                expansionRatio(L1Norm(weight: 0.4), u, v, stepSize: tau),
                expansionRatio(GroupL21Norm(weight: 0.4), u, v, stepSize: tau),
                expansionRatio(BoxIndicator(lower: -0.5, upper: 0.5), u, v, stepSize: tau),
                expansionRatio(SquaredL2Distance(target: randomGrid(u.shape, seed: s &+ 2)), u, v, stepSize: tau),
            ]
            for r in ratios { #expect(r <= 1 + 1e-12, "seed \(s), τ \(tau): ratio \(r)") }
        }
    }

    @Test func conjugateValues() {
        let z = randomGrid(Shape(10), seed: 12)
        let y = randomGrid(Shape(10), seed: 13)
        // Fenchel–Young with equality at z ∈ ∂f(x): for f = ½‖x − y‖², ∂f(x) = x − y.
        let f = SquaredL2Distance(target: y)
        var zz = z; zz.subtract(y)
        #expect(abs(f.value(z) + f.convexConjugateValue(zz) - z.dot(zz)) < 1e-12)
        let box = BoxIndicator(lower: -1, upper: 2)
        let expected = z.storage.map { max(-$0, 2 * $0) }.reduce(0, +)
        #expect(abs(box.convexConjugateValue(z) - expected) < 1e-12)
        let l1 = L1Norm(weight: 10)
        #expect(l1.convexConjugateValue(z) == 0)
        #expect(L1Norm(weight: 0.01).convexConjugateValue(z) == .infinity)
    }
}

/// The ``ConvexConjugate`` wrapper: f* as a functional, and (f*)* = f.
@Suite struct ConvexConjugateTests {
    @Test func wrapperSwapsProxAndValue() {
        let base = GroupL21Norm(weight: 0.3)
        let conj = ConvexConjugate(base)
        let v = randomGrid(Shape(2, 5, 5), seed: 21)
        var a = Grid(shape: v.shape), b = Grid(shape: v.shape)
        conj.prox(v, stepSize: 0.7, into: &a)
        base.projectOntoDualBall(v, into: &b)
        #expect(a == b)
        conj.proxConjugate(v, stepSize: 0.7, into: &a)
        base.prox(v, stepSize: 0.7, into: &b)
        #expect(a == b)
        #expect(conj.value(a) == base.convexConjugateValue(a))
        #expect(conj.convexConjugateValue(v) == base.value(v))
        #expect(moreauResidual(conj, v, stepSize: 0.7) < 1e-14)
    }
}
