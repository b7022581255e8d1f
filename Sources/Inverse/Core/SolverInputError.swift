/// Invalid input to one of Inverse's denoising and deblurring solvers, with a one-line
/// explanation (the CLI prints it after the file or option it concerns).
public enum SolverInputError: Error, Equatable, CustomStringConvertible {
    /// A regularisation weight λ must be finite and > 0.
    case invalidWeight(Double)
    /// The data holds NaN or ±∞ at a flat index.
    case nonFiniteInput(index: Int, value: Double)
    /// Only rank 2 (images) and 3 (volumes, or channel stacks with a coupling) are supported.
    case unsupportedRank(Int)
    /// A blur's shape differs from the image's.
    case shapeMismatch(image: Shape, blur: Shape)
    /// The iteration cap must be ≥ 1.
    case invalidIterationCap(Int)
    /// A tolerance must be finite and ≥ 0 (> 0 where a distance is certified).
    case invalidTolerance(Double)
    /// The regulariser has no known Lipschitz constant for the step size.
    case missingLipschitzConstant

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .invalidWeight(let l): return "the weight λ must be finite and > 0, got \(l)"
        case .nonFiniteInput(let i, let v): return "input holds \(v) at flat index \(i)"
        case .unsupportedRank(let r): return "a 2-D image or a 3-D volume is needed, got rank \(r)"
        case .shapeMismatch(let i, let b): return "the blur acts on \(b) but the image is \(i)"
        case .invalidIterationCap(let n): return "maximum iterations must be ≥ 1, got \(n)"
        case .invalidTolerance(let t): return "invalid tolerance \(t): it must be finite and non-negative (positive for a certified distance)"
        case .missingLipschitzConstant: return "the regulariser has no known Lipschitz constant"
        }
    }
}
