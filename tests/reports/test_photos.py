"""sanitize_image: only pixels leave; refused files name the problem, the field and the fix."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Callable

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from reports.capture.photos import PhotoLimits, SanitizedImage, sanitize_image
from reports.errors import CaptureError

FIELD = "photos[2].file"
SECRET = "Jean Dupont 06 12 34 56 78"
PARIS_GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (2.0, 21.0, 3.0),
}
RED, BLUE = (220, 20, 20), (20, 20, 220)
# Chunks a PNG made of pixels alone may contain.
PIXEL_PNG_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


def encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


def decode(result: SanitizedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.content))
    image.load()
    return image


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def phone_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "QuitusPhone"
    exif[ExifTags.Base.Artist] = SECRET
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.GPSInfo] = PARIS_GPS
    return exif


def phone_jpeg() -> bytes:
    """A JPEG carrying everything a phone or an editor may add."""
    return encode(
        Image.new("RGB", (64, 48), RED),
        "JPEG",
        exif=phone_exif(),
        xmp=f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{SECRET}</x:xmpmeta>'.encode(),
        icc_profile=srgb_icc(),
        comment=SECRET.encode(),
    )


def halves(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_chunk_types(data: bytes) -> set[bytes]:
    kinds, offset = set(), 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kinds.add(data[offset + 4 : offset + 8])
        offset += 12 + length
    return kinds


def jpeg_markers(data: bytes) -> set[int]:
    """Markers of the segments before the image data (APPn, COM, DQT, SOF…)."""
    markers, offset = set(), 2
    while data[offset + 1] != 0xDA:  # start of scan: entropy-coded data follows
        markers.add(data[offset + 1])
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + length
    return markers


def blank_bilevel_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of any size; all-zero rows compress to almost nothing."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = bytes(1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def is_red(pixel: object) -> bool:
    assert isinstance(pixel, tuple)
    return bool(pixel[0] > 150 and pixel[2] < 100)


def is_blue(pixel: object) -> bool:
    assert isinstance(pixel, tuple)
    return bool(pixel[2] > 150 and pixel[0] < 100)


# --- metadata --------------------------------------------------------------------------


def test_jpeg_from_a_phone_leaves_without_exif_gps_xmp_icc_or_comment() -> None:
    data = phone_jpeg()
    original = Image.open(io.BytesIO(data))
    exif_bytes = original.info["exif"]
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test input does carry GPS
    assert SECRET.encode() in data

    result = sanitize_image(data, path=FIELD)

    assert result.media_type == "image/jpeg"
    out = decode(result)
    assert out.format == "JPEG"
    assert len(out.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment"} & out.info.keys()
    for leaked in (b"GPS", b"Exif\x00\x00", exif_bytes, b"QuitusPhone", SECRET.encode(), b"ICC_PROFILE"):
        assert leaked not in result.content
    app0_jfif = 0xE0
    assert {m for m in jpeg_markers(result.content) if 0xE0 <= m <= 0xEF or m == 0xFE} == {app0_jfif}


def test_png_text_exif_and_icc_chunks_are_removed() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", SECRET)
    text.add_text("Comment", SECRET, zip=True)
    text.add_itxt("Description", SECRET, lang="fr")
    data = encode(
        Image.new("RGB", (16, 16), RED), "PNG", pnginfo=text, exif=phone_exif(), icc_profile=srgb_icc()
    )
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= png_chunk_types(data)

    result = sanitize_image(data, path=FIELD)

    assert png_chunk_types(result.content) <= PIXEL_PNG_CHUNKS
    assert SECRET.encode() not in result.content
    out = decode(result)
    assert len(out.getexif()) == 0
    assert not {"Author", "Comment", "Description", "exif", "icc_profile"} & out.info.keys()


def test_mpo_from_a_phone_keeps_the_first_frame_only_as_plain_jpeg() -> None:
    main, depth = Image.new("RGB", (32, 24), RED), Image.new("RGB", (16, 12), BLUE)
    data = encode(main, "MPO", save_all=True, append_images=[depth], exif=phone_exif())
    assert Image.open(io.BytesIO(data)).format == "MPO"

    result = sanitize_image(data, path=FIELD)

    out = decode(result)
    assert (result.media_type, out.format, out.size) == ("image/jpeg", "JPEG", (32, 24))
    assert is_red(out.getpixel((16, 12)))
    assert b"MPF" not in result.content
    assert len(out.getexif()) == 0


# --- orientation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "size", "start_is_red"),
    [
        (1, (40, 20), True),
        (3, (40, 20), False),  # upside down
        (6, (20, 40), True),  # phone held upright: the left edge becomes the top
        (8, (20, 40), False),
    ],
)
def test_exif_orientation_is_applied_before_exif_is_dropped(
    orientation: int, size: tuple[int, int], start_is_red: bool
) -> None:
    data = encode(halves((40, 20)), "JPEG", exif=phone_exif(orientation), quality=95)

    result = sanitize_image(data, path=FIELD)

    out = decode(result).convert("RGB")
    assert out.size == (result.width, result.height) == size
    portrait = size[1] > size[0]
    start = out.getpixel((10, 5) if portrait else (5, 10))
    end = out.getpixel((10, 35) if portrait else (35, 10))
    assert (is_red(start), is_blue(end)) == (start_is_red, start_is_red)
    assert (is_blue(start), is_red(end)) == (not start_is_red, not start_is_red)
    assert len(out.getexif()) == 0


# --- modes -----------------------------------------------------------------------------


def test_cmyk_jpeg_is_converted_to_rgb_jpeg() -> None:
    data = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG")
    assert Image.open(io.BytesIO(data)).mode == "CMYK"

    result = sanitize_image(data, path=FIELD)

    out = decode(result)
    assert (result.media_type, out.mode) == ("image/jpeg", "RGB")
    assert is_red(out.getpixel((16, 16)))


def test_grayscale_jpeg_stays_grayscale() -> None:
    result = sanitize_image(encode(Image.new("L", (8, 8), 90), "JPEG"), path=FIELD)

    assert decode(result).mode == "L"


def palette_png(transparent: bool) -> bytes:
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 255, 255, 10, 20, 200])
    image.putpixel((1, 1), 1)
    return encode(image, "PNG", **({"transparency": 0} if transparent else {}))


def sixteen_bit_grey_png() -> bytes:
    image = Image.new("I;16", (4, 1))
    for x, value in enumerate((0, 256, 32768, 65535)):
        image.putpixel((x, 0), value)
    return encode(image, "PNG")


@pytest.mark.parametrize(
    ("make_png", "mode", "probes"),
    [
        pytest.param(
            lambda: encode(Image.new("RGBA", (4, 4), (10, 200, 30, 0)), "PNG"),
            "RGBA",
            {(0, 0): (10, 200, 30, 0)},
            id="rgba-transparent",
        ),
        pytest.param(
            lambda: encode(Image.new("RGBA", (4, 4), (10, 200, 30, 128)), "PNG"),
            "RGBA",
            {(0, 0): (10, 200, 30, 128)},
            id="rgba-half-transparent",
        ),
        pytest.param(
            lambda: encode(Image.new("LA", (4, 4), (40, 7)), "PNG"), "LA", {(0, 0): (40, 7)}, id="la"
        ),
        pytest.param(
            lambda: palette_png(transparent=True),
            "RGBA",
            {(0, 0): (255, 255, 255, 0), (1, 1): (10, 20, 200, 255)},
            id="palette-with-transparency",
        ),
        pytest.param(lambda: palette_png(transparent=False), "P", {(1, 1): 1}, id="palette-stays-palette"),
        pytest.param(
            lambda: encode(Image.new("RGB", (4, 4), (1, 2, 3)), "PNG", transparency=(1, 2, 3)),
            "RGBA",
            {(0, 0): (1, 2, 3, 0)},
            id="rgb-with-transparent-colour",
        ),
        pytest.param(
            lambda: encode(Image.new("1", (4, 4), 1), "PNG"), "1", {(0, 0): 255}, id="bilevel-signature"
        ),
        pytest.param(
            sixteen_bit_grey_png,
            "L",
            {(0, 0): 0, (1, 0): 1, (2, 0): 128, (3, 0): 255},
            id="16-bit-grey-scaled-not-clipped",
        ),
    ],
)
def test_png_keeps_its_pixels_and_alpha(
    make_png: Callable[[], bytes], mode: str, probes: dict[tuple[int, int], object]
) -> None:
    result = sanitize_image(make_png(), path="signature.file")

    out = decode(result)
    assert (result.media_type, out.format, out.mode) == ("image/png", "PNG", mode)
    assert {xy: out.getpixel(xy) for xy in probes} == probes
    assert png_chunk_types(result.content) <= PIXEL_PNG_CHUNKS


def test_palette_png_keeps_its_colours() -> None:
    out = decode(sanitize_image(palette_png(transparent=False), path=FIELD))

    assert out.convert("RGB").getpixel((1, 1)) == (10, 20, 200)


# --- size --------------------------------------------------------------------------------


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((300, 150), 100, (100, 50)),
        ((150, 300), 100, (50, 100)),
        ((301, 97), 100, (100, 32)),
        ((500, 2), 100, (100, 1)),  # never collapses to zero
        ((100, 40), 100, (100, 40)),  # at the limit: untouched
        ((5000, 3000), PhotoLimits().max_side, (4096, 2458)),
    ],
)
def test_large_images_are_downscaled_once_keeping_aspect(
    image_format: str, size: tuple[int, int], max_side: int, expected: tuple[int, int]
) -> None:
    data = encode(halves(size), image_format)

    result = sanitize_image(data, path=FIELD, limits=PhotoLimits(max_side=max_side))

    assert (result.width, result.height) == decode(result).size == expected


def test_file_above_max_bytes_is_refused_and_at_max_bytes_accepted() -> None:
    data = phone_jpeg()

    sanitize_image(data, path=FIELD, limits=PhotoLimits(max_bytes=len(data)))
    with pytest.raises(CaptureError) as refused:
        sanitize_image(data, path=FIELD, limits=PhotoLimits(max_bytes=len(data) - 1))

    assert (refused.value.code, refused.value.path) == ("photo_too_large", FIELD)


def test_too_large_message_gives_size_limit_and_setting() -> None:
    data = b"\xff\xd8\xff".ljust(int(52.3 * 1024 * 1024), b"\x00")

    with pytest.raises(CaptureError) as refused:
        sanitize_image(data, path=FIELD)

    assert "52.3 MB, above the 15 MB limit" in str(refused.value)
    assert "QUITUS_PHOTO_MAX_BYTES" in str(refused.value)


@pytest.fixture
def decoding_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any pixel decoding fail the test (every Pillow decoder comes from _getdecoder)."""

    def refuse_to_decode(*args: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image, "_getdecoder", refuse_to_decode)


