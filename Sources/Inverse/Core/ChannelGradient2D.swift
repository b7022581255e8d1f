/// The image gradient applied to every channel of a stack: domain (C, H, W) → range (2, C, H, W).
///
/// Component 0 is the vertical forward difference x[c, i+1, j] − x[c, i, j] (0 on the last row),
/// component 1 the horizontal one x[c, i, j+1] − x[c, i, j] (0 on the last column): Neumann
/// boundary, no difference across channels. Adjoint: the per-channel −div. ‖·‖² ≤ 8.
///
/// The storage of the range, component-major, is also that of a (2C, H, W) field, so
/// ``GroupL21Norm`` with its default layout gives per-channel isotropic TV and with
/// `componentCount: 2C` gives vectorial (channel-coupled) TV.
public struct ChannelGradient2D: LinearOperator {
    /// Number of channels C.
    public let channels: Int
    /// Image height H.
    public let height: Int
    /// Image width W.
    public let width: Int

    /// The gradient for stacks of `channels` images of `height` × `width` (all ≥ 1).
    public init(channels: Int, height: Int, width: Int) {
        precondition(channels >= 1 && height >= 1 && width >= 1,
                     "ChannelGradient2D: empty shape \(channels)×\(height)×\(width)")
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// (C, H, W).
    public var domain: Shape { Shape(channels, height, width) }
    /// (2, C, H, W).
    public var range: Shape { Shape(2, channels, height, width) }

    /// y ← (∂_vertical x, ∂_horizontal x) per channel.
    public func apply(_ x: Grid, into y: inout Grid) {
        precondition(x.count == domain.count && y.count == range.count,
                     "ChannelGradient2D: \(x.shape) → \(y.shape), expected \(domain) → \(range)")
        let w = width, h = height, n = domain.count
        x.storage.withUnsafeBufferPointer { xb in
            y.storage.withUnsafeMutableBufferPointer { yb in
                let src = xb.baseAddress!, vertical = yb.baseAddress!, horizontal = vertical + n
                for c in 0..<channels {
                    for i in 0..<h {
                        let row = c &* h &* w &+ i &* w
                        let s = src + row, v = vertical + row, z = horizontal + row
                        if i < h &- 1 {
                            let below = s + w
                            for j in 0..<w { v[j] = below[j] - s[j] }
                        } else {
                            for j in 0..<w { v[j] = 0 }
                        }
                        for j in 0..<(w &- 1) { z[j] = s[j &+ 1] - s[j] }
                        z[w &- 1] = 0
                    }
                }
            }
        }
    }

    /// x ← ∇ᵀy per channel: (∂ᵀq)[i] = q[i − 1]·[i ≥ 1] − q[i]·[i < n − 1] along each axis.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        precondition(x.count == domain.count && y.count == range.count,
                     "ChannelGradient2D: adjoint \(y.shape) → \(x.shape), expected \(range) → \(domain)")
        let w = width, h = height, n = domain.count
        y.storage.withUnsafeBufferPointer { yb in
            x.storage.withUnsafeMutableBufferPointer { xb in
                let vertical = yb.baseAddress!, horizontal = vertical + n, dst = xb.baseAddress!
                for c in 0..<channels {
                    for i in 0..<h {
                        let row = c &* h &* w &+ i &* w
                        let out = dst + row, v = vertical + row, z = horizontal + row
                        // vertical part
                        if i < h &- 1 {
                            for j in 0..<w { out[j] = -v[j] }
                        } else {
                            for j in 0..<w { out[j] = 0 }
                        }
                        if i >= 1 {
                            let above = v - w
                            for j in 0..<w { out[j] += above[j] }
                        }
                        // horizontal part
                        if w > 1 {
                            out[0] -= z[0]
                            for j in 1..<(w &- 1) { out[j] += z[j &- 1] - z[j] }
                            out[w &- 1] += z[w &- 2]
                        }
                    }
                }
            }
        }
    }

    /// "channelgradient2d(C×H×W)".
    public var name: String { "channelgradient2d(\(domain))" }
}
