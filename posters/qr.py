"""The poster QR code: the ``qrcode`` library's module matrix, drawn as one vector path.

Why not an image or the library's own drawing: a raster QR blurs when printed large, and
modules drawn as separate rectangles leave hairline seams in some PDF renderers (pdf.js)
that break decoding. One filled path, with each row's dark runs merged, scales to any
size and renders cleanly everywhere. The light quiet zone (4 modules, ISO/IEC 18004) is
painted explicitly, because a PDF page is transparent and a coloured band nearby would
otherwise eat into it.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
import qrcode.constants
from qrcode import util

QUIET_ZONE = 4  # modules of light margin on each side


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol's dark modules, row by row from the top, without the quiet zone."""

    data: str
    version: int
    rows: tuple[tuple[bool, ...], ...]

    @property
    def modules(self) -> int:
        return len(self.rows)

    @property
    def modules_with_quiet_zone(self) -> int:
        return self.modules + 2 * QUIET_ZONE


class _PlaceOnceQRCode(qrcode.QRCode):  # type: ignore[misc]  # qrcode is untyped
    """``qrcode.QRCode`` choosing the same mask with a third of the work.

    The library picks the mask the standard's way: it builds the symbol eight times, once
    per mask (with blank format bits), and keeps the one with the fewest penalty points.
    Placing the data bits is the slow part, and it is the same for every mask except for
    the XOR with the mask pattern; so this places the data once and flips the data
    modules for the other seven masks, then scores them with the library's own
    ``util.lost_point``. tests/posters/test_qr.py checks the choice equals the library's.
    """

    def best_mask_pattern(self) -> int:
        self.makeImpl(True, 0)
        with_mask0 = self.modules
        flips = _mask_flips(self)
        best, best_points = 0, 0
        for pattern in range(8):
            candidate = with_mask0
            if pattern:
                candidate = [row[:] for row in with_mask0]
                for r, c in flips[pattern]:
                    candidate[r][c] = not candidate[r][c]
            points = util.lost_point(candidate)
            if pattern == 0 or points < best_points:
                best, best_points = pattern, points
        return best


_FLIPS: dict[int, list[list[tuple[int, int]]]] = {}


def _mask_flips(code: _PlaceOnceQRCode) -> list[list[tuple[int, int]]]:
    """Per mask, the data modules whose colour differs from mask 0 (fixed per version)."""
    if code.version not in _FLIPS:
        size = code.modules_count
        scratch = _PlaceOnceQRCode(version=code.version, border=0)
        scratch.modules_count = size
        scratch.modules = [[None] * size for _ in range(size)]
        scratch.setup_position_probe_pattern(0, 0)
        scratch.setup_position_probe_pattern(size - 7, 0)
        scratch.setup_position_probe_pattern(0, size - 7)
        scratch.setup_position_adjust_pattern()
        scratch.setup_timing_pattern()
        scratch.setup_type_info(True, 0)
        if code.version >= 7:
            scratch.setup_type_number(True)
        data_cells = [
            (r, c) for r in range(size) for c in range(size) if scratch.modules[r][c] is None
        ]
        mask0 = util.mask_func(0)
        _FLIPS[code.version] = [
            [(r, c) for r, c in data_cells if util.mask_func(p)(r, c) != mask0(r, c)]
            for p in range(8)
        ]
    return _FLIPS[code.version]


def encode(data: str) -> QrSymbol:
    """Error correction M: the best reading distance for an indoor poster at this size."""
    code = _PlaceOnceQRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    return QrSymbol(data=data, version=code.version, rows=tuple(tuple(r) for r in matrix))


def dark_runs(symbol: QrSymbol) -> list[tuple[int, int, int]]:
    """(row, first column, length) of every horizontal run of dark modules."""
    runs: list[tuple[int, int, int]] = []
    for y, row in enumerate(symbol.rows):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return runs


def pdf_operators(symbol: QrSymbol, x: float, y: float, side: float) -> str:
    """PDF content operators drawing the symbol with its quiet zone in a ``side``-pt square.

    (x, y) is the square's lower-left corner in the current user space (points). Drawn in
    module units under one ``cm`` so coordinates are small integers: white quiet-zone
    square first, then every dark run as a rectangle of ONE path, filled once with 100 %
    black (K only, no rich black, so registration errors cannot blur the modules).
    """
    total = symbol.modules_with_quiet_zone
    unit = side / total
    n = symbol.modules
    parts = [
        "q",
        f"{unit:.6f} 0 0 {unit:.6f} {x:.4f} {y:.4f} cm",
        f"0 0 0 0 k 0 0 {total} {total} re f",
        "0 0 0 1 k",
    ]
    for row, start, length in dark_runs(symbol):
        parts.append(f"{start + QUIET_ZONE} {n - 1 - row + QUIET_ZONE} {length} 1 re")
    parts.append("f Q")
    return "\n".join(parts)
