import Foundation
import Testing
@testable import wb

/// The SVG plotting utility: well-formed output, mapping of data to the plot area, log axes,
/// skipped non-finite points, and the atomic writer.
@Suite struct CalibrationPlotTests {
    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    /// Well-formedness of the tag structure: every element closed in order, one root `svg`,
    /// no raw `<`, `>` or `&` outside markup and entities.
    func wellFormed(_ svg: String) -> Bool {
        var stack: [String] = []
        var roots = 0
        var rest = Substring(svg)
        while let open = rest.firstIndex(of: "<") {
            let text = rest[..<open]
            if text.contains(">") { return false }
            for part in text.split(separator: "&", omittingEmptySubsequences: false).dropFirst()
                where !["amp;", "lt;", "gt;", "quot;"].contains(where: { part.hasPrefix($0) }) { return false }
            guard let close = rest[open...].firstIndex(of: ">") else { return false }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("?") { continue }
            if tag.hasPrefix("/") {
                guard stack.popLast() == String(tag.dropFirst()) else { return false }
                continue
            }
            let name = String(tag.prefix { $0 != " " && $0 != "/" })
            if stack.isEmpty { roots += 1 }
            if !tag.hasSuffix("/") { stack.append(name) }
        }
        return stack.isEmpty && roots == 1 && !rest.contains(">")
    }

    @Test func linePlotSeriesLegendAndLogAxis() {
        var plot = SVGLinePlot(title: "loss <train & test>", xLabel: "iteration", yLabel: "objective")
        plot.logY = true
        plot.series = [
            .init(name: "train", x: [0, 1, 2, 3], y: [1, 0.1, 0.01, 0.001]),
            .init(name: "test", x: [0, 1, 2, 3], y: [1, .nan, 0.05, 0.02], dashed: true),
        ]
        let svg = plot.svg()
        #expect(wellFormed(svg))
        #expect(svg.contains("loss &lt;train &amp; test&gt;"))
        // One polyline for train, two for test (broken at NaN: a 1-point piece is dropped).
        #expect(count(svg, "<polyline") == 2)
        #expect(svg.contains(">train<") && svg.contains(">test<"))
        // Decade ticks 1e-3 … 1e0.
        for e in ["1e-3", "1e-2", "1e-1", "1e0"] { #expect(svg.contains(">\(e)<"), "tick \(e)") }
        #expect(svg.contains("stroke-dasharray"))
    }

    @Test func frameMapsRangeOntoPlotArea() {
        let f = SVGPlot.Frame(width: 600, height: 400, x: 0...10, y: 1...1000, logY: true)
        #expect(abs(f.px(0) - f.left) < 1e-12 && abs(f.px(10) - (f.left + f.plotWidth)) < 1e-12)
        #expect(abs(f.py(1) - (f.top + f.plotHeight)) < 1e-12 && abs(f.py(1000) - f.top) < 1e-12)
        #expect(abs(f.py(31.6227766) - (f.top + f.plotHeight / 2)) < 1e-6)
        #expect(!f.contains(1, 0) && !f.contains(.infinity, 2) && f.contains(1, 2))
    }

    @Test func ticksAreNiceAndLabelsExact() {
        let t = SVGPlot.linearTicks(0, 1)
        #expect(t.map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(SVGPlot.linearTicks(0.5, 1.5).map(\.label) == ["0.6", "0.8", "1", "1.2", "1.4"])
        #expect(SVGPlot.fixed(-0.30000000000000004, decimals: 3) == "-0.3")
        #expect(SVGPlot.logTicks(1e-12, 1).count <= 8)
        #expect(SVGPlot.viridis(0) == "#440154" && SVGPlot.viridis(1) == "#fde725")
    }

    @Test func scatterHasReferenceLineAndPoints() {
        let plot = SVGScatterPlot(title: "gains", xLabel: "true", yLabel: "estimated",
                                  x: [0.6, 1, 1.4], y: [0.61, 1, .nan], name: "sensors")
        let svg = plot.svg()
        #expect(wellFormed(svg))
        #expect(count(svg, "<circle") == 2 + 1)   // two finite points + the legend marker
        #expect(svg.contains(">y = x<"))
    }

    @Test func heatMapCellsColourBarAndLabels() {
        var map = SVGHeatMap(title: "success", xLabel: "p", yLabel: "m", colorbarLabel: "success rate",
                             values: [0, 0.5, 1, .nan, 1, 1], rows: 2, columns: 3,
                             rowLabels: ["16", "32"], columnLabels: ["1", "2", "3"], range: 0...1)
        map.annotate = true
        map.overlay = [(0, 0), (3, 2)]
        map.overlayName = "mp = n + m"
        let svg = map.svg()
        #expect(wellFormed(svg))
        #expect(svg.contains("fill=\"#440154\"") && svg.contains("fill=\"#fde725\"") && svg.contains("#bbbbbb"))
        for label in [">16<", ">32<", ">3<", ">success rate<", ">0.5<", ">mp = n + m<"] {
            #expect(svg.contains(label), "missing \(label)")
        }
        #expect(count(svg, "<rect") >= 6 + 64)
    }

    @Test func writeIsAtomicAndRefusesMissingFolder() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try SVGPlot.write("<svg/>\n", to: dir.file("a.svg"))
        #expect(try String(contentsOfFile: dir.file("a.svg"), encoding: .utf8) == "<svg/>\n")
        #expect(dir.listing() == ["a.svg"])
        #expect(throws: (any Error).self) { try SVGPlot.write("<svg/>", to: dir.file("nofolder/b.svg")) }
        #expect(dir.listing() == ["a.svg"])
    }
}
