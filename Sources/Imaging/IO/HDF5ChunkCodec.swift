internal import CHDF5
import Synchronization

/// Parallel gzip + shuffle for frame-chunked datasets.
///
/// HDF5 runs its filters on one thread (and the thread-safe build serialises every call), so a
/// 16×2048² float32 stack with gzip spends nearly all its time in zlib on one core. For the
/// layout wb writes — chunks that cover whole frames along the first axis, shuffle then
/// deflate, IEEE little-endian floats — wb does the filter work itself: chunks are converted,
/// shuffled and deflated on ``ComputeThreads/count`` threads, and only the raw chunk transfer
/// (`H5Dwrite_chunk` / `H5Dread_chunk`) goes through HDF5. The bytes are exactly what HDF5's own
/// shuffle and deflate filters produce and expect (zlib stream, byte-plane shuffle), so any
/// reader opens the files, and wb reads files written by others through the same path when their
/// layout matches. Anything else falls back to plain `H5Dread`/`H5Dwrite`.
enum HDF5ChunkCodec {
    /// Tests switch the fast path off to compare it with HDF5's own filters.
    static let enabled = Atomic<Bool>(true)

    /// Rows (along axis 0) per chunk when every chunk spans whole frames, else nil.
    static func framesPerChunk(dims: [Int], chunks: [Int]) -> Int? {
        guard enabled.load(ordering: .relaxed), dims.count >= 2, chunks.count == dims.count, chunks[0] >= 1,
              Array(chunks.dropFirst()) == Array(dims.dropFirst()) else { return nil }
        return chunks[0]
    }

    /// Widening of an unshuffled chunk (the deflate-only layout) to Double.
    private static func decode(_ src: UnsafeRawPointer, count n: Int, elementSize: Int,
                               into dst: UnsafeMutablePointer<Double>) {
        if elementSize == 4 {
            let s = src.assumingMemoryBound(to: Float.self)
            for i in 0..<n { dst[i] = Double(s[i]) }
        } else {
            dst.update(from: src.assumingMemoryBound(to: Double.self), count: n)
        }
    }

    /// Fused shuffle + narrowing: element i of `src` (as the file's float type) goes byte by
    /// byte to planes j·n + i of `dst` (little-endian byte order), in one sequential pass.
    static func encodeShuffled(_ src: UnsafePointer<Double>, count valid: Int, planeLength n: Int,
                               elementSize: Int, into dst: UnsafeMutableRawPointer) {
        let b = dst.assumingMemoryBound(to: UInt8.self)
        if elementSize == 4 {
            let p0 = b, p1 = b + n, p2 = b + 2 &* n, p3 = b + 3 &* n
            for i in 0..<valid {
                let v = Float(src[i]).bitPattern.littleEndian
                p0[i] = UInt8(truncatingIfNeeded: v); p1[i] = UInt8(truncatingIfNeeded: v >> 8)
                p2[i] = UInt8(truncatingIfNeeded: v >> 16); p3[i] = UInt8(truncatingIfNeeded: v >> 24)
            }
        } else {
            for i in 0..<valid {
                let v = src[i].bitPattern.littleEndian
                for j in 0..<8 { b[j &* n &+ i] = UInt8(truncatingIfNeeded: v >> UInt64(8 &* j)) }
            }
        }
        if valid < n { for j in 0..<elementSize { (b + j &* n + valid).initialize(repeating: 0, count: n - valid) } }
    }

    /// Fused unshuffle + widening: the inverse of ``encodeShuffled``.
    static func decodeShuffled(_ src: UnsafeRawPointer, count valid: Int, planeLength n: Int,
                               elementSize: Int, into dst: UnsafeMutablePointer<Double>) {
        let b = src.assumingMemoryBound(to: UInt8.self)
        if elementSize == 4 {
            let p0 = b, p1 = b + n, p2 = b + 2 &* n, p3 = b + 3 &* n
            for i in 0..<valid {
                let v = UInt32(p0[i]) | UInt32(p1[i]) << 8 | UInt32(p2[i]) << 16 | UInt32(p3[i]) << 24
                dst[i] = Double(Float(bitPattern: UInt32(littleEndian: v)))
            }
        } else {
            for i in 0..<valid {
                var v: UInt64 = 0
                for j in 0..<8 { v |= UInt64(b[j &* n &+ i]) << UInt64(8 &* j) }
                dst[i] = Double(bitPattern: UInt64(littleEndian: v))
            }
        }
    }

