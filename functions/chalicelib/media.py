"""What an uploaded file really is, and the camera's notes taken out of photos.

A photo of a hazard can name the reporter more surely than any form field: Exif carries
GPS coordinates, the time to the second, the phone's make, model and serial number, the
owner's name; XMP and IPTC carry editing history and authors; an embedded thumbnail can
show what a crop was meant to hide. So every image is cut down to the segments a decoder
needs, *without re-encoding* (pixels and quality stay exactly as taken, and no imaging
library has to ship in the Lambda zip):

* JPEG: everything between the markers is kept except APPn segments and comments. Kept
  APPn: APP0 ``JFIF`` (its thumbnail removed), APP2 ``ICC_PROFILE`` (colours) and APP14
  ``Adobe`` (the colour transform CMYK/RGB decoders need; 12 bytes, no personal data).
  Dropped: APP1 (Exif, XMP), APP2 ``MPF``/``FPXR``, APP3-APP13 (APP13 = Photoshop/IPTC),
  APP15, COM, and everything after EOI (multi-picture trailers carry their own Exif).
* PNG: critical chunks and the ancillary chunks that change how pixels are shown are
  kept with their CRCs untouched; everything else is dropped (``eXIf``, ``tEXt``,
  ``zTXt``, ``iTXt``, ``tIME``, and unknown/private chunks such as C2PA ``caBX``), as is
  anything after ``IEND``.
* WebP: only image chunks (``VP8X``, ``VP8 ``, ``VP8L``, ``ALPH``, ``ANIM``, ``ANMF``,
  ``ICCP``) are kept; ``EXIF``/``XMP `` and unknown chunks are dropped, the ``VP8X``
  Exif/XMP flags cleared and the RIFF size rewritten.

Kept lists rather than drop lists: a metadata format nobody thought of is removed too.

**Not stripped**: videos (MP4/QuickTime) and PDFs are sealed as received. Their metadata
(a phone video's ``udta``/``meta`` location, a PDF's author) cannot be removed safely
without rewriting the container; officers must treat them as possibly identifying, and
the upload page should say so. HEIF/HEIC is recognised but refused for the same reason
(browsers on iPhones convert photos to JPEG for upload).
"""

from __future__ import annotations

import struct

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
HEIC = "image/heic"
AVIF = "image/avif"
MP4 = "video/mp4"
QUICKTIME = "video/quicktime"
PDF = "application/pdf"

# types whose metadata strip_metadata removes; all others pass through unchanged
STRIPPED = frozenset({JPEG, PNG, WEBP})

# names browsers and systems use for the same thing
_ALIASES = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/x-png": PNG,
    "video/x-m4v": MP4,
    "image/heif": HEIC,
}
# ISO base-media video files are labelled .mp4 or .mov rather freely by phones and
# operating systems; either declaration is accepted for either container
_VIDEO_FAMILY = frozenset({MP4, QUICKTIME})


class MediaError(ValueError):
    """The bytes are not a well-formed file of their type. Carries no file content."""


# ---- sniffing -----------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def normalise(content_type: str) -> str:
    """A declared media type, lower-case, parameters dropped, aliases resolved."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(kind, kind)


def sniff(data: bytes) -> str | None:
    """The media type the bytes really have, from their magic numbers; None if unknown."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(_PNG_SIGNATURE):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return _sniff_ftyp(data)
    if len(data) >= 8 and data[4:8] in _QUICKTIME_ATOMS:
        return QUICKTIME  # classic QuickTime files have no ftyp box
    return None


