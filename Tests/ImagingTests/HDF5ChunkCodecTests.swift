import Testing
import Foundation
@testable import Imaging

/// The parallel chunk codec must produce and accept exactly what HDF5's own shuffle + deflate
/// filters do: files written by one path are read back bit-identically by the other.
@Suite(.serialized) struct HDF5ChunkCodecTests {
    func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "wb-codec-\(UUID().uuidString)-\(name)"
    }

    func stack(_ dims: [Int], seed: UInt64) -> Grid {
        var rng = RandomSource(seed: seed)
        return rng.gaussianGrid(Shape(dims))
    }

    func roundTrip(_ g: Grid, precision: HDF5Precision, chunks: [Int]?, compression: Int?,
                   writeFast: Bool, readFast: Bool) throws -> Grid {
        let path = temporaryPath("x.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        HDF5ChunkCodec.enabled.store(writeFast, ordering: .relaxed)
        defer { HDF5ChunkCodec.enabled.store(true, ordering: .relaxed) }
        let f = try HDF5File(path, mode: .create)
        try f.write(g, to: "/s", precision: precision, compression: compression, chunks: chunks)
        f.close()
        HDF5ChunkCodec.enabled.store(readFast, ordering: .relaxed)
        let r = try HDF5File(path)
        defer { r.close() }
        return try r.readGrid("/s")
    }

    @Test(arguments: [HDF5Precision.float32, .float64])
    func fastAndPlainPathsAgree(precision: HDF5Precision) throws {
        for (dims, chunks) in [([7, 13, 5], [2, 13, 5]), ([4, 9, 11], [1, 9, 11]), ([5, 3, 4, 6], [1, 3, 4, 6]), ([9, 17], [4, 17])] {
            let g = stack(dims, seed: UInt64(dims.reduce(0, +)))
            var expected = g
            if precision == .float32 { expected.transform { Double(Float($0)) } }
            for (wf, rf) in [(true, false), (false, true), (true, true)] {
                let back = try roundTrip(g, precision: precision, chunks: chunks, compression: 4, writeFast: wf, readFast: rf)
                #expect(back == expected, "dims \(dims) chunks \(chunks) writeFast \(wf) readFast \(rf)")
            }
        }
    }

    @Test func shuffleIsHDF5sBytePlaneOrder() {
        let src: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]   // two 4-byte elements
        var dst = [UInt8](repeating: 0, count: 8)
        var back = [UInt8](repeating: 0, count: 8)
        src.withUnsafeBytes { s in dst.withUnsafeMutableBytes { d in HDF5ChunkCodec.shuffle(s.baseAddress!, d.baseAddress!, elements: 2, elementSize: 4) } }
        #expect(dst == [1, 5, 2, 6, 3, 7, 4, 8])
        dst.withUnsafeBytes { s in back.withUnsafeMutableBytes { d in HDF5ChunkCodec.unshuffle(s.baseAddress!, d.baseAddress!, elements: 2, elementSize: 4) } }
        #expect(back == src)
    }

    @Test func layoutsOutsideTheFastPathStillRoundTrip() throws {
        let g = stack([6, 10, 10], seed: 9)
        // Chunks that split frames, and no compression, go through HDF5 alone.
        #expect(try roundTrip(g, precision: .float64, chunks: [2, 5, 10], compression: 4, writeFast: true, readFast: true) == g)
        #expect(try roundTrip(g, precision: .float64, chunks: [1, 10, 10], compression: nil, writeFast: true, readFast: true) == g)
    }
}

extension HDF5ChunkCodecTests {
    /// The fused kernels equal narrowing + HDF5's shuffle (and its inverse + widening),
    /// including the zero padding of a partial chunk.
    @Test(arguments: [4, 8])
    func fusedKernelsMatchShuffle(elementSize: Int) {
        var rng = RandomSource(seed: 77)
        let n = 37, valid = 29
        let values = (0..<valid).map { _ in rng.gaussian() * 1e3 }
        // Reference: narrow (or copy) into a zero-padded chunk, then shuffle.
        var raw = [UInt8](repeating: 0, count: n * elementSize)
        raw.withUnsafeMutableBytes { r in
            for i in 0..<valid {
                if elementSize == 4 { r.storeBytes(of: Float(values[i]).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
                else { r.storeBytes(of: values[i].bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self) }
            }
        }
        var expected = [UInt8](repeating: 0, count: raw.count)
        raw.withUnsafeBytes { s in expected.withUnsafeMutableBytes { d in HDF5ChunkCodec.shuffle(s.baseAddress!, d.baseAddress!, elements: n, elementSize: elementSize) } }
        var fused = [UInt8](repeating: 0xAB, count: raw.count)
        values.withUnsafeBufferPointer { v in
            fused.withUnsafeMutableBytes { d in HDF5ChunkCodec.encodeShuffled(v.baseAddress!, count: valid, planeLength: n, elementSize: elementSize, into: d.baseAddress!) }
        }
        #expect(fused == expected)
        var back = [Double](repeating: .nan, count: valid)
        fused.withUnsafeBytes { s in back.withUnsafeMutableBufferPointer { d in HDF5ChunkCodec.decodeShuffled(s.baseAddress!, count: valid, planeLength: n, elementSize: elementSize, into: d.baseAddress!) } }
        let want = elementSize == 4 ? values.map { Double(Float($0)) } : values
        #expect(back == want)
    }
}