@pytest.mark.usefixtures("decoding_forbidden")
def test_decoding_forbidden_fixture_does_catch_decoding() -> None:
    with pytest.raises(AssertionError, match="pixels were decoded"):
        sanitize_image(encode(Image.new("RGB", (8, 8)), "PNG"), path=FIELD)


PILLOW_LIMIT = f"{Image.MAX_IMAGE_PIXELS:,}"


@pytest.mark.parametrize(
    ("side", "max_pixels", "limit_in_message"),
    [
        (8_000, 40_000_000, "above the 40,000,000-pixel limit"),  # our limit, below Pillow's
        (10_000, 150_000_000, f"more than {PILLOW_LIMIT} pixels"),  # Pillow only warns here
        (20_000, 40_000_000, "more than 40,000,000 pixels"),  # Pillow raises here
    ],
)
@pytest.mark.usefixtures("decoding_forbidden")
def test_decompression_bomb_is_refused_from_its_header(
    side: int, max_pixels: int, limit_in_message: str
) -> None:
    bomb = blank_bilevel_png(side, side)
    assert len(bomb) < 100_000
    assert struct.unpack(">II", bomb[16:24]) == (side, side)  # IHDR width and height
    filters_before, max_pixels_before = list(warnings.filters), Image.MAX_IMAGE_PIXELS

    with pytest.raises(CaptureError) as refused:
        sanitize_image(bomb, path=FIELD, limits=PhotoLimits(max_pixels=max_pixels))

    assert (refused.value.code, refused.value.path) == ("photo_too_many_pixels", FIELD)
    assert limit_in_message in str(refused.value)
    assert (warnings.filters, Image.MAX_IMAGE_PIXELS) == (filters_before, max_pixels_before)


