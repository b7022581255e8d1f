#if canImport(Glibc)
import Glibc
#endif

/// How the lower-level accuracy ε (and the CG tolerance δ, always in the same ratio) evolves.
public enum AccuracySchedule: Sendable, Equatable, CustomStringConvertible {
    /// MAID: tightened by ν on a failed descent test or line search, relaxed by ν̄ on success.
    case adaptive
    /// Fixed ε = ε₀, δ = δ₀ (the fixed-accuracy baseline).
    case fixed
    /// HOAG-style ε_k = ε₀·rate^k (rate ∈ (0, 1); HOAG's default 0.9).
    case geometric(rate: Double)
    /// HOAG-style ε_k = ε₀/(k + 1)^power (power > 0; HOAG's quadratic 2 and cubic 3).
    case polynomial(power: Double)

    /// "adaptive", "fixed", "geometric(0.9)", "polynomial(2)".
    public var description: String {
        switch self {
        case .adaptive: return "adaptive"
        case .fixed: return "fixed"
        case .geometric(let r): return "geometric(\(r))"
        case .polynomial(let p): return "polynomial(\(p))"
        }
    }
}

/// The search direction d of MAID's step θ⁺ = P(θ − αd) (P: projection onto the model's box).
public enum MAIDDirection: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// d = z (the spec's Algorithm 3.1): projected gradient descent with one scalar step that is
    /// grown by ρ̄ after every accepted step.
    case gradient
    /// d = H z, H the L-BFGS inverse-Hessian approximation of the accepted (Δθ, Δz) pairs
    /// restricted to the free variables (two-metric projection), trial step 1; falls back to
    /// d = z when the memory is empty or an L-BFGS line search fails.
    case lbfgs

    /// "gradient" or "lbfgs".
    public var description: String { rawValue }
}

/// Constants of MAID (spec Part B, Algorithm 3.1 and 3.2); defaults are the reference code's
/// values (spec §3 table), except the Armijo constant c = η² written out. Check with ``validate()``.
public struct MAIDOptions: Sendable, Equatable {
    /// ε₀ > 0: initial certified distance ‖x̃_i − x̂_i‖ per image.
    public var initialAccuracy = 0.1
    /// δ₀ > 0: initial absolute CG residual per image.
    public var initialCGTolerance = 0.1
    /// α₀ > 0: initial step.
    public var initialStep = 0.01
    /// ρ ∈ (0, 1): step shrink in backtracking.
    public var stepShrink = 0.5
    /// ρ̄ ≥ 1: step growth after an accepted step.
    public var stepGrowth = 10.0 / 9
    /// ν ∈ (0, 1): accuracy tightening (ε, δ ← νε, νδ) after a failed test.
    public var accuracyTightening = 0.5
    /// ν̄ ≥ 1: accuracy relaxation (ε, δ ← ν̄ε, ν̄δ) after an accepted step.
    public var accuracyRelaxation = 1.05
    /// η ∈ (0, 1): descent margin of the test ω ≤ (1 − η)‖z‖.
    public var descentMargin = 1e-4
    /// c ∈ (0, η): Armijo constant of U(θ⁺) − L(θ) ≤ −c α‖z‖².
    public var armijo = 1e-8
    /// Backtracking steps per line search (≥ 1); grows by one after each failed search.
    public var maxBacktracks = 10
    /// ε floor > 0 (< ε₀): tightening below it stops with ``BilevelStopReason/accuracyFloor``.
    public var minimumAccuracy = 1e-7
    /// Stop with ``BilevelStopReason/converged`` when ‖z‖ ≤ tol and ω ≤ tol (tol ≥ 0).
    public var gradientTolerance = 1e-6
    /// Outer-iteration budget (≥ 1).
    public var maxOuterIterations = 200
    /// Total lower-level (FISTA) iteration budget (≥ 1).
    public var maxLowerLevelIterations = 1_000_000
    /// Wall-time budget in seconds (> 0; may be ∞).
    public var maxSeconds = Double.infinity
    /// Solver caps and the ω safety factor.
    public var limits = BilevelSolverLimits()
    /// The accuracy schedule (``AccuracySchedule/adaptive`` is MAID).
    public var schedule = AccuracySchedule.adaptive
    /// Seed of the probe directions of the constant estimates.
    public var seed: UInt64 = 0
    /// Search direction: L-BFGS (default) or the hypergradient itself (the spec's Algorithm 3.1).
    public var direction = MAIDDirection.lbfgs
    /// Pairs (s, y) kept by the L-BFGS direction (≥ 1).
    public var memory = 10
    /// Adaptive schedule only: end the line search at the first trial whose *computed* loss
    /// decreases (by more than c⟨z, θ − θ⁺⟩) while the certified test fails because the bound gap
    /// hides that decrease, and tighten ε, δ at once. Backtracking cannot help such an
    /// accuracy-limited failure (a shorter step only shrinks the decrease further below the gap).
    /// `false` is the spec's Algorithm 3.1, which backtracks through maxBT trials first. Measured on
    /// acceptance C at equal lower-level + CG work (docs/bilevel.md): f = 1.550 against 1.617 after
    /// 100 k iterations, and lower at every budget from 20 k on.
    public var tightenWhenDecreaseMasked = true

