/// The least-squares data term f(x) = ½‖A x − y‖² for a linear operator A: domain → range and
/// data y (shape `A.range`).
///
/// - Gradient: ∇f(x) = Aᵀ(A x − y).
/// - Lipschitz constant of ∇f: ‖A‖² = ‖AᵀA‖ (from a given operator norm, or `nil`; use
///   ``operatorNorm(_:iterations:seed:)`` to estimate one, or FISTA's backtracking).
/// - Hessian: AᵀA (``hessianVectorProduct(_:direction:into:)``).
/// - With A = identity (``init(target:)``): prox_{τf}(v) = (v + τ y)/(1 + τ), and the convex
///   conjugate f*(z) = ½‖z‖² + ⟨z, y⟩ with prox_{σf*}(v) = (v − σ y)/(1 + σ).
public struct SquaredL2Distance<Operator: LinearOperator>: SmoothFunctional {
    /// The data y.
    public let target: Grid
    /// The forward operator A.
    public let forwardOperator: Operator
    /// ‖A‖² when known.
    public let lipschitzConstant: Double?

    /// ½‖A x − y‖²; `operatorNorm` = ‖A‖ if known (sets the Lipschitz constant ‖A‖²).
    public init(target: Grid, operator: Operator, operatorNorm: Double? = nil) {
        precondition(target.shape.count == `operator`.range.count,
                     "SquaredL2Distance: data \(target.shape) does not match the range \(`operator`.range) of \(`operator`.name)")
        if let n = operatorNorm { precondition(n >= 0 && n.isFinite, "SquaredL2Distance: operator norm must be finite and ≥ 0") }
        self.target = target
        self.forwardOperator = `operator`
        self.lipschitzConstant = operatorNorm.map { $0 * $0 }
    }

    /// ½‖A x − y‖² with the Lipschitz constant from ‖A‖ estimated by ``operatorNorm(_:iterations:seed:)``
    /// times `safetyFactor` (power iteration approaches ‖A‖ from below, so use a factor > 1 for step sizes).
    public static func estimatingOperatorNorm(target: Grid, operator: Operator, iterations: Int = 100,
                                              safetyFactor: Double = 1.05) -> SquaredL2Distance {
        precondition(safetyFactor >= 1, "SquaredL2Distance: safety factor must be ≥ 1, got \(safetyFactor)")
        let norm = operatorNorm(`operator`, iterations: iterations) * safetyFactor
        return SquaredL2Distance(target: target, operator: `operator`, operatorNorm: norm)
    }

    /// Scratch for A x − y: shape `A.range`.
    public var workspaceShape: Shape? { forwardOperator.range }

    /// True for A = identity: value and gradient then skip the operator and the scratch grid.
    var isIdentity: Bool { Operator.self == IdentityOperator.self }

    /// ½‖A x − y‖² (allocates one range-shaped grid unless A is the identity).
    public func value(_ x: Grid) -> Double {
        if isIdentity { return 0.5 * x.squaredDistance(to: target) }
        var r = Grid(shape: forwardOperator.range)
        return value(x, workspace: &r)
    }

    /// ½‖A x − y‖² using `workspace` (shape `A.range`).
    public func value(_ x: Grid, workspace r: inout Grid) -> Double {
        forwardOperator.apply(x, into: &r)
        return 0.5 * r.squaredDistance(to: target)
    }

    /// g ← Aᵀ(A x − y) (allocates one range-shaped grid unless A is the identity).
    public func gradient(_ x: Grid, into g: inout Grid) {
        if isIdentity {
            g.assign(x)
            g.subtract(target)
            return
        }
        var r = Grid(shape: forwardOperator.range)
        _ = valueAndGradient(x, gradient: &g, workspace: &r)
    }

    /// Returns ½‖A x − y‖² and sets g ← Aᵀ(A x − y), with `workspace` of shape `A.range`.
    public func valueAndGradient(_ x: Grid, gradient g: inout Grid, workspace r: inout Grid) -> Double {
        forwardOperator.apply(x, into: &r)
        r.subtract(target)
        let v = 0.5 * r.squaredNorm
        forwardOperator.applyAdjoint(r, into: &g)
        return v
    }

    /// out ← AᵀA d (the Hessian applied to a direction d; independent of x).
    public func hessianVectorProduct(_ x: Grid, direction d: Grid, into out: inout Grid) {
        var r = Grid(shape: forwardOperator.range)
        forwardOperator.apply(d, into: &r)
        forwardOperator.applyAdjoint(r, into: &out)
    }
}

extension SquaredL2Distance where Operator == IdentityOperator {
    /// ½‖x − y‖² (A = identity, Lipschitz constant 1, closed-form prox).
    public init(target: Grid) {
        self.init(target: target, operator: IdentityOperator(target.shape), operatorNorm: 1)
    }
}

extension SquaredL2Distance: ProximableFunctional where Operator == IdentityOperator {
    /// x ← prox_{τf}(v) = (v + τ y)/(1 + τ) for f = ½‖x − y‖².
    public func prox(_ v: Grid, stepSize tau: Double, into x: inout Grid) {
        precondition(tau > 0 && tau.isFinite, "SquaredL2Distance.prox: step size must be finite and > 0, got \(tau)")
        let a = 1 / (1 + tau), b = tau / (1 + tau)
        x.assign(v)
        x.axpby(b, target, a)
    }

    /// x ← prox_{σf*}(v) = (v − σ y)/(1 + σ), for f*(z) = ½‖z‖² + ⟨z, y⟩.
    public func proxConjugate(_ v: Grid, stepSize sigma: Double, into x: inout Grid) {
        precondition(sigma > 0 && sigma.isFinite, "SquaredL2Distance.proxConjugate: step size must be finite and > 0, got \(sigma)")
        let a = 1 / (1 + sigma)
        x.assign(v)
        x.axpby(-sigma * a, target, a)
    }
}

extension SquaredL2Distance: ConvexConjugateFunctional where Operator == IdentityOperator {
    /// f*(z) = ½‖z‖² + ⟨z, y⟩ for f = ½‖x − y‖².
    public func convexConjugateValue(_ z: Grid) -> Double {
        0.5 * z.squaredNorm + z.dot(target)
    }
}
