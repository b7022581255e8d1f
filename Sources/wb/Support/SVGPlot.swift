import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// Small, dependency-free SVG figures for tool outputs: line plots (``SVGLinePlot``, optional
/// log-y, several series, legend), scatter plots (``SVGScatterPlot``, optional y = x line) and
/// heat maps (``SVGHeatMap``, colour bar, category or numeric tick labels). Each type renders
/// its figure as SVG 1.1 text with `svg()`; ``SVGPlot/write(_:to:)`` writes it atomically (a
/// temporary file renamed into place, like every wb output). Non-finite points are skipped (a
/// line is broken there); on a log axis non-positive values are skipped too.
enum SVGPlot {
    /// Writes `svg` to `path` atomically (temporary file in the same folder, renamed when
    /// complete). The caller validates `path` (``AtomicOutput/validate(_:inputs:force:)``).
    static func write(_ svg: String, to path: String) throws {
        try AtomicOutput.write(to: path) { tmp in
            guard let f = fopen(tmp, "wb") else {
                throw ImagingError.unwritable(path: path, reason: String(cString: strerror(errno)))
            }
            let bytes = Array(svg.utf8)
            let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            let closed = fclose(f)
            if written != bytes.count || closed != 0 {
                throw ImagingError.unwritable(path: path, reason: "short write")
            }
        }
    }

    /// Colours of successive series (matplotlib's "tab10").
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// `text` with the XML special characters escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A coordinate with at most two decimals (keeps files small).
    static func coordinate(_ v: Double) -> String { fixed(v, decimals: 2) }

    /// `v` with exactly `decimals` decimals, trailing zeros (and a bare point) removed.
    static func fixed(_ v: Double, decimals: Int) -> String {
        guard v.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (abs(v) * scale).rounded()
        if r == 0 { return "0" }
        let ip = (r / scale).rounded(.down)
        var fp = String(Int64(r - ip * scale))
        while fp.count < decimals { fp = "0" + fp }
        while fp.hasSuffix("0") { fp.removeLast() }
        return (v < 0 ? "-" : "") + String(Int64(ip)) + (fp.isEmpty ? "" : "." + fp)
    }