def _sniff_ftyp(data: bytes) -> str | None:
    size = int.from_bytes(data[:4], "big")
    end = min(len(data), max(size, 16))
    major = data[8:12]
    brands = {major} | {data[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _AUDIO_BRANDS:
        return None
    if major in _AVIF_BRANDS:
        return AVIF
    if major in _HEIF_BRANDS or brands & {b"heic", b"heix"}:
        generic = major in (b"mif1", b"msf1") and not brands & {b"heic", b"heix"}
        return AVIF if generic and brands & _AVIF_BRANDS else HEIC
    if major == b"qt  ":
        return QUICKTIME
    return MP4


def compatible(declared: str, sniffed: str) -> bool:
    """Whether a file sniffed as ``sniffed`` may be stored under the declared type."""
    declared = normalise(declared)
    return declared == sniffed or (declared in _VIDEO_FAMILY and sniffed in _VIDEO_FAMILY)


# ---- stripping ----------------------------------------------------------------------------


def strip_metadata(data: bytes, media_type: str) -> bytes:
    """``data`` without metadata if ``media_type`` is one of ``STRIPPED``, else unchanged.

    Raises ``MediaError`` when a strippable type does not parse: a file that cannot be
    cleaned is not stored.
    """
    if media_type == JPEG:
        return strip_jpeg(data)
    if media_type == PNG:
        return strip_png(data)
    if media_type == WEBP:
        return strip_webp(data)
    return data


# JPEG markers without a length field
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_SOS, _EOI, _SOI, _APP0, _APP2, _APP14 = 0xDA, 0xD9, 0xD8, 0xE0, 0xE2, 0xEE


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == _APP0:
        return payload.startswith(b"JFIF\0")
    if marker == _APP2:
        return payload.startswith(b"ICC_PROFILE\0")
    if marker == _APP14:
        return payload.startswith(b"Adobe")
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)


def _jfif_without_thumbnail(segment: bytes) -> bytes:
    """APP0 JFIF keeps version, units and density; a thumbnail (bytes 14+) is removed."""
    payload = segment[4:]
    if len(payload) < 14 or (payload[12] == 0 and payload[13] == 0 and len(payload) == 14):
        return segment
    return b"\xff\xe0" + struct.pack(">H", 16) + payload[:12] + b"\0\0"


def _entropy_end(data: bytes, pos: int) -> int:
    """Index of the marker that ends the entropy-coded data starting at ``pos``."""
    while True:
        i = data.find(b"\xff", pos)
        if i < 0 or i + 1 >= len(data):
            return len(data)  # a file cut short: keep what there is
        following = data[i + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos = i + 1 if following == 0xFF else i + 2
            continue
        return i


def strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise MediaError("not a JPEG")
    out = bytearray(b"\xff\xd8")
    pos, n = 2, len(data)
    while pos < n:
        if data[pos] != 0xFF:
            raise MediaError("JPEG: marker expected")
        while pos < n and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= n:
            break
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            out += b"\xff\xd9"
            return bytes(out)  # whatever follows EOI is not this image
        if marker in _STANDALONE:
            out += bytes((0xFF, marker))
            continue
        if marker in (0x00, _SOI) or pos + 2 > n:
            raise MediaError("JPEG: bad marker")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            raise MediaError("JPEG: bad segment length")
        segment = data[pos - 2 : pos + length]
        pos += length
        if _keep_jpeg_segment(marker, segment[4:]):
            out += _jfif_without_thumbnail(segment) if marker == _APP0 else segment
        if marker == _SOS:
            end = _entropy_end(data, pos)
            out += data[pos:end]
            pos = end
    if pos == 2:
        raise MediaError("JPEG: empty")
    return bytes(out)


# chunks that change how the pixels are shown; all other ancillary chunks go
_PNG_KEEP = frozenset(
    {
        b"tRNS",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"iCCP",
        b"sBIT",
        b"bKGD",
        b"pHYs",
        b"sPLT",
        b"hIST",
        b"cICP",
        b"mDCv",
        b"cLLi",
        b"acTL",
        b"fcTL",
        b"fdAT",
    }
)


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk up to and including IEND."""
    if not data.startswith(_PNG_SIGNATURE):
        raise MediaError("not a PNG")
    chunks: list[tuple[bytes, int, int]] = []
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise MediaError("PNG: truncated chunk")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data) or not kind.isalpha():
            raise MediaError("PNG: bad chunk")
        chunks.append((kind, pos, end))
        pos = end
        if kind == b"IEND":
            return chunks


def strip_png(data: bytes) -> bytes:
    chunks = _png_chunks(data)
    if chunks[0][0] != b"IHDR":
        raise MediaError("PNG: IHDR must come first")
    out = bytearray(_PNG_SIGNATURE)
    for kind, start, end in chunks:
        critical = kind[0:1].isupper()
        if critical or kind in _PNG_KEEP:
            out += data[start:end]
    return bytes(out)


_WEBP_KEEP = frozenset({b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MediaError("not a WebP")
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data) or riff_end < 12:
        raise MediaError("WebP: bad RIFF size")
    kept: list[bytes] = []
    pos = 12
    while pos < riff_end:
        if pos + 8 > riff_end:
            raise MediaError("WebP: truncated chunk")
        fourcc = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if pos + 8 + size > riff_end:
            raise MediaError("WebP: bad chunk size")
        # pad bytes are written as zero: a non-zero pad could smuggle data
        chunk = data[pos : pos + 8 + size] + (b"\0" if size & 1 else b"")
        end = pos + 8 + size + (size & 1)
        if fourcc == b"VP8X" and size >= 10:
            flags = chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        if fourcc in _WEBP_KEEP:
            kept.append(chunk)
        pos = end
    if not kept:
        raise MediaError("WebP: no image")
    body = b"".join(kept)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