    /// Defaults.
    public init() {}

    /// Throws ``BilevelError/invalidOption(name:value:reason:)`` for the first invalid constant.
    public func validate() throws {
        func bad(_ name: String, _ value: Double, _ reason: String) -> BilevelError {
            .invalidOption(name: name, value: value, reason: reason)
        }
        func positive(_ name: String, _ v: Double) throws {
            guard v > 0, v.isFinite else { throw bad(name, v, "must be finite and > 0") }
        }
        try positive("initialAccuracy", initialAccuracy)
        try positive("initialCGTolerance", initialCGTolerance)
        try positive("initialStep", initialStep)
        guard stepShrink > 0, stepShrink < 1 else { throw bad("stepShrink", stepShrink, "ρ must lie in (0, 1)") }
        guard stepGrowth >= 1, stepGrowth.isFinite else { throw bad("stepGrowth", stepGrowth, "ρ̄ must be finite and ≥ 1") }
        guard accuracyTightening > 0, accuracyTightening < 1 else {
            throw bad("accuracyTightening", accuracyTightening, "ν must lie in (0, 1)")
        }
        guard accuracyRelaxation >= 1, accuracyRelaxation.isFinite else {
            throw bad("accuracyRelaxation", accuracyRelaxation, "ν̄ must be finite and ≥ 1")
        }
        guard descentMargin > 0, descentMargin < 1 else { throw bad("descentMargin", descentMargin, "η must lie in (0, 1)") }
        guard armijo > 0, armijo < descentMargin else {
            throw bad("armijo", armijo, "c must lie in (0, η) with η = descentMargin = \(descentMargin)")
        }
        guard maxBacktracks >= 1 else { throw bad("maxBacktracks", Double(maxBacktracks), "must be ≥ 1") }
        try positive("minimumAccuracy", minimumAccuracy)
        guard minimumAccuracy <= initialAccuracy else {
            throw bad("minimumAccuracy", minimumAccuracy, "the ε floor must not exceed ε₀ = \(initialAccuracy)")
        }
        guard gradientTolerance >= 0, gradientTolerance.isFinite else {
            throw bad("gradientTolerance", gradientTolerance, "must be finite and ≥ 0")
        }
        guard maxOuterIterations >= 1 else { throw bad("maxOuterIterations", Double(maxOuterIterations), "must be ≥ 1") }
        guard maxLowerLevelIterations >= 1 else {
            throw bad("maxLowerLevelIterations", Double(maxLowerLevelIterations), "must be ≥ 1")
        }
        guard maxSeconds > 0, !maxSeconds.isNaN else { throw bad("maxSeconds", maxSeconds, "must be > 0") }
        guard limits.maxIterationsPerSolve >= 1 else {
            throw bad("maxIterationsPerSolve", Double(limits.maxIterationsPerSolve), "must be ≥ 1")
        }
        guard limits.maxCGIterations >= 1 else { throw bad("maxCGIterations", Double(limits.maxCGIterations), "must be ≥ 1") }
        guard limits.constantSafetyFactor >= 1, limits.constantSafetyFactor.isFinite else {
            throw bad("constantSafetyFactor", limits.constantSafetyFactor, "must be finite and ≥ 1")
        }
        guard memory >= 1 else { throw bad("memory", Double(memory), "the L-BFGS memory must be ≥ 1") }
        switch schedule {
        case .geometric(let r):
            guard r > 0, r < 1 else { throw bad("schedule.rate", r, "a geometric schedule needs a rate in (0, 1)") }
        case .polynomial(let p):
            guard p > 0, p.isFinite else { throw bad("schedule.power", p, "a polynomial schedule needs a finite power > 0") }
        case .adaptive, .fixed: break
        }
    }
}