    /// HDF5's shuffle filter: byte j of element i goes to j·n + i.
    static func shuffle(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, elements n: Int, elementSize s: Int) {
        let a = src.assumingMemoryBound(to: UInt8.self), b = dst.assumingMemoryBound(to: UInt8.self)
        for j in 0..<s {
            let plane = b + j &* n
            for i in 0..<n { plane[i] = a[i &* s &+ j] }
        }
    }

    /// Inverse of ``shuffle(_:_:elements:elementSize:)``.
    static func unshuffle(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, elements n: Int, elementSize s: Int) {
        let a = src.assumingMemoryBound(to: UInt8.self), b = dst.assumingMemoryBound(to: UInt8.self)
        for j in 0..<s {
            let plane = a + j &* n
            for i in 0..<n { b[i &* s &+ j] = plane[i] }
        }
    }

    /// Per-thread scratch: the encoded chunk, its shuffled bytes and the compressed stream.
    private struct Slot: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
        let shuffled: UnsafeMutableRawPointer
        let packed: UnsafeMutableRawPointer
        let packedCapacity: Int
        var packedSize = 0
        var failed = false
    }

    /// Writes `grid` into the frame-chunked dataset `dataset` (created with shuffle + deflate at
    /// `level`). Returns false when zlib or HDF5 refused, in which case the caller writes normally.
    static func writeFrames(_ grid: Grid, dataset: hid_t, framesPerChunk rows: Int, elementSize: Int, level: Int) -> Bool {
        let dims = grid.shape.dimensions
        let frameElements = dims.dropFirst().reduce(1, *)
        let chunkElements = rows * frameElements
        let chunkBytes = chunkElements * elementSize
        let chunkCount = (dims[0] + rows - 1) / rows
        let parallel = Swift.max(1, Swift.min(ComputeThreads.count, chunkCount))
        let bound = Int(compressBound(uLong(chunkBytes)))
        var slots = (0..<parallel).map { _ in
            Slot(raw: .allocate(byteCount: chunkBytes, alignment: 16),
                 shuffled: .allocate(byteCount: chunkBytes, alignment: 16),
                 packed: .allocate(byteCount: bound, alignment: 16), packedCapacity: bound)
        }
        defer { for s in slots { s.raw.deallocate(); s.shuffled.deallocate(); s.packed.deallocate() } }
        return grid.storage.withUnsafeBufferPointer { storage -> Bool in
            let base = UnsafeSendableReadPointer(storage.baseAddress!)
            var first = 0
            while first < chunkCount {
                let batch = Swift.min(parallel, chunkCount - first)
                slots.withUnsafeMutableBufferPointer { sp in
                    let slotPointer = UnsafeSendablePointer(sp.baseAddress!)
                    let start = first
                    DispatchQueueParallel.run(batch) { k in
                        var slot = slotPointer.base[k]
                        let chunk = start + k
                        let frameStart = chunk * rows
                        let valid = Swift.min(rows, dims[0] - frameStart) * frameElements
                        // Partial last chunk: HDF5 stores full chunks; the padding is zeros.
                        encodeShuffled(base.base + frameStart * frameElements, count: valid, planeLength: chunkElements,
                                       elementSize: elementSize, into: slot.shuffled)
                        var size = uLongf(slot.packedCapacity)
                        let rc = compress2(slot.packed.assumingMemoryBound(to: Bytef.self), &size,
                                           slot.shuffled.assumingMemoryBound(to: Bytef.self), uLong(chunkBytes), Int32(level))
                        slot.packedSize = Int(size)
                        slot.failed = rc != Z_OK
                        slotPointer.base[k] = slot
                    }
                }
                for k in 0..<batch {
                    if slots[k].failed { return false }
                    var offset = [hsize_t](repeating: 0, count: dims.count)
                    offset[0] = hsize_t((first + k) * rows)
                    if H5Dwrite_chunk(dataset, wb_h5p_default(), 0, &offset, slots[k].packedSize, slots[k].packed) < 0 {
                        return false
                    }
                }
                first += batch
            }
            return true
        }
    }

    /// Reads a frame-chunked, shuffle + deflate (or deflate only) float dataset into `out`.
    /// Returns false (having possibly written part of `out`) when a chunk is not in the expected
    /// form — a skipped filter, an unexpected size — so the caller reads normally instead.
    static func readFrames(dataset: hid_t, dims: [Int], framesPerChunk rows: Int, elementSize: Int,
                           shuffled: Bool, into out: UnsafeMutablePointer<Double>) -> Bool {
        let frameElements = dims.dropFirst().reduce(1, *)
        let chunkElements = rows * frameElements
        let chunkBytes = chunkElements * elementSize
        let chunkCount = (dims[0] + rows - 1) / rows
        let parallel = Swift.max(1, Swift.min(ComputeThreads.count, chunkCount))
        var packed: [UnsafeMutableRawPointer?] = Array(repeating: nil, count: parallel)
        var packedCapacity = [Int](repeating: 0, count: parallel)
        var slots = (0..<parallel).map { _ in
            Slot(raw: .allocate(byteCount: chunkBytes, alignment: 16),
                 shuffled: .allocate(byteCount: chunkBytes, alignment: 16),
                 packed: .allocate(byteCount: 1, alignment: 16), packedCapacity: 0)
        }
        defer {
            for s in slots { s.raw.deallocate(); s.shuffled.deallocate(); s.packed.deallocate() }
            for p in packed { p?.deallocate() }
        }
        let target = UnsafeSendablePointer(out)
        var first = 0
        while first < chunkCount {
            let batch = Swift.min(parallel, chunkCount - first)
            // Raw chunk bytes through HDF5, one after the other.
            for k in 0..<batch {
                var offset = [hsize_t](repeating: 0, count: dims.count)
                offset[0] = hsize_t((first + k) * rows)
                var size: hsize_t = 0
                guard H5Dget_chunk_storage_size(dataset, &offset, &size) >= 0, size > 0 else { return false }
                if Int(size) > packedCapacity[k] {
                    packed[k]?.deallocate()
                    packed[k] = .allocate(byteCount: Int(size), alignment: 16)
                    packedCapacity[k] = Int(size)
                }
                var mask: UInt32 = 0
                guard H5Dread_chunk(dataset, wb_h5p_default(), &offset, &mask, packed[k]) >= 0, mask == 0 else { return false }
                slots[k] = Slot(raw: slots[k].raw, shuffled: slots[k].shuffled, packed: slots[k].packed,
                                packedCapacity: Int(size))
            }
            let sources = packed.map { $0.map { UnsafeSendablePointer($0.assumingMemoryBound(to: UInt8.self)) } }
            slots.withUnsafeMutableBufferPointer { sp in
                let slotPointer = UnsafeSendablePointer(sp.baseAddress!)
                let start = first
                DispatchQueueParallel.run(batch) { k in
                    var slot = slotPointer.base[k]
                    var size = uLongf(chunkBytes)
                    let inflated = shuffled ? slot.shuffled : slot.raw
                    let rc = uncompress(inflated.assumingMemoryBound(to: Bytef.self), &size,
                                        sources[k]!.base, uLong(slot.packedCapacity))
                    slot.failed = rc != Z_OK || Int(size) != chunkBytes
                    if !slot.failed {
                        let frameStart = (start + k) * rows
                        let valid = Swift.min(rows, dims[0] - frameStart) * frameElements
                        if shuffled {
                            decodeShuffled(slot.shuffled, count: valid, planeLength: chunkElements, elementSize: elementSize,
                                           into: target.base + frameStart * frameElements)
                        } else {
                            decode(slot.raw, count: valid, elementSize: elementSize, into: target.base + frameStart * frameElements)
                        }
                    }
                    slotPointer.base[k] = slot
                }
            }
            if slots.prefix(batch).contains(where: \.failed) { return false }
            first += batch
        }
        return true
    }
}

import Dispatch

/// `concurrentPerform` over `count` independent items (each item is large: one chunk).
enum DispatchQueueParallel {
    static func run(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count <= 1 { if count == 1 { body(0) }; return }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}
