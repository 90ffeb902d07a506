"""What an uploaded file really is, and the camera's notes taken out of photos.

A photo of a hazard can name the reporter more surely than any form field: Exif carries
GPS coordinates, the time to the second, the phone's make, model and serial number, the
owner's name; XMP and IPTC carry editing history and authors; an embedded thumbnail can
show what a crop was meant to hide. So every image is cut down to the segments a decoder
needs, *without re-encoding* (pixels and quality stay exactly as taken, and no imaging
library has to ship in the Lambda zip):

* JPEG: everything between the markers is kept except APPn segments and comments. Kept
  APPn: APP0 ``JFIF`` (its thumbnail removed), APP2 ``ICC_PROFILE`` (colours, rebuilt:
  see below) and APP14 ``Adobe`` (the colour transform CMYK/RGB decoders need; 12
  bytes, no personal data).
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

**ICC profiles are rebuilt, not kept byte for byte** (JPEG APP2, PNG ``iCCP``, WebP
``ICCP``). A profile is a small file of its own that can carry text: description,
copyright, device manufacturer and model (``desc``, ``cprt``, ``dmnd``, ``dmdd``), a
``meta`` dictionary, and header fields naming the creating software, platform, device
and the second it was made. Dropping profiles would be simpler but shifts the colours of
every wide-gamut phone photo (Display P3), and evidence should look as taken. So the
same principle applies inside the profile: a keep-list of *colorimetric* tags (white
and black points, primaries, tone curves, chromatic adaptation, chromaticities, LUTs,
``cicp``), each only of its expected tag type; the header keeps only what colour
management reads (version, class, colour spaces, rendering intent, illuminant) and
everything else is zeroed; ``desc`` and ``cprt`` (required by the ICC specification)
are written anew with fixed text. A profile that does not parse is dropped (the image
shows in sRGB), never kept as received. PNG's profile name is replaced by a fixed one.

Every image must also be structurally whole (``MediaError`` otherwise): JPEG needs SOI,
a frame (SOFn) before the first scan (SOS) and EOI, with consistent segment lengths;
PNG its signature, IHDR first, at least one IDAT and IEND; WebP a consistent RIFF size
and an image chunk. ``check_structure`` checks the types that are not rewritten: an
ISO base-media video must be a sequence of well-sized boxes (``ftyp`` first when it
has one), a PDF needs its ``%PDF-`` header and ``%%EOF`` near the end.

**Not stripped**: videos (MP4/QuickTime) and PDFs are sealed as received. Their metadata
(a phone video's ``udta``/``meta`` location, a PDF's author) cannot be removed safely
without rewriting the container; officers must treat them as possibly identifying, and
the upload page should say so. HEIF/HEIC is recognised but refused for the same reason
(browsers on iPhones convert photos to JPEG for upload).
"""

from __future__ import annotations

import struct
import zlib

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
    if data.startswith(b"\xff\xd8\xff") and len(data) > 3 and 0xC0 <= data[3] <= 0xFE:
        return JPEG  # SOI, then a marker (not a fill byte, not 0x00)
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


# ---- structure of the types that are not rewritten ----------------------------------------

_ISO_MAX_BOXES = 100_000
_PDF_TAIL = 1024  # readers look for %%EOF within the last kilobyte


def check_structure(data: bytes, media_type: str) -> None:
    """Raise ``MediaError`` unless ``data`` is structurally a file of ``media_type``.

    For the types ``strip_metadata`` rewrites, the stripping parser checks as it goes;
    this checks videos and PDFs, which are stored as received.
    """
    if media_type in (MP4, QUICKTIME):
        _check_iso_boxes(data, media_type)
    elif media_type == PDF:
        _check_pdf(data)


def _check_iso_boxes(data: bytes, media_type: str) -> None:
    """Top-level ISO base-media boxes tile the file exactly; ``ftyp`` first and plausible."""
    pos, n = 0, len(data)
    kinds: list[bytes] = []
    while pos < n:
        if pos + 8 > n or len(kinds) >= _ISO_MAX_BOXES:
            raise MediaError("ISO media: truncated box header")
        size, kind, header = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8], 8
        if size == 1:  # a 64-bit size follows
            if pos + 16 > n:
                raise MediaError("ISO media: truncated box header")
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:  # the last box runs to the end of the file
            size = n - pos
        if size < header or pos + size > n or not all(0x20 <= b <= 0x7E for b in kind):
            raise MediaError("ISO media: bad box")
        if kind == b"ftyp" and (pos != 0 or size < 16 or (size - 16) % 4):
            raise MediaError("ISO media: bad ftyp box")
        kinds.append(kind)
        pos += size
    if not kinds:
        raise MediaError("ISO media: empty")
    if kinds[0] != b"ftyp" and (media_type == MP4 or kinds[0] not in _QUICKTIME_ATOMS):
        raise MediaError("ISO media: ftyp box expected first")