/// Why ``MAID/run(problem:initialTheta:options:progress:)`` stopped.
public enum BilevelStopReason: Sendable, Equatable, CustomStringConvertible {
    /// ‖z‖ ≤ tol and ω ≤ tol: ‖∇f(θ)‖ ≤ 2·tol (with the estimated constants).
    case converged
    /// The hypergradient is numerically zero: a step of the current size cannot change θ
    /// (α‖z‖ ≤ 1e-14·(1 + ‖θ‖)), e.g. a weight so large that x̂ is constant.
    case stationary
    /// The accuracy had to be tightened below the floor (adaptive), no step was accepted at the
    /// fixed accuracy (three line searches), or the schedule passed the floor.
    case accuracyFloor
    /// A budget ran out: outer iterations, lower-level iterations or time (the message says which).
    case budget(String)
    /// θ sits on its box and −z points out of it: the optimum is at the boundary.
    case boundary

    /// "converged", "stationary", "accuracy floor reached", "budget: …", "at boundary".
    public var description: String {
        switch self {
        case .converged: return "converged"
        case .stationary: return "stationary"
        case .accuracyFloor: return "accuracy floor reached"
        case .budget(let which): return "budget: \(which)"
        case .boundary: return "at boundary"
        }
    }
}

/// One outer iteration: the state at θ_k when its hypergradient was accepted (after any
/// tightening), what the line search did, and cumulative work at the end of the iteration.
public struct BilevelHistoryEntry: Sendable, Equatable {
    /// k (0-based).
    public var iteration: Int
    /// θ_k.
    public var theta: [Double]
    /// (1/m) Σ g_i(x̃_i) at θ_k.
    public var loss: Double
    /// Certified upper bound of f(θ_k).
    public var lossUpper: Double
    /// Certified lower bound of f(θ_k).
    public var lossLower: Double
    /// ε used at θ_k.
    public var epsilon: Double
    /// δ used at θ_k.
    public var delta: Double
    /// The accepted step α (0 when the line search failed).
    public var stepSize: Double
    /// ‖z_k‖.
    public var hypergradientNorm: Double
    /// ω_k.
    public var errorBound: Double
    /// Trial steps tried in this iteration's line search.
    public var backtracks: Int
    /// Whether a step was accepted.
    public var accepted: Bool
    /// Whether the accepted step (or, without one, the first direction tried) was an L-BFGS one.
    public var quasiNewton: Bool
    /// ‖θ_k − P(θ_k − z_k)‖, the projected-gradient norm (the stationarity measure on the box).
    public var projectedGradientNorm: Double
    /// Certified upper bound U(θ_{k+1}) of the accepted trial point (nil without an accepted
    /// step); the line search guarantees U(θ_{k+1}) < L(θ_k) ≤ f(θ_k).
    public var acceptedUpper: Double?
    /// Cumulative FISTA iterations (all images) at the end of the iteration.
    public var lowerLevelIterations: Int
    /// Cumulative CG iterations (all images) at the end of the iteration.
    public var cgIterations: Int
    /// Cumulative FISTA iterations counted as for one stacked problem (per solve the largest
    /// per-image count; the reference code's count).
    public var stackedLowerLevelIterations: Int
    /// Cumulative CG iterations counted as for one stacked problem.
    public var stackedCGIterations: Int
    /// Seconds since the start of the run at the end of the iteration.
    public var seconds: Double
    /// The line search ended at a trial whose computed loss decreased but whose certified bounds
    /// hid the decrease (``MAIDOptions/tightenWhenDecreaseMasked``); ε, δ are tightened next.
    public var decreaseMasked = false
}

