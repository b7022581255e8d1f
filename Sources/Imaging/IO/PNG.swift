#if canImport(Glibc)
import Glibc
#endif
internal import CPNG

/// The channel layout ``PNG/read(_:channels:)`` returns.
public enum PNGChannels: String, Sendable {
    /// One channel, shape `(height, width)`; colour is converted to luma (see ``PNG/read(_:channels:)``).
    case gray
    /// Red, green, blue, shape `(height, width, 3)`; gray files are replicated.
    case rgb
    /// Red, green, blue, alpha, shape `(height, width, 4)`; files without alpha get alpha 1.
    case rgba
}

/// What a PNG file holds, as read from its header.
public struct PNGHeader: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// 16 for 16-bit files, otherwise 8 (1-, 2- and 4-bit gray and palette files are expanded
    /// to 8 bits when read, so they report 8).
    public let bitDepth: Int
    /// The stored colour type: `"gray"`, `"gray+alpha"`, `"rgb"`, `"rgba"` or `"palette"`.
    public let colorType: String
    /// Channels the decoded pixels have: 1 gray, 2 gray+alpha, 3 colour, 4 colour+alpha; a `tRNS`
    /// chunk (transparency of palette or gray/RGB files) adds the alpha channel.
    public let channels: Int

    /// A header from its parts.
    public init(width: Int, height: Int, bitDepth: Int, colorType: String, channels: Int) {
        self.width = width; self.height = height; self.bitDepth = bitDepth
        self.colorType = colorType; self.channels = channels
    }
}

/// How many samples ``PNG/write(_:to:bitDepth:displayRange:)`` had to clip.
public struct PNGWriteReport: Sendable {
    /// Samples below the display range, written as 0.
    public let clippedLow: Int
    /// Samples above the display range, written as the maximum level (255 or 65535).
    public let clippedHigh: Int

    /// A report from its counts.
    public init(clippedLow: Int, clippedHigh: Int) {
        self.clippedLow = clippedLow; self.clippedHigh = clippedHigh
    }
}

/// PNG reading and writing through libpng's *simplified* API (`png_image_*`; never the
/// `setjmp`-based classic API).
///
/// **Stored values, no colour management.** wb reads the sample values exactly as stored:
/// before decoding, the colour-space chunks `gAMA`, `sRGB`, `iCCP` and `cHRM` are dropped from an
/// in-memory copy of the file (whole chunks, so no CRC changes), and the file is decoded with
/// `png_image_begin_read_from_memory` in its own sample format: 8-bit files with an 8-bit
/// format, 16-bit files with a 16-bit (`PNG_FORMAT_FLAG_LINEAR`) format. Without colour-space
/// chunks libpng assumes 8-bit data is sRGB and 16-bit data linear, which equal the requested
/// encodings, so it applies no gamma conversion. Colour and alpha are always requested when the
/// file has them, so libpng neither converts colour to gray nor composites alpha onto a background.
///
/// **Alpha in 16-bit files.** For 16-bit formats with alpha the simplified API returns colour
/// *premultiplied* by alpha (`p = c·a/65535`, rounded). wb divides it out again
/// (`c = round(p·65535/a)`, capped at 65535): exact for opaque pixels, within
/// `65535/(2a)` levels for partly transparent ones; the colour of fully transparent pixels
/// (a = 0) is lost and reads as 0. 8-bit files are never premultiplied and read exactly.
///
/// Errors: a missing file throws ``ImagingError/fileNotFound(path:)``; a file that is not a PNG,
/// is truncated or corrupt throws ``ImagingError/png(path:reason:)`` with libpng's message.
/// `png_image_free` is called on every path; libpng's simplified API stores warnings in the
/// image record instead of printing them, so nothing is printed.
public enum PNG {
    // PNG_FORMAT_FLAG_* (png.h); spelled out because png.h defines them as unsigned macros.
    static let flagAlpha: UInt32 = 0x01
    static let flagColor: UInt32 = 0x02
    static let flagLinear: UInt32 = 0x04
    static let flagColormap: UInt32 = 0x08