def _check_pdf(data: bytes) -> None:
    head = data[:8]
    if not (
        head[:5] == b"%PDF-" and head[5:6].isdigit() and head[6:7] == b"." and head[7:8].isdigit()
    ):
        raise MediaError("PDF: bad header")
    if b"%%EOF" not in data[-_PDF_TAIL:]:
        raise MediaError("PDF: no %%EOF at the end (truncated)")


# ---- ICC profiles ---------------------------------------------------------------------------

_ICC_HEADER = 128
_ICC_MAX_TAGS = 200
ICC_MAX_BYTES = 4 * 1024 * 1024  # the largest LUT profiles are well under this
_XYZ, _CURVES, _LUTS = (b"XYZ ",), (b"curv", b"para"), (b"mft1", b"mft2", b"mAB ", b"mBA ")
# colorimetric tags -> the tag types they may have; everything else is dropped
_ICC_KEEP: dict[bytes, tuple[bytes, ...]] = {
    **dict.fromkeys((b"wtpt", b"bkpt", b"rXYZ", b"gXYZ", b"bXYZ", b"lumi"), _XYZ),
    **dict.fromkeys((b"rTRC", b"gTRC", b"bTRC", b"kTRC"), _CURVES),
    **dict.fromkeys((b"A2B0", b"A2B1", b"A2B2", b"B2A0", b"B2A1", b"B2A2", b"gamt"), _LUTS),
    b"chad": (b"sf32",),
    b"chrm": (b"chrm",),
    b"cicp": (b"cicp",),
}
_ICC_DESCRIPTION = "Colour profile"
_ICC_COPYRIGHT = "No copyright"


def _icc_text(text: str, version: int) -> bytes:
    """A fixed text tag in the type the profile's version expects (ICC.1 v2 or v4)."""
    if version >= 4:  # multiLocalizedUnicodeType, one record, en-US
        utf16 = text.encode("utf-16-be")
        return (
            b"mluc\0\0\0\0" + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28) + utf16
        )
    ascii_text = text.encode("ascii") + b"\0"  # v2 textDescriptionType, ASCII only
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + bytes(4 + 4 + 2 + 1 + 67)
    )


def _icc_plain_text(text: str, version: int) -> bytes:
    if version >= 4:
        return _icc_text(text, version)
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"  # v2 textType


