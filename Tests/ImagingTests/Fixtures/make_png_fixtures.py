#!/usr/bin/env python3
"""Writes the PNG fixtures of PNGTests with the Python standard library only (zlib + struct),
independently of libpng, plus `png_fixtures.json` holding the raw sample values of each file.

Run from anywhere:  python3 Tests/ImagingTests/Fixtures/make_png_fixtures.py
The outputs are committed; the tests never run Python.

JSON layout: {name: {"width", "height", "bit_depth", "color_type", "samples"}} where
"samples" are the stored values, row-major, interleaved, for the decoded channels
(palette files: the RGB or RGBA palette entries of each pixel).
"""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(width, height, bit_depth, color_type, rows, extra=()):
    """rows: list of lists of integer samples (one list per row, interleaved channels).
    extra: (kind, data) chunks placed before IDAT (PLTE, tRNS, gAMA …)."""
    raw = bytearray()
    for row in rows:
        raw.append(0)  # filter type None
        if bit_depth == 16:
            for v in row:
                raw += struct.pack(">H", v)
        else:
            raw += bytes(row)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    for kind, data in extra:
        out += chunk(kind, data)
    out += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    return out


def pattern(width, height, channels, maximum, salt):
    """Deterministic samples covering 0, max and in-between values."""
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            for c in range(channels):
                i = (y * width + x) * channels + c
                if i == 0:
                    v = 0
                elif i == 1:
                    v = maximum
                else:
                    v = (i * 7919 + salt * 104729 + c * 31) % (maximum + 1)
                row.append(v)
        rows.append(row)
    return rows


def alpha_pattern(width, height, colour_channels, maximum, salt):
    """Colour samples plus an alpha column cycling opaque / transparent / partial."""
    alphas = [maximum, 0, maximum // 2 + 1, maximum, maximum * 3 // 4]
    colour = pattern(width, height, colour_channels, maximum, salt)
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            row += colour[y][x * colour_channels:(x + 1) * colour_channels]
            row.append(alphas[(y * width + x) % len(alphas)])
        rows.append(row)
    return rows


def main():
    fixtures = {}
    files = {}

    def add(name, width, height, bit_depth, color_type, rows, extra=(), samples=None):
        files[name] = png_bytes(width, height, bit_depth, color_type, rows, extra)
        flat = [v for row in rows for v in row] if samples is None else samples
        fixtures[name] = {"width": width, "height": height, "bit_depth": bit_depth,
                          "color_type": color_type, "samples": flat}

    add("gray8.png", 5, 4, 8, 0, pattern(5, 4, 1, 255, 1))
    add("gray16.png", 5, 4, 16, 0, pattern(5, 4, 1, 65535, 2))
    add("rgb8.png", 4, 3, 8, 2, pattern(4, 3, 3, 255, 3))
    add("rgb16.png", 4, 3, 16, 2, pattern(4, 3, 3, 65535, 4))
    add("ga8.png", 5, 2, 8, 4, alpha_pattern(5, 2, 1, 255, 5))
    add("ga16.png", 5, 2, 16, 4, alpha_pattern(5, 2, 1, 65535, 6))
    add("rgba8.png", 5, 2, 8, 6, alpha_pattern(5, 2, 3, 255, 7))
    add("rgba16.png", 5, 2, 16, 6, alpha_pattern(5, 2, 3, 65535, 8))

    # Palette without and with transparency: 4 entries, indices cycle 0..3.
    palette = [(0, 0, 0), (255, 0, 0), (12, 200, 99), (255, 255, 255)]
    plte = bytes(c for entry in palette for c in entry)
    index_rows = [[(y * 4 + x) % 4 for x in range(4)] for y in range(3)]
    rgb = [c for row in index_rows for i in row for c in palette[i]]
    add("palette8.png", 4, 3, 8, 3, index_rows, [(b"PLTE", plte)], rgb)
    trns = bytes([255, 0, 128])  # entry 3 has no tRNS byte → opaque
    alpha_of = [255, 0, 128, 255]
    rgba = [c for row in index_rows for i in row for c in palette[i] + (alpha_of[i],)]
    add("palette_trns8.png", 4, 3, 8, 3, index_rows, [(b"PLTE", plte), (b"tRNS", trns)], rgba)

    # Colour-space chunks that would make libpng convert values: a 16-bit file with an sRGB-like
    # gAMA (1/2.2) and an 8-bit file with a linear gAMA (1.0). wb must read stored values.
    add("gray16_gama.png", 5, 4, 16, 0, pattern(5, 4, 1, 65535, 9),
        [(b"gAMA", struct.pack(">I", 45455))])
    add("gray8_gama1.png", 5, 4, 8, 0, pattern(5, 4, 1, 255, 10),
        [(b"gAMA", struct.pack(">I", 100000))])

    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    # Broken inputs: a truncated PNG (cut inside IDAT) and a file that is not a PNG.
    whole = files["gray8.png"]
    with open(os.path.join(HERE, "truncated.png"), "wb") as f:
        f.write(whole[:len(whole) - 20])
    with open(os.path.join(HERE, "not_a_png.png"), "wb") as f:
        f.write(b"this is plain text, not a PNG file\n")
    with open(os.path.join(HERE, "png_fixtures.json"), "w") as f:
        json.dump(fixtures, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
