import Inverse

/// A small dense matrix as a LinearOperator on rank-1 grids (tests only).
struct DenseMatrix: LinearOperator {
    let rows: Int, columns: Int
    /// Row-major entries.
    var entries: [Double]

    init(rows: Int, columns: Int, entries: [Double]) {
        precondition(entries.count == rows * columns)
        self.rows = rows; self.columns = columns; self.entries = entries
    }

    static func random(rows: Int, columns: Int, seed: UInt64) -> DenseMatrix {
        DenseMatrix(rows: rows, columns: columns, entries: randomGrid(Shape(rows * columns), seed: seed).storage)
    }

    /// BᵀB + shift·I for a random square B: symmetric positive definite.
    static func randomSPD(size n: Int, shift: Double, seed: UInt64) -> DenseMatrix {
        let b = random(rows: n, columns: n, seed: seed)
        var e = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += b[k, i] * b[k, j] }
            e[i * n + j] = s + (i == j ? shift : 0)
        } }
        return DenseMatrix(rows: n, columns: n, entries: e)
    }

    static func diagonal(_ d: [Double]) -> DenseMatrix {
        var e = [Double](repeating: 0, count: d.count * d.count)
        for i in 0..<d.count { e[i * d.count + i] = d[i] }
        return DenseMatrix(rows: d.count, columns: d.count, entries: e)
    }

    subscript(i: Int, j: Int) -> Double { entries[i * columns + j] }

    var domain: Shape { Shape(columns) }
    var range: Shape { Shape(rows) }

    func apply(_ x: Grid, into y: inout Grid) {
        for i in 0..<rows {
            var s = 0.0
            for j in 0..<columns { s += entries[i * columns + j] * x.storage[j] }
            y.storage[i] = s
        }
    }

    func applyAdjoint(_ y: Grid, into x: inout Grid) {
        for j in 0..<columns { x.storage[j] = 0 }
        for i in 0..<rows {
            for j in 0..<columns { x.storage[j] += entries[i * columns + j] * y.storage[i] }
        }
    }

    var name: String { "dense(\(rows)×\(columns))" }

    /// Solves A x = b by Gaussian elimination with partial pivoting (square A).
    func solve(_ b: Grid) -> Grid {
        precondition(rows == columns)
        let n = rows
        var a = entries, r = b.storage
        for k in 0..<n {
            var piv = k
            for i in (k + 1)..<max(n, k + 1) where abs(a[i * n + k]) > abs(a[piv * n + k]) { piv = i }
            if piv != k {
                for j in 0..<n { a.swapAt(k * n + j, piv * n + j) }
                r.swapAt(k, piv)
            }
            for i in (k + 1)..<max(n, k + 1) {
                let f = a[i * n + k] / a[k * n + k]
                for j in k..<n { a[i * n + j] -= f * a[k * n + j] }
                r[i] -= f * r[k]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = r[i]
            for j in (i + 1)..<max(n, i + 1) { s -= a[i * n + j] * x[j] }
            x[i] = s / a[i * n + i]
        }
        return Grid(shape: Shape(n), storage: x)
    }
}
