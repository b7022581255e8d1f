/// A real-valued functional f: ℝ^shape → ℝ ∪ {+∞} on grids.
///
/// One call evaluates a whole grid (never per pixel), so calls through an existential cost nothing
/// measurable; solvers are generic over their functionals anyway. Indicator functions return
/// `+∞` outside their set.
public protocol Functional: Sendable {
    /// f(x).
    func value(_ x: Grid) -> Double
}