def test_max_pixels_is_checked_on_width_times_height() -> None:
    data = encode(Image.new("RGB", (100, 50)), "PNG")

    sanitize_image(data, path=FIELD, limits=PhotoLimits(max_pixels=5_000))
    with pytest.raises(CaptureError) as refused:
        sanitize_image(data, path=FIELD, limits=PhotoLimits(max_pixels=4_999))

    assert refused.value.code == "photo_too_many_pixels"
    assert "100x50 pixels (5,000), above the 4,999-pixel limit" in str(refused.value)


# --- refused types -----------------------------------------------------------------------


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupt_png_header() -> bytes:
    data = bytearray(encode(Image.new("RGB", (8, 8)), "PNG"))
    data[20] ^= 0xFF  # inside IHDR: its CRC no longer matches
    return bytes(data)


@pytest.mark.parametrize(
    ("make_data", "code", "named"),
    [
        pytest.param(
            lambda: encode(Image.new("RGB", (8, 8)), "GIF"), "photo_unsupported_type", "GIF", id="gif"
        ),
        pytest.param(
            lambda: encode(Image.new("RGB", (8, 8)), "WEBP"), "photo_unsupported_type", "WebP", id="webp"
        ),
        pytest.param(
            lambda: encode(Image.new("RGB", (8, 8)), "TIFF"), "photo_unsupported_type", "TIFF", id="tiff"
        ),
        pytest.param(
            lambda: encode(Image.new("RGB", (8, 8)), "BMP"), "photo_unsupported_type", "BMP", id="bmp"
        ),
        pytest.param(
            lambda: b"\x00\x00\x00\x18ftypheic" + bytes(64), "photo_unsupported_type", "HEIC", id="heic"
        ),
        pytest.param(lambda: b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "photo_unsupported_type", "PDF", id="pdf"),
        pytest.param(f"Intervention chez {SECRET}".encode, "photo_unsupported_type", "neither", id="text"),
        pytest.param(lambda: b"", "photo_empty", "empty", id="empty"),
        pytest.param(lambda: truncated(phone_jpeg()), "photo_corrupt", "JPEG", id="truncated-jpeg"),
        pytest.param(
            lambda: truncated(encode(halves((64, 64)), "PNG")), "photo_corrupt", "PNG", id="truncated-png"
        ),
        pytest.param(lambda: b"\xff\xd8\xff" + bytes(200), "photo_corrupt", "JPEG", id="jpeg-signature-only"),
        pytest.param(lambda: b"\x89PNG\r\n\x1a\n", "photo_corrupt", "PNG", id="png-signature-only"),
        pytest.param(corrupt_png_header, "photo_corrupt", "PNG", id="png-bad-header-crc"),
    ],
)
def test_unsupported_or_broken_files_are_refused(
    make_data: Callable[[], bytes], code: str, named: str
) -> None:
    with pytest.raises(CaptureError) as refused:
        sanitize_image(make_data(), path=FIELD)

    assert (refused.value.code, refused.value.path) == (code, FIELD)
    assert named in str(refused.value)
    assert "Dupont" not in str(refused.value)


def test_type_comes_from_content_so_a_png_is_returned_as_png() -> None:
    # Nothing but the bytes is passed: a PNG uploaded as "photo.jpg" is still a PNG.
    result = sanitize_image(encode(Image.new("RGB", (8, 8)), "PNG"), path="photos[0].file")

    assert (result.media_type, decode(result).format) == ("image/png", "PNG")


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_data",
    [
        pytest.param(phone_jpeg, id="phone-jpeg"),
        pytest.param(lambda: encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG"), id="cmyk-jpeg"),
        pytest.param(lambda: encode(Image.new("RGBA", (32, 32), (1, 2, 3, 4)), "PNG"), id="rgba-png"),
        pytest.param(lambda: palette_png(transparent=False), id="palette-png"),
    ],
)
def test_same_input_gives_same_bytes(make_data: Callable[[], bytes]) -> None:
    data = make_data()
    limits = PhotoLimits(max_side=20)

    assert sanitize_image(data, path=FIELD, limits=limits) == sanitize_image(data, path=FIELD, limits=limits)