def clean_icc(profile: bytes) -> bytes | None:
    """The colour-relevant part of an ICC profile, rebuilt; None if it does not parse.

    Deterministic, so cleaning a cleaned profile changes nothing.
    """
    n = len(profile)
    if n < _ICC_HEADER + 4 or n > ICC_MAX_BYTES or profile[36:40] != b"acsp":
        return None
    declared = int.from_bytes(profile[0:4], "big")
    count = int.from_bytes(profile[128:132], "big")
    table_end = _ICC_HEADER + 4 + 12 * count
    if declared > n or count > _ICC_MAX_TAGS or table_end > declared:
        return None
    version = profile[8]
    kept: list[tuple[bytes, int, int]] = []
    for i in range(count):
        entry = profile[132 + 12 * i : 144 + 12 * i]
        sig = entry[:4]
        offset, size = int.from_bytes(entry[4:8], "big"), int.from_bytes(entry[8:12], "big")
        if offset < table_end or size < 8 or offset + size > declared:
            return None
        if profile[offset : offset + 4] in _ICC_KEEP.get(sig, ()) and sig not in {
            k for k, *_ in kept
        }:
            kept.append((sig, offset, size))
    if not kept:
        return None
    tags: list[tuple[bytes, bytes | tuple[int, int]]] = [
        (b"desc", _icc_text(_ICC_DESCRIPTION, version)),
        (b"cprt", _icc_plain_text(_ICC_COPYRIGHT, version)),
        *((sig, (offset, size)) for sig, offset, size in kept),
    ]
    table_end = _ICC_HEADER + 4 + 12 * len(tags)
    table, body, placed = bytearray(), bytearray(), {}
    for sig, content in tags:
        if content not in placed:  # tags that shared data in the original still share it
            data = content if isinstance(content, bytes) else profile[content[0] : sum(content)]
            body += b"\0" * (-len(body) % 4)
            placed[content] = (table_end + len(body), len(data))
            body += data
        table += sig + struct.pack(">II", *placed[content])
    body += b"\0" * (-len(body) % 4)
    header = bytearray(_ICC_HEADER)
    header[8:24] = profile[8:24]  # version, device class, colour space, PCS
    header[36:40] = b"acsp"
    header[46:48] = profile[46:48]  # the defined flags (embedded, use with embedded only)
    header[64:80] = profile[64:80]  # rendering intent, PCS illuminant
    # zeroed: preferred CMM, date and time, platform, vendor flags, device manufacturer,
    # model and attributes, creator, profile ID (zero means "not computed")
    out = header + struct.pack(">I", len(tags)) + table + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


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
    """Whether a segment other than an ICC profile's (rebuilt by ``strip_jpeg``) is kept:
    the JFIF and Adobe headers, and everything that is not APPn or a comment."""
    if marker == _APP0:
        return payload.startswith(b"JFIF\0")
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
            return len(data)  # a file cut short: the caller finds no EOI
        following = data[i + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos = i + 1 if following == 0xFF else i + 2
            continue
        return i


_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_ICC_TAG = b"ICC_PROFILE\0"
_ICC_CHUNK = 65535 - 2 - len(_ICC_TAG) - 2  # profile bytes per APP2 segment


def _check_jpeg_segment(marker: int, payload: bytes, seen_frame: bool) -> None:
    """A frame header and a scan header must have the length their counts imply."""
    if marker in _SOF:
        components = payload[5] if len(payload) > 5 else 0
        width = int.from_bytes(payload[3:5], "big")
        if components == 0 or width == 0 or len(payload) != 6 + 3 * components:
            raise MediaError("JPEG: bad frame header")
    elif marker == _SOS:
        components = payload[0] if payload else 0
        if not seen_frame or not 1 <= components <= 4 or len(payload) != 4 + 2 * components:
            raise MediaError("JPEG: bad scan header")


def _jpeg_icc_segments(chunks: list[bytes]) -> bytes:
    """APP2 segments carrying the cleaned profile reassembled from ``chunks``; b"" if none.

    Each chunk is ``seq, count, data``: all of 1..count must be there exactly once.
    """
    parts: dict[int, bytes] = {}
    counts = {chunk[1] for chunk in chunks if len(chunk) >= 2}
    for chunk in chunks:
        if len(chunk) >= 2:
            parts.setdefault(chunk[0], chunk[2:])
    if (
        len(counts) != 1
        or sorted(parts) != list(range(1, counts.pop() + 1))
        or len(parts) != len(chunks)
    ):
        return b""
    profile = clean_icc(b"".join(parts[i] for i in sorted(parts)))
    if profile is None:
        return b""
    pieces = [profile[i : i + _ICC_CHUNK] for i in range(0, len(profile), _ICC_CHUNK)]
    return b"".join(
        b"\xff\xe2"
        + struct.pack(">H", 2 + len(_ICC_TAG) + 2 + len(piece))
        + _ICC_TAG
        + bytes((index, len(pieces)))
        + piece
        for index, piece in enumerate(pieces, 1)
    )


def strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise MediaError("not a JPEG")
    out: list[bytes] = [b"\xff\xd8"]
    icc_chunks: list[bytes] = []
    icc_at: int | None = None  # where the (rebuilt) profile goes: the first ICC segment
    pos, n = 2, len(data)
    seen_frame = seen_scan = False
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
            if not seen_scan:
                raise MediaError("JPEG: no image data")
            out.append(b"\xff\xd9")
            if icc_at is not None:
                out[icc_at] = _jpeg_icc_segments(icc_chunks)
            return b"".join(out)  # whatever follows EOI is not this image
        if marker in _STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if marker in (0x00, _SOI) or pos + 2 > n:
            raise MediaError("JPEG: bad marker")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            raise MediaError("JPEG: bad segment length")
        segment = data[pos - 2 : pos + length]
        pos += length
        _check_jpeg_segment(marker, segment[4:], seen_frame)
        seen_frame = seen_frame or marker in _SOF
        if marker == _APP2 and segment[4:].startswith(_ICC_TAG):
            icc_chunks.append(segment[4 + len(_ICC_TAG) :])
            if icc_at is None:
                icc_at = len(out)
                out.append(b"")
        elif _keep_jpeg_segment(marker, segment[4:]):
            out.append(_jfif_without_thumbnail(segment) if marker == _APP0 else segment)
        if marker == _SOS:
            seen_scan = True
            end = _entropy_end(data, pos)
            out.append(data[pos:end])
            pos = end
    raise MediaError("JPEG: no end of image (truncated)")


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


_ICCP_NAME = b"ICC profile"


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _clean_iccp(chunk: bytes) -> bytes:
    """An ``iCCP`` chunk with a fixed name and the cleaned profile; b"" to drop it."""
    payload = chunk[8:-4]
    name_end = payload.find(b"\0")
    if not 1 <= name_end <= 79 or payload[name_end + 1 : name_end + 2] != b"\0":
        return b""
    inflate = zlib.decompressobj()
    try:
        profile = inflate.decompress(payload[name_end + 2 :], ICC_MAX_BYTES + 1)
    except zlib.error:
        return b""
    if not inflate.eof or len(profile) > ICC_MAX_BYTES:  # cut short, or a zip bomb
        return b""
    cleaned = clean_icc(profile)
    if cleaned is None:
        return b""
    return _png_chunk(b"iCCP", _ICCP_NAME + b"\0\0" + zlib.compress(cleaned, 9))


def strip_png(data: bytes) -> bytes:
    chunks = _png_chunks(data)
    first, first_start, first_end = chunks[0]
    ihdr = data[first_start + 8 : first_end - 4]
    if (
        first != b"IHDR"
        or len(ihdr) != 13
        or not ihdr[0:4].strip(b"\0")
        or not ihdr[4:8].strip(b"\0")
    ):
        raise MediaError("PNG: IHDR must come first, with a size")
    if not any(kind == b"IDAT" for kind, _, _ in chunks) or chunks[-1][2] - chunks[-1][1] != 12:
        raise MediaError("PNG: no image data, or a bad IEND")
    out = bytearray(_PNG_SIGNATURE)
    for kind, start, end in chunks:
        critical = kind[0:1].isupper()
        if kind == b"iCCP":
            out += _clean_iccp(data[start:end])
        elif critical or kind in _PNG_KEEP:
            out += data[start:end]
    return bytes(out)


_WEBP_KEEP = frozenset({b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


_VP8X_ICC = 0x20
_WEBP_IMAGE = frozenset({b"VP8 ", b"VP8L", b"ANMF"})


def _webp_frame_ok(fourcc: bytes, payload: bytes) -> bool:
    """The bitstream starts as its format says: a VP8 key frame's start code, VP8L's 0x2F."""
    if fourcc == b"VP8 ":
        return len(payload) >= 10 and payload[3:6] == b"\x9d\x01\x2a"
    if fourcc == b"VP8L":
        return len(payload) >= 5 and payload[0] == 0x2F
    return len(payload) >= 16  # ANMF: a frame header, then its own image chunks


def strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MediaError("not a WebP")
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data) or riff_end < 12:
        raise MediaError("WebP: bad RIFF size")
    kept: list[bytes] = []
    has_image = False
    pos = 12
    while pos < riff_end:
        if pos + 8 > riff_end:
            raise MediaError("WebP: truncated chunk")
        fourcc = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if pos + 8 + size > riff_end:
            raise MediaError("WebP: bad chunk size")
        if pos == 12 and fourcc not in (b"VP8X", b"VP8 ", b"VP8L"):
            raise MediaError("WebP: the first chunk must be VP8X, VP8 or VP8L")
        # pad bytes are written as zero: a non-zero pad could smuggle data
        chunk = data[pos : pos + 8 + size] + (b"\0" if size & 1 else b"")
        end = pos + 8 + size + (size & 1)
        if fourcc in _WEBP_IMAGE:
            if not _webp_frame_ok(fourcc, chunk[8 : 8 + size]):
                raise MediaError("WebP: bad image chunk")
            has_image = True
        if fourcc == b"ICCP":
            profile = clean_icc(chunk[8 : 8 + size])
            chunk = b"" if profile is None else _riff_chunk(b"ICCP", profile)
        if fourcc in _WEBP_KEEP and chunk:
            kept.append(chunk)
        pos = end
    if not has_image:
        raise MediaError("WebP: no image")
    if kept[0][:4] == b"VP8X" and len(kept[0]) >= 18:  # flags say what is really there
        flags = kept[0][8] & ~(_VP8X_EXIF | _VP8X_XMP | _VP8X_ICC) & 0xFF
        if any(chunk[:4] == b"ICCP" for chunk in kept):
            flags |= _VP8X_ICC
        kept[0] = kept[0][:8] + bytes((flags,)) + kept[0][9:]
    body = b"".join(kept)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) & 1 else b"")