    /// The header of the PNG file at `path` (size, stored bit depth, colour type, channels).
    ///
    /// The file is validated by libpng (`png_image_begin_read_from_memory`), so a corrupt
    /// header throws; the image data itself is not decoded.
    public static func header(_ path: String) throws -> PNGHeader {
        let file = try loadStripped(path)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let ok = file.bytes.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        if ok == 0 { throw ImagingError.png(path: path, reason: message(of: &image)) }
        let color = image.format & flagColor != 0, alpha = image.format & flagAlpha != 0
        let colorType: String
        switch file.colorType {
        case 0: colorType = "gray"
        case 2: colorType = "rgb"
        case 3: colorType = "palette"
        case 4: colorType = "gray+alpha"
        case 6: colorType = "rgba"
        default: throw ImagingError.png(path: path, reason: "unknown colour type \(file.colorType)")
        }
        return PNGHeader(width: Int(image.width), height: Int(image.height),
                         bitDepth: file.bitDepth == 16 ? 16 : 8, colorType: colorType,
                         channels: (color ? 3 : 1) + (alpha ? 1 : 0))
    }

    /// Reads the PNG file at `path` into a grid of values in [0, 1].
    ///
    /// Values are the stored samples divided by the maximum level: `v/255` for 8-bit (and
    /// expanded 1/2/4-bit and palette) files, `v/65535` for 16-bit files, so 16-bit values
    /// round-trip exactly through ``write(_:to:bitDepth:displayRange:)``. No gamma or colour-space
    /// handling is applied (see ``PNG``). Palette files read as their RGB(A) palette entries.
    ///
    /// - `.gray` → shape `(height, width)`. Colour is converted with ITU-R BT.601 luma computed in
    ///   `Double` on the stored values: `Y = (0.299·R + 0.587·G + 0.114·B)/max` with `max` = 255 or
    ///   65535 (no gamma linearisation). Alpha is ignored, not composited: a gray+alpha or RGBA
    ///   file yields its (un-premultiplied) colour values.
    /// - `.rgb` → `(height, width, 3)`; gray files are replicated into the three channels; alpha is
    ///   dropped (not composited).
    /// - `.rgba` → `(height, width, 4)`; files without alpha get alpha 1.
    public static func read(_ path: String, channels: PNGChannels = .gray) throws -> Grid {
        let file = try loadStripped(path)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        return try file.bytes.withUnsafeBytes { raw -> Grid in
            if png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) == 0 {
                throw ImagingError.png(path: path, reason: message(of: &image))
            }
            let color = image.format & flagColor != 0
            let alpha = image.format & flagAlpha != 0
            let sixteen = image.format & flagLinear != 0
            // Request exactly the file's own sample layout (colour-mapped → direct colour).
            image.format = (color ? flagColor : 0) | (alpha ? flagAlpha : 0) | (sixteen ? flagLinear : 0)
            let h = Int(image.height), w = Int(image.width)
            let fileChannels = (color ? 3 : 1) + (alpha ? 1 : 0)
            let pixels = h * w
            let outChannels: Int
            switch channels {
            case .gray: outChannels = 1
            case .rgb: outChannels = 3
            case .rgba: outChannels = 4
            }
            var out = Grid(shape: outChannels == 1 ? Shape(h, w) : Shape(h, w, outChannels))
            if sixteen {
                var samples = [UInt16](repeating: 0, count: pixels * fileChannels)
                let ok = samples.withUnsafeMutableBytes { buf in
                    png_image_finish_read(&image, nil, buf.baseAddress, 0, nil)
                }
                if ok == 0 { throw ImagingError.png(path: path, reason: message(of: &image)) }
                if alpha { unpremultiply(&samples, channels: fileChannels) }
                samples.withUnsafeBufferPointer { s in
                    out.storage.withUnsafeMutableBufferPointer { d in
                        convert(s, fileChannels: fileChannels, into: d, outChannels: outChannels,
                                pixels: pixels, maxLevel: 65535)
                    }
                }
            } else {
                var samples = [UInt8](repeating: 0, count: pixels * fileChannels)
                let ok = samples.withUnsafeMutableBytes { buf in
                    png_image_finish_read(&image, nil, buf.baseAddress, 0, nil)
                }
                if ok == 0 { throw ImagingError.png(path: path, reason: message(of: &image)) }
                samples.withUnsafeBufferPointer { s in
                    out.storage.withUnsafeMutableBufferPointer { d in
                        convert(s, fileChannels: fileChannels, into: d, outChannels: outChannels,
                                pixels: pixels, maxLevel: 255)
                    }
                }
            }
            return out
        }
    }

    /// Writes `grid` as an 8- or 16-bit PNG, atomically (a failed write leaves no file).
    ///
    /// Rank 2 `(h, w)` is written as gray, `(h, w, 3)` as RGB, `(h, w, 4)` as RGBA. Each sample
    /// `v` is mapped linearly from `displayRange` to the levels `[0, max]` (`max` = 255 or 65535):
    /// `t = (v − lo)·max/(hi − lo)`, rounded to the nearest level (halves away from zero); samples
    /// with `t < 0` are written as 0 and counted in ``PNGWriteReport/clippedLow``, samples with
    /// `t > max` as `max` and counted in ``PNGWriteReport/clippedHigh``. Alpha is mapped the same way.
    ///
    /// libpng's simplified writer stores 16-bit data as linear (a `gAMA` of 1.0) and expects
    /// 16-bit RGBA colour premultiplied by alpha, which it divides out. wb therefore premultiplies
    /// 16-bit RGBA colour before handing it over: opaque pixels are stored exactly; partly
    /// transparent ones to within the rounding of the division; libpng stores colour 65535 under
    /// alpha 0. 8-bit data (gray, RGB, RGBA) is stored exactly as mapped, with an `sRGB` chunk.
    ///
    /// - Throws: ``ImagingError/invalidParameter(name:reason:)`` for a bit depth other than 8 or
    ///   16 or an empty/non-finite display range; ``ImagingError/invalidData(source:reason:)`` for
    ///   NaN/infinity, an empty grid or an unsupported shape; ``ImagingError/png(path:reason:)``
    ///   when libpng fails to write.
    @discardableResult
    public static func write(_ grid: Grid, to path: String, bitDepth: Int = 8,
                             displayRange: ClosedRange<Double> = 0...1) throws -> PNGWriteReport {
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ImagingError.invalidParameter(name: "bitDepth", reason: "must be 8 or 16, got \(bitDepth)")
        }
        let lo = displayRange.lowerBound, hi = displayRange.upperBound
        guard lo.isFinite, hi.isFinite, lo < hi else {
            throw ImagingError.invalidParameter(name: "displayRange",
                reason: "must be finite with lower < upper, got \(lo)...\(hi)")
        }
        let channels: Int
        switch grid.rank {
        case 2: channels = 1
        case 3 where grid.shape[2] == 3 || grid.shape[2] == 4: channels = grid.shape[2]
        default:
            throw ImagingError.invalidData(source: path,
                reason: "PNG needs shape (h, w), (h, w, 3) or (h, w, 4), got \(grid.shape)")
        }
        let h = grid.shape[0], w = grid.shape[1]
        guard h > 0, w > 0 else {
            throw ImagingError.invalidData(source: path, reason: "empty image \(grid.shape)")
        }
        guard h <= 0x7FFF_FFFF / 8, w <= 0x7FFF_FFFF / 8 else {
            throw ImagingError.invalidData(source: path, reason: "image \(grid.shape) too large for PNG")
        }
        try grid.requireFinite(source: path)

        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(w)
        image.height = UInt32(h)
        image.format = (channels >= 3 ? flagColor : 0) | (channels == 2 || channels == 4 ? flagAlpha : 0)
            | (bitDepth == 16 ? flagLinear : 0)
        let maxLevel = bitDepth == 16 ? 65535.0 : 255.0
        let factor = maxLevel / (hi - lo)
        var low = 0, high = 0

        func quantise<T: FixedWidthInteger & UnsignedInteger>(_ d: UnsafeMutableBufferPointer<T>) {
            grid.storage.withUnsafeBufferPointer { s in
                var l = 0, u = 0
                for i in 0..<s.count {
                    var t = (s[i] - lo) * factor
                    if t < 0 { t = 0; l &+= 1 } else if t > maxLevel { t = maxLevel; u &+= 1 }
                    d[i] = T(t.rounded())
                }
                low = l; high = u
            }
        }

        try AtomicOutput.write(to: path) { tmp in
            let ok: Int32
            if bitDepth == 16 {
                var buf = [UInt16](repeating: 0, count: grid.count)
                buf.withUnsafeMutableBufferPointer { quantise($0) }
                if channels == 4 { premultiply(&buf) }
                ok = buf.withUnsafeBytes { png_image_write_to_file(&image, tmp, 0, $0.baseAddress, 0, nil) }
            } else {
                var buf = [UInt8](repeating: 0, count: grid.count)
                buf.withUnsafeMutableBufferPointer { quantise($0) }
                ok = buf.withUnsafeBytes { png_image_write_to_file(&image, tmp, 0, $0.baseAddress, 0, nil) }
            }
            let reason = ok == 0 ? message(of: &image) : ""
            png_image_free(&image)
            if ok == 0 { throw ImagingError.png(path: path, reason: reason) }
        }
        return PNGWriteReport(clippedLow: low, clippedHigh: high)
    }

    // MARK: - Conversion kernels

    /// Samples (interleaved, `fileChannels` per pixel) → doubles `v/maxLevel` with `outChannels`
    /// per pixel (a true division, so `v/255` and `v/65535` are exactly the documented values).
    @inline(__always)
    static func convert<T: FixedWidthInteger & UnsignedInteger>(
        _ s: UnsafeBufferPointer<T>, fileChannels: Int, into d: UnsafeMutableBufferPointer<Double>,
        outChannels: Int, pixels: Int, maxLevel: Double
    ) {
        guard let sp = s.baseAddress, let dp = d.baseAddress else { return }
        precondition(s.count >= pixels * fileChannels && d.count == pixels * outChannels)
        let colour = fileChannels >= 3
        let alpha = fileChannels == 2 || fileChannels == 4
        switch outChannels {
        case 1:
            if !colour {
                for i in 0..<pixels { dp[i] = Double(sp[i &* fileChannels]) / maxLevel }
            } else {
                for i in 0..<pixels {
                    let b = i &* fileChannels
                    let y = 0.299 * Double(sp[b]) + 0.587 * Double(sp[b &+ 1]) + 0.114 * Double(sp[b &+ 2])
                    dp[i] = y / maxLevel
                }
            }
        default:
            let oc = outChannels
            for i in 0..<pixels {
                let b = i &* fileChannels, o = i &* oc
                if colour {
                    dp[o] = Double(sp[b]) / maxLevel
                    dp[o &+ 1] = Double(sp[b &+ 1]) / maxLevel
                    dp[o &+ 2] = Double(sp[b &+ 2]) / maxLevel
                } else {
                    let g = Double(sp[b]) / maxLevel
                    dp[o] = g; dp[o &+ 1] = g; dp[o &+ 2] = g
                }
                if oc == 4 {
                    dp[o &+ 3] = alpha ? Double(sp[b &+ fileChannels &- 1]) / maxLevel : 1.0
                }
            }
        }
    }

    /// Divides libpng's alpha premultiplication out of 16-bit samples (alpha last).
    static func unpremultiply(_ samples: inout [UInt16], channels: Int) {
        samples.withUnsafeMutableBufferPointer { p in
            guard let b = p.baseAddress else { return }
            let pixels = p.count / channels
            for i in 0..<pixels {
                let px = b + i &* channels
                let a = UInt32(px[channels &- 1])
                if a == 65535 { continue }
                for c in 0..<(channels &- 1) {
                    if a == 0 { px[c] = 0; continue }
                    let v = (UInt32(px[c]) &* 65535 &+ a / 2) / a
                    px[c] = UInt16(Swift.min(v, 65535))
                }
            }
        }
    }

    /// Premultiplies 16-bit RGBA colour by alpha (what the simplified writer expects).
    static func premultiply(_ samples: inout [UInt16]) {
        samples.withUnsafeMutableBufferPointer { p in
            guard let b = p.baseAddress else { return }
            for i in 0..<(p.count / 4) {
                let px = b + i &* 4
                let a = UInt32(px[3])
                if a == 65535 { continue }
                for c in 0..<3 { px[c] = UInt16((UInt32(px[c]) &* a &+ 32767) / 65535) }
            }
        }
    }

    // MARK: - File handling

    /// An in-memory PNG with the colour-space chunks removed, plus its IHDR fields.
    struct StrippedFile {
        var bytes: [UInt8]
        var bitDepth: Int
        var colorType: Int
    }

    /// Reads `path`, checks the signature and drops `gAMA`, `sRGB`, `iCCP` and `cHRM` chunks.
    /// Damaged chunk structure is left for libpng to report (the remainder is copied verbatim).
    static func loadStripped(_ path: String) throws -> StrippedFile {
        let data = try readFile(path)
        let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]
        guard data.count >= 8, Array(data[0..<8]) == signature else {
            throw ImagingError.png(path: path, reason: "not a PNG file (bad signature)")
        }
        var out = [UInt8]()
        out.reserveCapacity(data.count)
        out.append(contentsOf: signature)
        var depth = 0, colorType = -1
        var pos = 8
        let dropped: Set<String> = ["gAMA", "sRGB", "iCCP", "cHRM"]
        while pos + 12 <= data.count {
            let length = Int(data[pos]) << 24 | Int(data[pos + 1]) << 16 | Int(data[pos + 2]) << 8 | Int(data[pos + 3])
            let end = pos + 12 + length
            guard end <= data.count else { break }
            let type = String(decoding: data[(pos + 4)..<(pos + 8)], as: UTF8.self)
            if type == "IHDR" && length >= 13 {
                depth = Int(data[pos + 16])
                colorType = Int(data[pos + 17])
            }
            if !dropped.contains(type) { out.append(contentsOf: data[pos..<end]) }
            pos = end
            if type == "IEND" { break }
        }
        if pos < data.count { out.append(contentsOf: data[pos...]) }
        if colorType < 0 {
            throw ImagingError.png(path: path, reason: "missing or damaged IHDR header")
        }
        return StrippedFile(bytes: out, bitDepth: depth, colorType: colorType)
    }

    /// The whole file as bytes; missing files throw ``ImagingError/fileNotFound(path:)``.
    static func readFile(_ path: String) throws -> [UInt8] {
        var st = stat()
        if stat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { throw ImagingError.fileNotFound(path: path) }
            throw ImagingError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            throw ImagingError.unreadable(path: path, reason: "not a regular file")
        }
        guard let f = fopen(path, "rb") else {
            throw ImagingError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        let n = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n != bytes.count {
            throw ImagingError.unreadable(path: path, reason: "short read (\(n) of \(bytes.count) bytes)")
        }
        return bytes
    }

    /// libpng's message stored in the image record.
    static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? "libpng failed without a message" : text
    }
}