/// The outcome of a MAID (or baseline) run.
public struct BilevelResult: Sendable {
    /// The final θ (the last accepted iterate).
    public var theta: [Double]
    /// Why the run stopped.
    public var stopReason: BilevelStopReason
    /// One entry per outer iteration.
    public var history: [BilevelHistoryEntry]
    /// (1/m) Σ g_i at the final θ (at the last accuracy).
    public var loss: Double
    /// Certified upper bound of f at the final θ.
    public var lossUpper: Double
    /// Certified lower bound of f at the final θ.
    public var lossLower: Double
    /// ε and δ at the end.
    public var epsilon: Double, delta: Double
    /// Total FISTA iterations (all images).
    public var lowerLevelIterations: Int
    /// Total CG iterations (all images).
    public var cgIterations: Int
    /// Total FISTA iterations counted as for one stacked problem (see ``BilevelHistoryEntry``).
    public var stackedLowerLevelIterations: Int
    /// Total CG iterations counted as for one stacked problem.
    public var stackedCGIterations: Int
    /// Wall time.
    public var seconds: Double
    /// Lower-level solutions at the final θ.
    public var reconstructions: [Grid]
}

/// MAID, the method of adaptive inexact descent for bilevel learning (Salehi, Mukherjee,
/// Roberts, Ehrhardt, SIAM J. Math. Data Sci. 2025; spec Part B Algorithm 3.1), made a projected
/// method on the model's box, with an optional L-BFGS direction, and the same loop with fixed or
/// a-priori decreasing (HOAG-style) accuracies as baselines. docs/bilevel.md describes the
/// directions, the projection, the constants, the bounds and the stop reasons.
public enum MAID {
    /// Runs the method from `initialTheta` (projected onto the box); `progress` sees every history
    /// entry as it is made.
    ///
    /// Per outer iteration k (ε, δ per image; U, L the certified loss bounds, P the projection):
    /// 1. solve the lower levels at θ_k to ε (warm start), CG to δ, z and ω; build the direction d
    ///    (``MAIDDirection``; components on the box with −z pointing out are blocked, d_j = 0);
    ///    adaptive: while ω‖d‖ > (1 − η)⟨z, d⟩ tighten ε, δ by ν (stop at the floor) — for d = z
    ///    without blocked components this is the spec's ω ≤ (1 − η)‖z‖, and it makes −d a descent
    ///    direction of the exact f;
    /// 2. stop if converged (‖θ − P(θ − z)‖ ≤ tol and ω ≤ tol), stationary or at the boundary;
    /// 3. backtrack α = α₀ρ^i, i < maxBT (α₀ = 1 for L-BFGS, the running gradient step otherwise):
    ///    θ⁺ = P(θ_k − αd), solve at θ⁺ to ε, accept if U(θ⁺) − L(θ_k) ≤ −c⟨z, θ_k − θ⁺⟩
    ///    (= −cα⟨z, d⟩ without projection), which proves f(θ⁺) < f(θ_k); a failed L-BFGS search
    ///    clears the memory and searches along d = z at once;
    /// 4. success: θ_{k+1} = θ⁺, gradient step α ← ρ̄α, ε, δ ← ν̄ε, ν̄δ (adaptive), and the pair
    ///    (θ_{k+1} − θ_k, z_{k+1} − z_k) enters the memory if its curvature is positive;
    ///    failure: ε, δ ← νε, νδ, maxBT + 1, same θ (adaptive), or stop after three failures
    ///    (fixed); schedules set ε_k, δ_k.
    public static func run<Model: BilevelModel>(problem: BilevelProblem<Model>, initialTheta: [Double],
                                                options: MAIDOptions = MAIDOptions(),
                                                progress: (BilevelHistoryEntry) -> Void = { _ in }) throws -> BilevelResult {
        try options.validate()
        let model = problem.model
        try model.validate(theta: initialTheta)
        let lower = model.lowerBounds, upper = model.upperBounds
        let start = ContinuousClock.now
        func elapsed() -> Double { secondsBetween(start, .now) }
        let evaluator = BilevelEvaluator(problem: problem, limits: options.limits, seed: options.seed)
        var theta = model.clip(initialTheta)
        var epsilon = options.initialAccuracy, delta = options.initialCGTolerance
        var alpha = options.initialStep
        var maxBT = options.maxBacktracks
        var history: [BilevelHistoryEntry] = []
        var consecutiveFailures = 0
        var stop: BilevelStopReason? = nil
        var current = try evaluator.solve(theta: theta, epsilon: epsilon, commit: true)
        var memory = QuasiNewtonMemory(capacity: options.memory)
        // (θ_k, z_k) of the last accepted step, to form the next pair once z_{k+1} is known.
        var previous: (theta: [Double], z: [Double])? = nil
        var k = 0

        func budgetExceeded() -> BilevelStopReason? {
            if evaluator.lowerLevelIterations >= options.maxLowerLevelIterations {
                return .budget("lower-level iterations (\(evaluator.lowerLevelIterations) ≥ \(options.maxLowerLevelIterations))")
            }
            if elapsed() >= options.maxSeconds { return .budget("time (\(elapsed()) s ≥ \(options.maxSeconds) s)") }
            return nil
        }
        func scheduled(_ k: Int) -> (Double, Double) {
            switch options.schedule {
            case .adaptive, .fixed: return (epsilon, delta)
            case .geometric(let rate):
                let f = pow(rate, Double(k))
                return (options.initialAccuracy * f, options.initialCGTolerance * f)
            case .polynomial(let power):
                let f = 1 / pow(Double(k + 1), power)
                return (options.initialAccuracy * f, options.initialCGTolerance * f)
            }
        }
        func direction(_ z: [Double], quasiNewton: Bool) -> [Double] {
            projectedDirection(theta: theta, z: z, lower: lower, upper: upper,
                               memory: quasiNewton ? memory : nil)
        }

        outer: while stop == nil {
            if k >= options.maxOuterIterations { stop = .budget("outer iterations (\(options.maxOuterIterations))"); break }
            if let b = budgetExceeded() { stop = b; break }
            if options.schedule != .adaptive && options.schedule != .fixed {
                let (e, d) = scheduled(k)
                if e < options.minimumAccuracy { stop = .accuracyFloor; break }
                if e < epsilon { current = try evaluator.solve(theta: theta, epsilon: e, commit: true) }
                epsilon = e; delta = d
            }
            // 1. Inexact hypergradient and direction (Algorithm 3.2, with the direction's test).
            let useQN = options.direction == .lbfgs && !memory.isEmpty
            var z: [Double] = [], omega = 0.0, d: [Double] = [], pgNorm = 0.0
            while true {
                (z, omega) = try evaluator.hypergradient(theta: theta, delta: delta)
                pgNorm = norm(zip(theta, zip(z, zip(lower, upper))).map { t, r in t - min(max(t - r.0, r.1.0), r.1.1) })
                if pgNorm <= options.gradientTolerance && omega <= options.gradientTolerance { stop = .converged; break }
                d = direction(z, quasiNewton: useQN)
                let zd = dot(z, d)
                if options.schedule != .adaptive || (zd > 0 && omega * norm(d) <= (1 - options.descentMargin) * zd) { break }
                // d = 0 with z ≠ 0: every component is blocked, the boundary stop below applies.
                if zd == 0 && z.contains(where: { $0 != 0 }) && d.allSatisfy({ $0 == 0 }) { break }
                epsilon *= options.accuracyTightening
                delta *= options.accuracyTightening
                if epsilon < options.minimumAccuracy { stop = .accuracyFloor; break }
                if let b = budgetExceeded() { stop = b; break }
                current = try evaluator.solve(theta: theta, epsilon: epsilon, commit: true)
            }
            // The pair of the previous accepted step, now that z_k is known.
            if let p = previous {
                memory.push(s: zip(theta, p.theta).map { $0 - $1 }, y: zip(z, p.z).map { $0 - $1 })
                previous = nil
            }
            let zNorm = norm(z)
            var entry = BilevelHistoryEntry(
                iteration: k, theta: theta, loss: current.loss, lossUpper: current.upper, lossLower: current.lower,
                epsilon: epsilon, delta: delta, stepSize: 0, hypergradientNorm: zNorm, errorBound: omega,
                backtracks: 0, accepted: false, quasiNewton: useQN, projectedGradientNorm: pgNorm, acceptedUpper: nil,
                lowerLevelIterations: evaluator.lowerLevelIterations, cgIterations: evaluator.cgIterations,
                stackedLowerLevelIterations: evaluator.stackedLowerLevelIterations,
                stackedCGIterations: evaluator.stackedCGIterations, seconds: elapsed())
            if stop != nil { history.append(entry); progress(entry); break }
            // 2. Stationary or at the boundary.
            let thetaNorm = norm(theta)
            if zNorm == 0 || alpha * zNorm <= 1e-14 * (1 + thetaNorm) && !useQN {
                stop = .stationary; history.append(entry); progress(entry); break
            }
            if norm(direction(z, quasiNewton: false)) == 0 { stop = .boundary; history.append(entry); progress(entry); break }
            // 3. Backtracking on the certified bounds: L-BFGS from α = 1, then (or only) d = z.
            var accepted = false
            var searches: [(d: [Double], step: Double, quasiNewton: Bool)] = [(d, useQN ? 1 : alpha, useQN)]
            if useQN { searches.append((direction(z, quasiNewton: false), alpha, false)) }
            search: for (si, search) in searches.enumerated() {
                if si > 0 { memory.clear() }       // the L-BFGS search failed: restart from d = z
                for i in 0..<maxBT {
                    if let b = budgetExceeded() { stop = b; break search }
                    let a = search.step * pow(options.stepShrink, Double(i))
                    let trial = model.clip(zip(theta, search.d).map { $0 - a * $1 })
                    let decrease = dot(z, zip(theta, trial).map { $0 - $1 })
                    entry.backtracks += 1
                    if decrease <= 0 { continue }
                    let t = try evaluator.solve(theta: trial, epsilon: epsilon, commit: false)
                    let certified = t.upper - current.lower <= -options.armijo * decrease
                    if !certified && options.tightenWhenDecreaseMasked && options.schedule == .adaptive
                        && t.loss - current.loss <= -options.armijo * decrease {
                        entry.decreaseMasked = true
                        break search
                    }
                    if certified {
                        evaluator.acceptTrial()
                        current = evaluator.bounds(commit: true)
                        entry.acceptedUpper = t.upper
                        previous = (theta, z)
                        theta = trial
                        entry.stepSize = a
                        entry.quasiNewton = search.quasiNewton
                        accepted = true
                        if !search.quasiNewton { alpha = a * options.stepGrowth }
                        break search
                    }
                }
            }
            entry.accepted = accepted
            entry.lowerLevelIterations = evaluator.lowerLevelIterations
            entry.cgIterations = evaluator.cgIterations
            entry.stackedLowerLevelIterations = evaluator.stackedLowerLevelIterations
            entry.stackedCGIterations = evaluator.stackedCGIterations
            entry.seconds = elapsed()
            history.append(entry)
            progress(entry)
            if stop != nil { break }
            k += 1
            // 4. Accuracy update.
            if accepted {
                consecutiveFailures = 0
                if options.schedule == .adaptive {
                    epsilon *= options.accuracyRelaxation
                    delta *= options.accuracyRelaxation
                }
            } else {
                consecutiveFailures += 1
                maxBT += 1
                switch options.schedule {
                case .adaptive:
                    epsilon *= options.accuracyTightening
                    delta *= options.accuracyTightening
                    if epsilon < options.minimumAccuracy { stop = .accuracyFloor; break outer }
                    current = try evaluator.solve(theta: theta, epsilon: epsilon, commit: true)
                case .fixed:
                    if consecutiveFailures >= 3 { stop = .accuracyFloor; break outer }
                case .geometric, .polynomial:
                    break
                }
            }
        }
        return BilevelResult(theta: theta, stopReason: stop ?? .budget("outer iterations"), history: history,
                             loss: current.loss, lossUpper: current.upper, lossLower: current.lower,
                             epsilon: epsilon, delta: delta, lowerLevelIterations: evaluator.lowerLevelIterations,
                             cgIterations: evaluator.cgIterations,
                             stackedLowerLevelIterations: evaluator.stackedLowerLevelIterations,
                             stackedCGIterations: evaluator.stackedCGIterations, seconds: elapsed(),
                             reconstructions: evaluator.reconstructions)
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// The last m curvature pairs s = Δθ, y = Δz of accepted steps (oldest first). A pair enters only
/// if ⟨s, y⟩ > 1e-10‖s‖‖y‖ (positive curvature), so H stays symmetric positive definite.
struct QuasiNewtonMemory {
    let capacity: Int
    private(set) var s: [[Double]] = [], y: [[Double]] = []
    /// Pairs rejected by the curvature test so far.
    private(set) var skipped = 0

    init(capacity: Int) { self.capacity = capacity }

    var isEmpty: Bool { s.isEmpty }
    var count: Int { s.count }

    mutating func push(s ds: [Double], y dy: [Double]) {
        let sy = dot(ds, dy)
        guard sy > 1e-10 * norm(ds) * norm(dy), sy.isFinite else { skipped += 1; return }
        if s.count == capacity { s.removeFirst(); y.removeFirst() }
        s.append(ds); y.append(dy)
    }

    mutating func clear() { s.removeAll(); y.removeAll() }

    /// H g by the two-loop recursion (Nocedal & Wright Alg. 7.4), H⁰ = ⟨s, y⟩/⟨y, y⟩ I of the newest
    /// pair; the identity when empty.
    func apply(_ g: [Double]) -> [Double] {
        var q = g
        guard let sl = s.last, let yl = y.last else { return q }
        var a = [Double](repeating: 0, count: s.count)
        for i in s.indices.reversed() {
            a[i] = dot(s[i], q) / dot(y[i], s[i])
            for j in q.indices { q[j] -= a[i] * y[i][j] }
        }
        let gamma = dot(sl, yl) / dot(yl, yl)
        for j in q.indices { q[j] *= gamma }
        for i in s.indices {
            let b = dot(y[i], q) / dot(y[i], s[i])
            for j in q.indices { q[j] += (a[i] - b) * s[i][j] }
        }
        return q
    }
}

/// The direction d of the step θ⁺ = P(θ − αd) on the box [lower, upper] (Bertsekas' two-metric
/// projection, SIAM J. Control Optim. 20, 1982):
/// - blocked components (on a bound with −z pointing out of the box) get d_j = 0;
/// - ε-active components (within w = min(10⁻³, ‖θ − P(θ − z)‖) of a bound with −z pointing at
///   it) get d_j = z_j, so they move onto the bound;
/// - the free components get (H z_F)_F, H the L-BFGS matrix (`memory`) or the identity (nil),
///   z_F = z with the other components zeroed.
/// Then ⟨z, d⟩ = z_Fᵀ H z_F + ‖z_active‖² > 0 unless d = 0.
func projectedDirection(theta: [Double], z: [Double], lower: [Double], upper: [Double],
                        memory: QuasiNewtonMemory?) -> [Double] {
    let n = theta.count
    var pg = 0.0
    for j in 0..<n { let p = theta[j] - min(max(theta[j] - z[j], lower[j]), upper[j]); pg += p * p }
    let w = min(1e-3, pg.squareRoot())
    // 0 free, 1 ε-active, 2 blocked.
    var kind = [Int](repeating: 0, count: n)
    for j in 0..<n {
        if (theta[j] <= lower[j] && z[j] > 0) || (theta[j] >= upper[j] && z[j] < 0) { kind[j] = 2 }
        else if (theta[j] - lower[j] <= w && z[j] > 0) || (upper[j] - theta[j] <= w && z[j] < 0) { kind[j] = 1 }
    }
    var zF = z
    for j in 0..<n where kind[j] != 0 { zF[j] = 0 }
    var d = memory.map { $0.apply(zF) } ?? zF
    for j in 0..<n {
        switch kind[j] {
        case 1: d[j] = z[j]
        case 2: d[j] = 0
        default: break
        }
    }
    return d
}
