import Inverse

/// f(x) = ½xᵀMx − bᵀx with M symmetric (tests only): gradient Mx − b, Lipschitz ‖M‖.
struct Quadratic: SmoothFunctional {
    let matrix: DenseMatrix
    let linear: Grid
    let lipschitzConstant: Double?

    func value(_ x: Grid) -> Double { 0.5 * matrix(x).dot(x) - linear.dot(x) }
    func gradient(_ x: Grid, into g: inout Grid) {
        matrix.apply(x, into: &g)
        g.subtract(linear)
    }
}

/// The extended Rosenbrock function Σ_{i<n−1} 100(x_{i+1} − x_i²)² + (1 − x_i)² (tests only).
struct Rosenbrock: SmoothFunctional {
    var lipschitzConstant: Double? { nil }
    func value(_ x: Grid) -> Double {
        let p = x.storage
        var s = 0.0
        for i in 0..<(p.count - 1) {
            let a = p[i + 1] - p[i] * p[i], b = 1 - p[i]
            s += 100 * a * a + b * b
        }
        return s
    }
    func gradient(_ x: Grid, into g: inout Grid) {
        let p = x.storage
        g.fill(0)
        for i in 0..<(p.count - 1) {
            let a = p[i + 1] - p[i] * p[i]
            g.storage[i] += -400 * p[i] * a - 2 * (1 - p[i])
            g.storage[i + 1] += 200 * a
        }
    }
}
