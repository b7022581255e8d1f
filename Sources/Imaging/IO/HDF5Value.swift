/// The value of an HDF5 attribute (or small scalar dataset) as wb reads and writes it.
///
/// Writing: strings are variable-length UTF-8, integers 64-bit signed little-endian, floats
/// 64-bit IEEE; the singular cases use a scalar dataspace, the plural cases a 1-D one.
///
/// Reading is driven by the dataspace: a scalar dataspace gives a singular case, a simple
/// (array) dataspace gives a plural case — even with one element, as h5py does. Fixed-length
/// strings are read too (trailing NULs and, for space-padded types, spaces are removed).
/// Any integer width or sign is read into `Int` (HDF5 converts; `uint64` values above
/// `Int.max` are clipped), any float into `Double`.
public enum HDF5Value: Sendable, Equatable {
    /// One string.
    case string(String)
    /// A 1-D array of strings (h5py reads it as a list of `str`).
    case strings([String])
    /// One integer.
    case int(Int)
    /// A 1-D array of integers.
    case ints([Int])
    /// One floating-point number.
    case double(Double)
    /// A 1-D array of floating-point numbers.
    case doubles([Double])

    /// The string of `.string`, or of a one-element `.strings`; otherwise `nil`.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .strings(let a) where a.count == 1: return a[0]
        default: return nil
        }
    }

    /// The strings of `.strings`, or `[s]` for `.string(s)`; otherwise `nil`.
    public var stringsValue: [String]? {
        switch self {
        case .string(let s): return [s]
        case .strings(let a): return a
        default: return nil
        }
    }

    /// The integer of `.int`, or of a one-element `.ints`; otherwise `nil`.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .ints(let a) where a.count == 1: return a[0]
        default: return nil
        }
    }

    /// The number of `.double`/`.int` (or their one-element arrays); otherwise `nil`.
    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .doubles(let a) where a.count == 1: return a[0]
        case .int(let i): return Double(i)
        case .ints(let a) where a.count == 1: return Double(a[0])
        default: return nil
        }
    }
}