    /// Tick positions and labels for a linear axis over `lo...hi`: steps 1, 2 or 5 × 10^k,
    /// about `target` ticks.
    static func linearTicks(_ lo: Double, _ hi: Double, target: Int = 6) -> [(value: Double, label: String)] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [(lo, formatTick(lo, step: 1))] }
        let raw = (hi - lo) / Double(max(target, 2))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [(Double, String)] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi + 1e-9 * step {
            let v = k * step
            ticks.append((v, formatTick(v, step: step)))
            k += 1
        }
        return ticks
    }

    /// A tick label with as many decimals as the step needs (scientific for extreme values).
    static func formatTick(_ v: Double, step: Double) -> String {
        let a = abs(v)
        if a != 0 && (a >= 1e6 || a < 1e-4) { return scientific(v, digits: 1) }
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        return fixed(v, decimals: min(decimals, 10))
    }

    /// Decade ticks 10^k for a log axis over `lo...hi` (both > 0); at most about 8 labels.
    static func logTicks(_ lo: Double, _ hi: Double) -> [(value: Double, label: String)] {
        let a = Int(log10(lo).rounded(.up)), b = Int(log10(hi).rounded(.down))
        guard a <= b else { return [] }
        let every = max(1, (b - a + 1 + 7) / 8)
        return stride(from: a, through: b, by: every).map { (pow(10, Double($0)), "1e\($0)") }
    }

    /// The colour of `t` ∈ [0, 1] on the viridis map (piecewise linear through 9 samples).
    static func viridis(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [
            (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
            (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)]
        let s = (t.isFinite ? min(max(t, 0), 1) : 0) * Double(stops.count - 1)
        let i = min(Int(s), stops.count - 2)
        let f = s - Double(i)
        let (r0, g0, b0) = stops[i], (r1, g1, b1) = stops[i + 1]
        func hex(_ a: Double, _ b: Double) -> String {
            let v = Int((a + f * (b - a)).rounded())
            let digits = Array("0123456789abcdef")
            return String([digits[v / 16], digits[v % 16]])
        }
        return "#" + hex(r0, r1) + hex(g0, g1) + hex(b0, b1)
    }

    /// The SVG header with a white background and the font settings.
    static func open(width: Int, height: Int) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="white"/>

        """
    }

    static func text(_ s: String, x: Double, y: Double, anchor: String = "middle", size: Int? = nil,
                     rotate: Bool = false, extra: String = "") -> String {
        let transform = rotate ? " transform=\"rotate(-90 \(coordinate(x)) \(coordinate(y)))\"" : ""
        let fontSize = size.map { " font-size=\"\($0)\"" } ?? ""
        return "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"\(anchor)\"\(fontSize)\(transform)\(extra)>\(escape(s))</text>\n"
    }

    /// The plot area of a figure with title and axis labels, and the linear/log maps onto it.
    struct Frame {
        let width: Int, height: Int
        let left = 72.0, right: Double, top = 36.0, bottom = 56.0
        let x: ClosedRange<Double>, y: ClosedRange<Double>
        let logX: Bool, logY: Bool

        init(width: Int, height: Int, rightMargin: Double = 20, x: ClosedRange<Double>, y: ClosedRange<Double>,
             logX: Bool = false, logY: Bool = false) {
            self.width = width; self.height = height; self.right = rightMargin
            self.x = x; self.y = y; self.logX = logX; self.logY = logY
        }

        var plotWidth: Double { Double(width) - left - right }
        var plotHeight: Double { Double(height) - top - bottom }

        func px(_ v: Double) -> Double {
            let (a, b, t) = logX ? (log10(x.lowerBound), log10(x.upperBound), log10(v)) : (x.lowerBound, x.upperBound, v)
            return left + (t - a) / (b - a) * plotWidth
        }

        func py(_ v: Double) -> Double {
            let (a, b, t) = logY ? (log10(y.lowerBound), log10(y.upperBound), log10(v)) : (y.lowerBound, y.upperBound, v)
            return top + plotHeight - (t - a) / (b - a) * plotHeight
        }

        func contains(_ vx: Double, _ vy: Double) -> Bool {
            vx.isFinite && vy.isFinite && (!logX || vx > 0) && (!logY || vy > 0)
        }

        /// Title, axis box, grid lines, ticks and labels.
        func axes(title: String, xLabel: String, yLabel: String) -> String {
            var s = ""
            let x0 = left, x1 = left + plotWidth, y0 = top, y1 = top + plotHeight
            let xt = logX ? SVGPlot.logTicks(x.lowerBound, x.upperBound) : SVGPlot.linearTicks(x.lowerBound, x.upperBound)
            let yt = logY ? SVGPlot.logTicks(y.lowerBound, y.upperBound) : SVGPlot.linearTicks(y.lowerBound, y.upperBound, target: 5)
            for (v, label) in xt {
                let p = coordinate(px(v))
                s += "<line x1=\"\(p)\" y1=\"\(coordinate(y0))\" x2=\"\(p)\" y2=\"\(coordinate(y1))\" stroke=\"#e0e0e0\"/>\n"
                s += "<line x1=\"\(p)\" y1=\"\(coordinate(y1))\" x2=\"\(p)\" y2=\"\(coordinate(y1 + 5))\" stroke=\"black\"/>\n"
                s += SVGPlot.text(label, x: px(v), y: y1 + 18)
            }
            for (v, label) in yt {
                let p = coordinate(py(v))
                s += "<line x1=\"\(coordinate(x0))\" y1=\"\(p)\" x2=\"\(coordinate(x1))\" y2=\"\(p)\" stroke=\"#e0e0e0\"/>\n"
                s += "<line x1=\"\(coordinate(x0 - 5))\" y1=\"\(p)\" x2=\"\(coordinate(x0))\" y2=\"\(p)\" stroke=\"black\"/>\n"
                s += SVGPlot.text(label, x: x0 - 8, y: py(v) + 4, anchor: "end")
            }
            s += "<rect x=\"\(coordinate(x0))\" y=\"\(coordinate(y0))\" width=\"\(coordinate(plotWidth))\" height=\"\(coordinate(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
            s += SVGPlot.text(title, x: x0 + plotWidth / 2, y: 22, size: 14)
            s += SVGPlot.text(xLabel, x: x0 + plotWidth / 2, y: Double(height) - 14)
            s += SVGPlot.text(yLabel, x: 18, y: y0 + plotHeight / 2, rotate: true)
            return s
        }

        /// A clip path named `id` for the plot area.
        func clip(_ id: String) -> String {
            "<clipPath id=\"\(id)\"><rect x=\"\(coordinate(left))\" y=\"\(coordinate(top))\" width=\"\(coordinate(plotWidth))\" height=\"\(coordinate(plotHeight))\"/></clipPath>\n"
        }

        /// A legend box in the top-right corner of the plot area; `entries` are (name, colour, dashed, marker).
        func legend(_ entries: [(String, String, Bool, Bool)]) -> String {
            guard !entries.isEmpty else { return "" }
            let longest = entries.map(\.0.count).max() ?? 0
            let w = Double(longest) * 7 + 44, h = Double(entries.count) * 18 + 8
            let x0 = left + plotWidth - w - 8, y0 = top + 8
            var s = "<rect x=\"\(coordinate(x0))\" y=\"\(coordinate(y0))\" width=\"\(coordinate(w))\" height=\"\(coordinate(h))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>\n"
            for (i, (name, colour, dashed, marker)) in entries.enumerated() {
                let yy = y0 + 4 + 18 * Double(i) + 9
                if marker {
                    s += "<circle cx=\"\(coordinate(x0 + 19))\" cy=\"\(coordinate(yy))\" r=\"3\" fill=\"\(colour)\"/>\n"
                } else {
                    s += "<line x1=\"\(coordinate(x0 + 6))\" y1=\"\(coordinate(yy))\" x2=\"\(coordinate(x0 + 32))\" y2=\"\(coordinate(yy))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
                }
                s += SVGPlot.text(name, x: x0 + 38, y: yy + 4, anchor: "start")
            }
            return s
        }
    }

    /// The range of `values` (finite, and > 0 when `positive`) widened by `pad` of its span;
    /// on a log axis widened to whole decades. `fallback` when there is no such value.
    static func dataRange(_ values: [Double], log: Bool, pad: Double = 0.04,
                          fallback: ClosedRange<Double> = 0...1) -> ClosedRange<Double> {
        let usable = values.filter { $0.isFinite && (!log || $0 > 0) }
        guard var lo = usable.min(), var hi = usable.max() else { return log ? 0.1...10 : fallback }
        if log {
            lo = pow(10, log10(lo).rounded(.down)); hi = pow(10, log10(hi).rounded(.up))
            if hi <= lo { hi = lo * 10 }
            return lo...hi
        }
        if hi == lo { let d = lo == 0 ? 1 : abs(lo) * 0.1; lo -= d; hi += d }
        let span = hi - lo
        return (lo - pad * span)...(hi + pad * span)
    }
}

/// A line plot of one or more series against a shared x axis (optionally log-y), with a legend
/// when any series is named. Use it for convergence curves and loss curves.
struct SVGLinePlot {
    struct Series {
        var name: String
        var x: [Double]
        var y: [Double]
        /// A CSS colour; the palette's next colour when `nil`.
        var color: String? = nil
        var dashed = false
        /// Draw a dot at every point as well as the line.
        var markers = false
    }

    var title = ""
    var xLabel = ""
    var yLabel = ""
    var series: [Series] = []
    var logX = false
    var logY = false
    var width = 640
    var height = 420
    /// Fixed axis ranges; the data's range when `nil`.
    var xRange: ClosedRange<Double>? = nil
    var yRange: ClosedRange<Double>? = nil

    func svg() -> String {
        let frame = SVGPlot.Frame(
            width: width, height: height,
            x: xRange ?? SVGPlot.dataRange(series.flatMap(\.x), log: logX, pad: 0),
            y: yRange ?? SVGPlot.dataRange(series.flatMap(\.y), log: logY),
            logX: logX, logY: logY)
        var s = SVGPlot.open(width: width, height: height)
        s += frame.clip("area")
        s += frame.axes(title: title, xLabel: xLabel, yLabel: yLabel)
        var legend: [(String, String, Bool, Bool)] = []
        for (i, line) in series.enumerated() {
            let colour = line.color ?? SVGPlot.palette[i % SVGPlot.palette.count]
            var segments: [[(Double, Double)]] = [[]]
            for k in 0..<min(line.x.count, line.y.count) {
                if frame.contains(line.x[k], line.y[k]) {
                    segments[segments.count - 1].append((frame.px(line.x[k]), frame.py(line.y[k])))
                } else if !segments[segments.count - 1].isEmpty {
                    segments.append([])
                }
            }
            s += "<g clip-path=\"url(#area)\">\n"
            for seg in segments where seg.count > 1 {
                let points = seg.map { "\(SVGPlot.coordinate($0.0)),\(SVGPlot.coordinate($0.1))" }.joined(separator: " ")
                s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.8\"\(line.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            }
            if line.markers || segments.allSatisfy({ $0.count <= 1 }) {
                for seg in segments { for (x, y) in seg {
                    s += "<circle cx=\"\(SVGPlot.coordinate(x))\" cy=\"\(SVGPlot.coordinate(y))\" r=\"2.5\" fill=\"\(colour)\"/>\n"
                } }
            }
            s += "</g>\n"
            if !line.name.isEmpty { legend.append((line.name, colour, line.dashed, false)) }
        }
        s += frame.legend(legend)
        return s + "</svg>\n"
    }
}

/// A scatter plot of points (x_i, y_i), optionally with the reference line y = x (for estimate
/// against truth) drawn over the common range of both axes.
struct SVGScatterPlot {
    var title = ""
    var xLabel = ""
    var yLabel = ""
    var x: [Double] = []
    var y: [Double] = []
    /// Legend name of the points (no legend when empty).
    var name = ""
    var color = SVGPlot.palette[0]
    /// Draw y = x, and use the same range on both axes.
    var referenceLine = true
    var width = 480
    var height = 480

    func svg() -> String {
        let xr: ClosedRange<Double>, yr: ClosedRange<Double>
        if referenceLine {
            let both = SVGPlot.dataRange(x + y, log: false)
            (xr, yr) = (both, both)
        } else {
            (xr, yr) = (SVGPlot.dataRange(x, log: false), SVGPlot.dataRange(y, log: false))
        }
        let frame = SVGPlot.Frame(width: width, height: height, x: xr, y: yr)
        var s = SVGPlot.open(width: width, height: height)
        s += frame.clip("area")
        s += frame.axes(title: title, xLabel: xLabel, yLabel: yLabel)
        s += "<g clip-path=\"url(#area)\">\n"
        if referenceLine {
            let a = xr.lowerBound, b = xr.upperBound
            s += "<line x1=\"\(SVGPlot.coordinate(frame.px(a)))\" y1=\"\(SVGPlot.coordinate(frame.py(a)))\" x2=\"\(SVGPlot.coordinate(frame.px(b)))\" y2=\"\(SVGPlot.coordinate(frame.py(b)))\" stroke=\"#d62728\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>\n"
        }
        for k in 0..<min(x.count, y.count) where frame.contains(x[k], y[k]) {
            s += "<circle cx=\"\(SVGPlot.coordinate(frame.px(x[k])))\" cy=\"\(SVGPlot.coordinate(frame.py(y[k])))\" r=\"2.8\" fill=\"\(color)\" fill-opacity=\"0.75\"/>\n"
        }
        s += "</g>\n"
        var legend: [(String, String, Bool, Bool)] = []
        if !name.isEmpty { legend.append((name, color, false, true)) }
        if referenceLine { legend.append(("y = x", "#d62728", true, false)) }
        s += frame.legend(legend)
        return s + "</svg>\n"
    }
}

/// A heat map of a rows × columns table (row 0 at the bottom, like a y axis), each cell
/// coloured on viridis over `range`, with a colour bar, category tick labels on both axes and
/// optionally the value printed in each cell.
struct SVGHeatMap {
    var title = ""
    var xLabel = ""
    var yLabel = ""
    var colorbarLabel = ""
    /// Row-major values, `rows × columns`; NaN cells are drawn grey.
    var values: [Double]
    var rows: Int
    var columns: Int
    /// One label per row / column (index when empty).
    var rowLabels: [String] = []
    var columnLabels: [String] = []
    /// The colour range; the data's finite range when `nil`.
    var range: ClosedRange<Double>? = nil
    /// Print each cell's value (``formatNumber``-style, `decimals` decimals).
    var annotate = false
    var decimals = 2
    /// Optional polyline over the map in cell coordinates (column, row; 0.5 = cell centre),
    /// e.g. a theoretical boundary; drawn white dashed, named in `overlayName`.
    var overlay: [(column: Double, row: Double)] = []
    var overlayName = ""
    var width = 640
    var height = 440

    func svg() -> String {
        precondition(values.count == rows * columns && rows > 0 && columns > 0, "SVGHeatMap: values must be rows × columns")
        let finite = values.filter(\.isFinite)
        var r = range ?? ((finite.min() ?? 0)...(finite.max() ?? 1))
        if r.upperBound <= r.lowerBound { r = r.lowerBound...(r.lowerBound + 1) }
        let frame = SVGPlot.Frame(width: width, height: height, rightMargin: 110,
                                  x: 0...Double(columns), y: 0...Double(rows))
        var s = SVGPlot.open(width: width, height: height)
        let cw = frame.plotWidth / Double(columns), ch = frame.plotHeight / Double(rows)
        for i in 0..<rows { for j in 0..<columns {
            let v = values[i * columns + j]
            let t = (v - r.lowerBound) / (r.upperBound - r.lowerBound)
            let fill = v.isFinite ? SVGPlot.viridis(t) : "#bbbbbb"
            let x = frame.px(Double(j)), y = frame.py(Double(i + 1))
            s += "<rect x=\"\(SVGPlot.coordinate(x))\" y=\"\(SVGPlot.coordinate(y))\" width=\"\(SVGPlot.coordinate(cw + 0.3))\" height=\"\(SVGPlot.coordinate(ch + 0.3))\" fill=\"\(fill)\"/>\n"
            if annotate && v.isFinite {
                let colour = t > 0.6 ? "black" : "white"
                s += SVGPlot.text(SVGPlot.fixed(v, decimals: decimals), x: x + cw / 2, y: y + ch / 2 + 4,
                                  size: Int(min(11, max(7, min(cw, ch) / 3))), extra: " fill=\"\(colour)\"")
            }
        } }
        // Axes with category ticks at cell centres (thinned to about 16 labels).
        let x0 = frame.left, y1 = frame.top + frame.plotHeight
        s += "<rect x=\"\(SVGPlot.coordinate(x0))\" y=\"\(SVGPlot.coordinate(frame.top))\" width=\"\(SVGPlot.coordinate(frame.plotWidth))\" height=\"\(SVGPlot.coordinate(frame.plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        let everyX = max(1, (columns + 15) / 16), everyY = max(1, (rows + 15) / 16)
        for j in stride(from: 0, to: columns, by: everyX) {
            let x = frame.px(Double(j) + 0.5)
            s += "<line x1=\"\(SVGPlot.coordinate(x))\" y1=\"\(SVGPlot.coordinate(y1))\" x2=\"\(SVGPlot.coordinate(x))\" y2=\"\(SVGPlot.coordinate(y1 + 5))\" stroke=\"black\"/>\n"
            s += SVGPlot.text(j < columnLabels.count ? columnLabels[j] : "\(j)", x: x, y: y1 + 18)
        }
        for i in stride(from: 0, to: rows, by: everyY) {
            let y = frame.py(Double(i) + 0.5)
            s += "<line x1=\"\(SVGPlot.coordinate(x0 - 5))\" y1=\"\(SVGPlot.coordinate(y))\" x2=\"\(SVGPlot.coordinate(x0))\" y2=\"\(SVGPlot.coordinate(y))\" stroke=\"black\"/>\n"
            s += SVGPlot.text(i < rowLabels.count ? rowLabels[i] : "\(i)", x: x0 - 8, y: y + 4, anchor: "end")
        }
        if overlay.count > 1 {
            let points = overlay.map { "\(SVGPlot.coordinate(frame.px($0.column))),\(SVGPlot.coordinate(frame.py($0.row)))" }.joined(separator: " ")
            s += frame.clip("area")
            s += "<polyline clip-path=\"url(#area)\" points=\"\(points)\" fill=\"none\" stroke=\"white\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
            if !overlayName.isEmpty {
                s += "<rect x=\"\(SVGPlot.coordinate(x0 + 6))\" y=\"\(SVGPlot.coordinate(frame.top + 6))\" width=\"\(SVGPlot.coordinate(Double(overlayName.count) * 7 + 44))\" height=\"22\" fill=\"#333\" fill-opacity=\"0.7\"/>\n"
                s += "<line x1=\"\(SVGPlot.coordinate(x0 + 12))\" y1=\"\(SVGPlot.coordinate(frame.top + 17))\" x2=\"\(SVGPlot.coordinate(x0 + 38))\" y2=\"\(SVGPlot.coordinate(frame.top + 17))\" stroke=\"white\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
                s += SVGPlot.text(overlayName, x: x0 + 44, y: frame.top + 21, anchor: "start", extra: " fill=\"white\"")
            }
        }
        s += SVGPlot.text(title, x: x0 + frame.plotWidth / 2, y: 22, size: 14)
        s += SVGPlot.text(xLabel, x: x0 + frame.plotWidth / 2, y: Double(height) - 14)
        s += SVGPlot.text(yLabel, x: 18, y: frame.top + frame.plotHeight / 2, rotate: true)
        // Colour bar: 64 bands, numeric ticks.
        let bx = x0 + frame.plotWidth + 24, bw = 16.0, bands = 64
        for k in 0..<bands {
            let y = frame.top + frame.plotHeight * Double(bands - 1 - k) / Double(bands)
            s += "<rect x=\"\(SVGPlot.coordinate(bx))\" y=\"\(SVGPlot.coordinate(y))\" width=\"\(SVGPlot.coordinate(bw))\" height=\"\(SVGPlot.coordinate(frame.plotHeight / Double(bands) + 0.3))\" fill=\"\(SVGPlot.viridis((Double(k) + 0.5) / Double(bands)))\"/>\n"
        }
        s += "<rect x=\"\(SVGPlot.coordinate(bx))\" y=\"\(SVGPlot.coordinate(frame.top))\" width=\"\(SVGPlot.coordinate(bw))\" height=\"\(SVGPlot.coordinate(frame.plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        for (v, label) in SVGPlot.linearTicks(r.lowerBound, r.upperBound, target: 5) {
            let y = frame.top + frame.plotHeight * (1 - (v - r.lowerBound) / (r.upperBound - r.lowerBound))
            s += "<line x1=\"\(SVGPlot.coordinate(bx + bw))\" y1=\"\(SVGPlot.coordinate(y))\" x2=\"\(SVGPlot.coordinate(bx + bw + 4))\" y2=\"\(SVGPlot.coordinate(y))\" stroke=\"black\"/>\n"
            s += SVGPlot.text(label, x: bx + bw + 7, y: y + 4, anchor: "start")
        }
        s += SVGPlot.text(colorbarLabel, x: bx + bw + 62, y: frame.top + frame.plotHeight / 2, rotate: true)
        return s + "</svg>\n"
    }
}
