"""Sniffing and metadata removal (chalicelib.media), checked with images Pillow makes.

The property tests build a clean image, insert metadata of every kind at random places
(and junk after the end), and require that stripping gives back exactly the clean
image: metadata gone, every other byte preserved, and stripping twice changes nothing.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from chalicelib import media

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GPS_IFD = 0x8825
MAKE, MODEL, ARTIST = 0x010F, 0x0110, 0x013B


def _exif(marker: str) -> Image.Exif:
    """Real Exif with device tags and a GPS position (31°52'N 117°17'E, Hefei)."""
    exif = Image.Exif()
    exif[MAKE] = f"Make{marker}"
    exif[MODEL] = f"Model{marker}"
    exif[ARTIST] = f"Artist{marker}"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (31.0, 52.0, 12.5)
    gps[3] = "E"
    gps[4] = (117.0, 17.0, 3.25)
    return exif


def _image(mode: str = "RGB", size: tuple[int, int] = (40, 30), seed: int = 7) -> Image.Image:
    img = Image.new(mode, size)
    img.putdata(
        [
            ((x * seed) % 256, (x * 3) % 256, (x * 5 + seed) % 256, 200)[: len(mode)]
            if len(mode) > 1
            else (x * seed) % 256
            for x in range(size[0] * size[1])
        ]
    )
    return img


def _save(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


# ---- real photos with GPS -----------------------------------------------------------------

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def same_colours(profile: bytes, reference: bytes) -> bool:
    """Whether two ICC profiles map the same pixels to the same Lab values (via lcms)."""
    img = Image.new("RGB", (16, 16))
    img.putdata([(x * 13 % 256, x * 7 % 256, x * 3 % 256) for x in range(256)])
    lab = ImageCms.createProfile("LAB")
    results = [
        ImageCms.applyTransform(
            img, ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(p)), lab, "RGB", "LAB")
        )
        for p in (profile, reference)
    ]
    return (
        results[0] is not None
        and results[1] is not None
        and (results[0].tobytes() == results[1].tobytes())
    )


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("JPEG", {"quality": 90, "comment": b"COMMENTmk1", "icc_profile": SRGB_ICC}),
        ("JPEG", {"progressive": True}),
        ("PNG", {}),
        ("WEBP", {"lossless": True, "xmp": b"<x:xmpmeta>XMPmk1</x:xmpmeta>"}),
        ("WEBP", {"quality": 80, "icc_profile": SRGB_ICC}),
    ],
)
def test_photo_loses_exif_and_gps_but_keeps_its_pixels(
    fmt: str, options: dict[str, object]
) -> None:
    original = _save(_image(), fmt, exif=_exif("mk1"), **options)
    before = _open(original)
    assert before.getexif().get_ifd(GPS_IFD)  # the test image really has a position
    assert b"Makemk1" in original

    kind = media.sniff(original)
    assert kind == {"JPEG": media.JPEG, "PNG": media.PNG, "WEBP": media.WEBP}[fmt]
    stripped = media.strip_metadata(original, kind)

    after = _open(stripped)
    assert after.format == fmt
    assert dict(after.getexif()) == {}
    assert "exif" not in after.info and "xmp" not in after.info and "comment" not in after.info
    assert after.tobytes() == before.tobytes()  # same pixels: nothing was re-encoded
    for leaked in (b"Makemk1", b"Modelmk1", b"Artistmk1", b"XMPmk1", b"COMMENTmk1", b"Exif\0\0"):
        assert leaked not in stripped
    if "icc_profile" in options:  # colours are not metadata: the profile is rebuilt, not lost
        assert after.info.get("icc_profile") == media.clean_icc(SRGB_ICC)
        assert same_colours(after.info["icc_profile"], SRGB_ICC)
    assert media.strip_metadata(stripped, kind) == stripped


def test_png_text_chunks_and_time_are_removed() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "AuthorMK2")
    info.add_text("Comment", "ZippedMK2" * 20, zip=True)
    info.add_itxt("Description", "国际MK2", lang="zh", tkey="描述")
    original = _save(_image(), "PNG", pnginfo=info, exif=_exif("mk2"), dpi=(300, 300))
    stripped = media.strip_png(original)
    after = _open(stripped)
    assert isinstance(after, PngImagePlugin.PngImageFile)
    assert after.text == {}
    assert not {"Author", "Comment", "Description"} & set(after.info)
    assert round(after.info["dpi"][0]) == 300  # pHYs is kept: it changes printing size
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
        assert chunk in original and chunk not in stripped


def test_jpeg_thumbnail_in_jfif_header_is_removed() -> None:
    clean = _save(_image(), "JPEG")
    assert clean[2:4] == b"\xff\xe0"
    app0_len = int.from_bytes(clean[4:6], "big")
    thumbnail = bytes(range(6))  # a 2x1 RGB thumbnail
    header = clean[6 : 6 + 12] + b"\x02\x01" + thumbnail
    with_thumb = clean[:2] + b"\xff\xe0" + struct.pack(">H", 2 + len(header)) + header
    with_thumb += clean[4 + app0_len :]
    stripped = media.strip_jpeg(with_thumb)
    assert stripped == clean
    assert _open(stripped).size == (40, 30)


def _with_app0(clean: bytes, header: bytes) -> bytes:
    app0_len = int.from_bytes(clean[4:6], "big")
    return clean[:2] + _segment(0xE0, header) + clean[4 + app0_len :]


@pytest.mark.parametrize(
    "thumb",
    [
        b"\x00\x01",  # claims a 0x1 thumbnail, carries none
        b"\x01\x00",  # claims a 1x0 thumbnail, carries none
        b"\x00\x00\x99\x98\x97",  # no thumbnail, but bytes after the header
        b"\x00\x00\x99",
        b"\x01\x01\x10\x20\x30",  # a 1x1 thumbnail
    ],
)
def test_jfif_header_is_always_rewritten_without_a_thumbnail(thumb: bytes) -> None:
    """Whatever the thumbnail fields say, the kept header is the 14 bytes with 0x0."""
    clean = _save(_image(), "JPEG")
    header = clean[6 : 6 + 12]
    assert header.startswith(b"JFIF\0") and clean[6 + 12 : 6 + 14] == b"\0\0"
    stripped = media.strip_jpeg(_with_app0(clean, header + thumb))
    assert stripped == clean
    assert media.strip_jpeg(clean) == clean  # a header without a thumbnail is kept as it is


def test_a_short_jfif_header_is_kept_as_it_is() -> None:
    clean = _save(_image(), "JPEG")
    for size in (5, 12, 13):
        short = clean[6 : 6 + size]
        stripped = media.strip_jpeg(_with_app0(clean, short))
        assert stripped == _with_app0(clean, short)


def test_jpeg_multi_picture_trailer_with_its_own_exif_is_dropped() -> None:
    first = _save(_image(seed=3), "JPEG")
    second = _save(_image(seed=5), "JPEG", exif=_exif("trailer"))
    stripped = media.strip_jpeg(first + second)
    assert stripped == first
    assert b"Maketrailer" not in stripped


def test_webp_vp8x_flags_and_riff_size_are_fixed() -> None:
    original = _save(_image("RGBA"), "WEBP", exif=_exif("mk3"), xmp=b"<x/>")
    flags = original[20]
    assert flags & 0x08 and flags & 0x04  # EXIF and XMP flags set by Pillow
    stripped = media.strip_webp(original)
    assert stripped[12:16] == b"VP8X" and stripped[20] & 0x0C == 0
    assert int.from_bytes(stripped[4:8], "little") == len(stripped) - 8
    assert _open(stripped).mode == "RGBA"


def test_videos_and_pdfs_pass_through_unchanged() -> None:
    mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0\0\0\x08mdat"
    mov = b"\0\0\0\x14ftypqt  \0\0\0\0qt  " + b"\0\0\0\x08mdat"
    pdf = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<</Author(Somebody)>>endobj\n%%EOF"
    for data, kind in ((mp4, media.MP4), (mov, media.QUICKTIME), (pdf, media.PDF)):
        assert media.sniff(data) == kind
        assert media.strip_metadata(data, kind) == data


# ---- sniffing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0\0\x10JFIF", media.JPEG),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", media.PNG),
        (b"RIFF\x10\0\0\0WEBPVP8 ", media.WEBP),
        (b"%PDF-1.4\n", media.PDF),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", media.HEIC),
        (b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic", media.HEIC),
        (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", media.AVIF),
        (b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41", media.MP4),
        (b"\0\0\0\x14ftypqt  \0\0\0\0qt  ", media.QUICKTIME),
        (b"\0\0\0\x08wide\0\0\0\x08mdat", media.QUICKTIME),
        (b"\0\0\0\x18ftypM4A \0\0\0\0M4A mp42", None),
        (b"GIF89a\x01\0\x01\0", None),
        (b"<html><script>", None),
        (b"", None),
    ],
)
def test_sniff(data: bytes, expected: str | None) -> None:
    assert media.sniff(data) == expected


@pytest.mark.parametrize(
    ("declared", "sniffed", "ok"),
    [
        ("image/jpeg", media.JPEG, True),
        ("IMAGE/JPG; charset=binary", media.JPEG, True),
        ("image/png", media.JPEG, False),
        ("video/quicktime", media.MP4, True),
        ("video/mp4", media.QUICKTIME, True),
        ("application/pdf", media.JPEG, False),
        ("image/heif", media.HEIC, True),
    ],
)
def test_declared_type_must_match(declared: str, sniffed: str, ok: bool) -> None:
    assert media.compatible(declared, sniffed) is ok


# ---- properties ---------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> list[int]:
    """Offsets where a header segment starts, up to and including SOS (test-side parser)."""
    offsets, pos = [], 2
    while True:
        offsets.append(pos)
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            return offsets
        pos += 2 + length


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


REAL_EXIF = st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=12).map(
    lambda marker: _exif(marker).tobytes()  # b"Exif\0\0" + TIFF with a GPS IFD
)
JPEG_METADATA = st.one_of(
    REAL_EXIF.map(lambda exif: _segment(0xE1, exif)),
    st.binary(max_size=300).map(lambda b: _segment(0xE1, b"Exif\0\0" + b)),
    st.binary(max_size=300).map(lambda b: _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + b)),
    st.binary(max_size=200).map(lambda b: _segment(0xE2, b"MPF\0" + b)),
    st.binary(max_size=200).map(lambda b: _segment(0xED, b"Photoshop 3.0\0" + b)),
    st.sampled_from([0xE3, 0xE5, 0xEC, 0xEF, 0xFE]).flatmap(
        lambda m: st.binary(max_size=100).map(lambda b: _segment(m, b))
    ),
    st.binary(max_size=50).map(lambda b: _segment(0xE0, b"JFXX\0\x10" + b)),
)


@st.composite
def clean_jpeg(draw: st.DrawFn) -> bytes:
    img = _image(
        draw(st.sampled_from(["RGB", "L", "CMYK"])),
        (draw(st.integers(1, 48)), draw(st.integers(1, 48))),
        draw(st.integers(1, 250)),
    )
    return _save(
        img,
        "JPEG",
        quality=draw(st.integers(5, 100)),
        progressive=draw(st.booleans()),
        optimize=draw(st.booleans()),
        restart_marker_blocks=draw(st.sampled_from([0, 1, 4])),
    )


@PROPERTY
@given(
    clean_jpeg(),
    st.lists(st.tuples(st.integers(0, 50), JPEG_METADATA), max_size=6),
    st.binary(max_size=200),
)
def test_jpeg_stripping_removes_exactly_the_metadata(
    clean: bytes, insertions: list[tuple[int, bytes]], trailer: bytes
) -> None:
    assert media.strip_jpeg(clean) == clean  # a clean file is kept byte for byte
    dirty = clean
    for where, segment in insertions:
        offsets = _jpeg_segments(dirty)
        at = offsets[where % len(offsets)]
        dirty = dirty[:at] + segment + dirty[at:]
    dirty += trailer
    stripped = media.strip_jpeg(dirty)
    assert stripped == clean
    assert media.strip_jpeg(stripped) == stripped
    assert _open(stripped).tobytes() == _open(clean).tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_METADATA = st.one_of(
    REAL_EXIF.map(lambda exif: _chunk(b"eXIf", exif[6:])),
    st.tuples(
        st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"caBX", b"prVW"]),
        st.binary(max_size=200),
    ).map(lambda t: _chunk(*t)),
)


@st.composite
def clean_png(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(["RGB", "RGBA", "L", "P", "1"]))
    img = _image(
        mode if mode != "P" else "L",
        (draw(st.integers(1, 40)), draw(st.integers(1, 40))),
        draw(st.integers(1, 250)),
    )
    if mode == "P":
        img = img.convert("P")
    options: dict[str, object] = {}
    if draw(st.booleans()):
        options["dpi"] = (72, 72)
    if draw(st.booleans()):
        options["icc_profile"] = SRGB_ICC
    return _save(img, "PNG", **options)


def _png_chunk_offsets(data: bytes) -> list[int]:
    offsets, pos = [], 8
    while pos < len(data):
        offsets.append(pos)
        pos += 12 + int.from_bytes(data[pos : pos + 4], "big")
    return offsets


@PROPERTY
@given(
    clean_png(),
    st.lists(st.tuples(st.integers(1, 50), PNG_METADATA), max_size=6),
    st.binary(max_size=100),
)
def test_png_stripping_removes_exactly_the_metadata(
    clean: bytes, insertions: list[tuple[int, bytes]], trailer: bytes
) -> None:
    expected = media.strip_png(clean)  # a profile is rebuilt; everything else kept
    assert expected == clean or b"iCCP" in clean
    dirty = clean
    for where, chunk in insertions:
        offsets = _png_chunk_offsets(dirty)[1:]  # after IHDR, up to IEND
        at = offsets[where % len(offsets)]
        dirty = dirty[:at] + chunk + dirty[at:]
    stripped = media.strip_png(dirty + trailer)
    assert stripped == expected
    assert media.strip_png(stripped) == stripped
    assert _open(stripped).tobytes() == _open(clean).tobytes()


def _riff_chunk(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


@st.composite
def clean_webp(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(["RGB", "RGBA"]))
    img = _image(
        mode, (draw(st.integers(1, 40)), draw(st.integers(1, 40))), draw(st.integers(1, 250))
    )
    options: dict[str, object] = {"lossless": draw(st.booleans())}
    if draw(st.booleans()):
        options["icc_profile"] = SRGB_ICC
    return _save(img, "WEBP", **options)


@PROPERTY
@given(
    clean_webp(),
    st.lists(
        st.tuples(st.sampled_from([b"EXIF", b"XMP ", b"JUNK"]), st.binary(max_size=120)), max_size=4
    ),
    st.binary(max_size=50),
)
def test_webp_stripping_removes_exactly_the_metadata(
    clean: bytes, chunks: list[tuple[bytes, bytes]], trailer: bytes
) -> None:
    expected = media.strip_webp(clean)  # a profile is rebuilt; everything else kept
    assert expected == clean or b"ICCP" in clean
    body = clean[12:] + b"".join(_riff_chunk(f, d) for f, d in chunks)
    body += _riff_chunk(b"EXIF", _exif("webp").tobytes()[6:])
    if body[:4] == b"VP8X":  # announce the metadata as a camera would
        body = body[:8] + bytes((body[8] | 0x0C,)) + body[9:]
    dirty = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body + trailer
    stripped = media.strip_webp(dirty)
    assert stripped == expected
    assert media.strip_webp(stripped) == stripped
    assert _open(stripped).tobytes() == _open(clean).tobytes()


@PROPERTY
@given(st.binary(max_size=400), st.sampled_from([media.JPEG, media.PNG, media.WEBP]))
def test_garbage_is_refused_with_media_error_only(data: bytes, kind: str) -> None:
    assert media.sniff(data) in (
        None,
        *media.STRIPPED,
        media.PDF,
        media.MP4,
        media.QUICKTIME,
        media.HEIC,
        media.AVIF,
    )
    prefix = {
        media.JPEG: b"\xff\xd8",
        media.PNG: b"\x89PNG\r\n\x1a\n",
        media.WEBP: b"RIFF" + struct.pack("<I", len(data) + 4) + b"WEBP",
    }[kind]
    try:
        out = media.strip_metadata(prefix + data, kind)
    except media.MediaError:
        return
    assert media.strip_metadata(out, kind) == out


@pytest.mark.parametrize(
    ("declared", "sniffed"),
    [("image/jpeg", media.MP4), ("video/mp4", media.JPEG), ("application/pdf", media.QUICKTIME)],
)
def test_only_videos_stand_in_for_each_other(declared: str, sniffed: str) -> None:
    assert media.compatible(declared, sniffed) is False


def test_every_parameter_of_a_declared_type_is_dropped() -> None:
    assert media.normalise(" Image/JPG ; name=a.jpg; charset=binary") == "image/jpeg"


@pytest.mark.parametrize("marker", [0xC0, 0xC4, 0xDB, 0xDD, 0xF0, 0xFD])
def test_jpeg_segments_that_are_not_metadata_are_kept(marker: int) -> None:
    """Only APPn (E0-EF) and comments (FE) can carry metadata; frame, tables, restart
    intervals and the JPEG extensions (F0-FD) are image data."""
    assert media._keep_jpeg_segment(marker, b"\x00" * 8)


@pytest.mark.parametrize("marker", [*range(0xE1, 0xEE), 0xEF, 0xFE])
def test_app_segments_and_comments_are_dropped(marker: int) -> None:
    assert not media._keep_jpeg_segment(marker, b"Exif\x00\x00")
