"""Drawn photos (with a phone's EXIF, GPS included) and handwritten-looking signatures."""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import unicodedata
from functools import lru_cache
from pathlib import Path

import reportlab
from PIL import ExifTags, Image, ImageDraw, ImageFont

from reports.samples.trades import _PHONES

_VERA = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
_PHOTO_VARIANTS = 4
"""Drawings per (caption, size): photos vary, and the JPEGs are cached."""


# --------------------------------------------------------------------------- images


def make_photo(
    rng: random.Random,
    *,
    label: str,
    size: tuple[int, int],
    with_gps_exif: bool = True,
    taken_at: dt.datetime | None = None,
) -> bytes:
    """A JPEG of the equipment with ``label`` as caption, as a technician's phone saves it.

    With ``with_gps_exif``, the EXIF block holds the phone's make and model, a GPS
    position in metropolitan France and, given ``taken_at``, the capture time: the
    metadata capture must strip. Without it, the JPEG has no EXIF at all. The drawing is
    one of a few per (label, size), cached; ``rng`` picks it and fills the EXIF.
    """
    check_photo_size(size)
    jpeg = _drawn_photo(label, size[0], size[1], rng.randrange(_PHOTO_VARIANTS))
    if not with_gps_exif:
        return jpeg
    exif = _phone_exif(rng, taken_at).tobytes()
    # An APP1 segment right after the JFIF header: byte for byte what Pillow writes when
    # saving with ``exif=``, without encoding the pixels again.
    segment = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    at = 4 + int.from_bytes(jpeg[4:6], "big") if jpeg[2:4] == b"\xff\xe0" else 2
    return jpeg[:at] + segment + jpeg[at:]


def _phone_exif(rng: random.Random, taken_at: dt.datetime | None) -> Image.Exif:
    make, model, software = rng.choice(_PHONES)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model
    exif[ExifTags.Base.Software] = software
    exif[ExifTags.Base.Orientation] = 1
    if taken_at is not None:
        stamp = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        exif[ExifTags.Base.DateTime] = stamp
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.DateTimeOriginal] = stamp
        if taken_at.utcoffset() is not None:
            details[ExifTags.Base.OffsetTimeOriginal] = taken_at.isoformat()[-6:]
    latitude, longitude = rng.uniform(43.2, 50.9), rng.uniform(-4.4, 7.6)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = _degrees(latitude)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _degrees(abs(longitude))
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
    gps[ExifTags.GPS.GPSAltitude] = round(rng.uniform(2, 900), 1)
    return exif


def _degrees(value: float) -> tuple[float, float, float]:
    degrees, rest = divmod(value, 1)
    minutes, rest = divmod(rest * 60, 1)
    return float(degrees), float(minutes), round(rest * 60, 2)


@lru_cache(maxsize=256)
def _drawn_photo(label: str, width: int, height: int, variant: int) -> bytes:
    """The equipment drawn in front of a wall, with ``label`` in a caption band."""
    rng = random.Random(f"{label}|{width}x{height}|{variant}")  # noqa: S311
    # A thumbnail is drawn larger, then reduced: the shapes need room to be drawn.
    scale = math.ceil(max(1, 320 / width, 240 / height))
    final_size = (width, height)
    width, height = width * scale, height * scale
    wall = (rng.randint(150, 225), rng.randint(150, 225), rng.randint(140, 215))
    image = Image.new("RGB", (width, height), wall)
    draw = ImageDraw.Draw(image)
    floor = int(height * rng.uniform(0.66, 0.76))
    draw.rectangle((0, floor, width, height), fill=tuple(c - 60 for c in wall))
    box = (
        int(width * rng.uniform(0.2, 0.3)),
        int(height * rng.uniform(0.08, 0.14)),
        int(width * rng.uniform(0.7, 0.8)),
        int(floor - height * rng.uniform(0.02, 0.1)),
    )
    lowered = label.lower()
    if "tableau" in lowered:
        _draw_switchboard(draw, box, rng)
    elif "extérieure" in lowered or variant == 3:
        _draw_outdoor_unit(draw, box, rng)
    else:
        _draw_boiler(draw, box, rng, with_display="défaut" in lowered or variant % 2 == 0)
    _draw_caption(draw, label, width, height)
    if scale > 1:
        image = image.reduce(scale)
    assert image.size == final_size
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


def _draw_boiler(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random, *, with_display: bool
) -> None:
    left, top, right, bottom = box
    draw.rounded_rectangle(
        box, radius=max(2, (right - left) // 20), fill=(242, 242, 238), outline=(90, 90, 90), width=2
    )
    for index in range(3):
        x = left + (right - left) * (index + 1) // 4
        draw.line(
            (x, bottom, x, bottom + (bottom - top) // 5),
            fill=(184, 115, 51),
            width=max(2, (right - left) // 30),
        )
    if with_display:
        screen = (
            left + (right - left) // 3,
            top + (bottom - top) * 3 // 5,
            right - (right - left) // 3,
            top + (bottom - top) * 3 // 4,
        )
        draw.rectangle(screen, fill=(20, 40, 30))
        code = rng.choice(("E7", "U4", "F28", "7H", "P1"))
        draw.text(
            (screen[0] + 3, screen[1] + 1),
            code,
            fill=(120, 255, 140),
            font=_font(max(8, screen[3] - screen[1] - 2)),
        )


def _draw_outdoor_unit(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random) -> None:
    left, top, right, bottom = box
    top = top + (bottom - top) // 4
    draw.rectangle((left, top, right, bottom), fill=(230, 230, 225), outline=(80, 80, 80), width=2)
    radius = min(right - left, bottom - top) * 0.4
    centre = (left + (right - left) * 0.4, (top + bottom) / 2)
    for ring in range(5, 0, -1):
        r = radius * ring / 5
        draw.ellipse(
            (centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r), outline=(60, 60, 60), width=1
        )
    angle = rng.uniform(0, math.pi)
    for blade in range(3):
        a = angle + blade * 2 * math.pi / 3
        draw.line(
            (centre, (centre[0] + radius * math.cos(a), centre[1] + radius * math.sin(a))),
            fill=(40, 40, 40),
            width=3,
        )


def _draw_switchboard(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random) -> None:
    left, top, right, bottom = box
    draw.rectangle(box, fill=(235, 235, 235), outline=(70, 70, 70), width=2)
    rows = rng.randint(3, 4)
    row_height = (bottom - top) / rows
    for row in range(rows):
        y = top + row * row_height + row_height * 0.25
        modules = rng.randint(6, 13)
        module_width = (right - left - 8) / 13
        for module in range(modules):
            x = left + 4 + module * module_width
            draw.rectangle(
                (x, y, x + module_width - 2, y + row_height * 0.5), fill=(250, 250, 250), outline=(90, 90, 90)
            )
            color = (0, 90, 200) if rng.random() < 0.2 else (40, 40, 40)
            draw.rectangle(
                (x + module_width * 0.3, y + row_height * 0.15, x + module_width * 0.6, y + row_height * 0.3),
                fill=color,
            )


def _draw_caption(draw: ImageDraw.ImageDraw, label: str, width: int, height: int) -> None:
    font = _font(max(8, height // 26))
    lines: list[str] = []
    for word in label.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width - 16:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    line_height = int(font.size * 1.3) if isinstance(font, ImageFont.FreeTypeFont) else 12
    band = line_height * len(lines[:3]) + 8
    draw.rectangle((0, height - band, width, height), fill=(25, 25, 25))
    for index, line in enumerate(lines[:3]):
        draw.text((8, height - band + 4 + index * line_height), line, fill=(245, 245, 245), font=font)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's own font has no accented letters; reportlab's Vera, which the PDF
    # rendering uses too, covers French.
    try:
        return ImageFont.truetype(str(_VERA), size)
    except OSError:
        return ImageFont.load_default(size=size)


def make_signature(rng: random.Random, name: str) -> bytes:
    """A PNG of ``name`` signed by hand: an initial, a cursive scrawl and an underline.

    Ink on a transparent background, as a signature pad exports it.
    """
    width, height, scale = 400, 150, 2
    # The strokes are drawn twice as large, then halved: smooth edges, at little cost.
    mask = Image.new("L", (width * scale, height * scale), 0)
    draw = ImageDraw.Draw(mask)
    pen = round(scale * rng.uniform(1.6, 2.6))
    for stroke in _signature_strokes(rng, name, width * scale, height * scale):
        draw.line(stroke, fill=255, width=pen, joint="curve")
    ink = (rng.randint(10, 40), rng.randint(20, 50), rng.randint(90, 150), 0)
    image = Image.new("RGBA", (width, height), ink)
    image.putalpha(mask.reduce(scale))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _signature_strokes(
    rng: random.Random, name: str, width: int, height: int
) -> list[list[tuple[float, float]]]:
    """Pen strokes for ``name``: one loop or hump per letter, slanted, on a drifting baseline."""
    words = ascii_fold(name).split() or ["x"]
    letters = [words[0][0].upper(), *words[-1][:9].lower()] if len(words) > 1 else [*words[0][:10]]
    baseline = height * rng.uniform(0.55, 0.62)
    drift = rng.uniform(-0.12, 0.08)  # many people sign uphill
    x_height = height * rng.uniform(0.1, 0.16)
    slant = rng.uniform(0.15, 0.45)
    margin = width * 0.06
    step = (width - 2 * margin) / (len(letters) + 2)
    strokes: list[list[tuple[float, float]]] = []
    points: list[tuple[float, float]] = []
    x = margin
    for index, letter in enumerate(letters):
        initial = index == 0 and len(words) > 1
        if initial or letter.isupper():
            rise, loop, advance = x_height * rng.uniform(2.5, 3.2), step * rng.uniform(0.3, 0.5), 1.4
        elif letter in "bdfhklt":
            rise, loop, advance = x_height * rng.uniform(1.7, 2.3), step * rng.uniform(0.2, 0.35), 1.0
        elif letter in "gjpqyz":
            rise, loop, advance = -x_height * rng.uniform(1.3, 1.8), step * rng.uniform(0.2, 0.35), 1.0
        else:
            # Loops for e, l-like letters; humps for the others (m, n, u...).
            rise, loop, advance = x_height * rng.uniform(0.7, 1.2), step * rng.uniform(0.0, 0.3), 0.8
        width_here = step * advance * rng.uniform(0.75, 1.25)
        for k in range(13):
            t = 2 * math.pi * k / 12
            line = baseline + (x - margin) * drift
            y = line - rise * (1 - math.cos(t)) / 2 + rng.gauss(0, 0.8)
            px = x + width_here * k / 12 + loop * math.sin(t) + (line - y) * slant
            points.append((px, min(max(y, 3), height - 3)))
        x += width_here
        if initial:
            strokes.append(points)  # the pen lifts after the initial
            points = []
            x += step * rng.uniform(0.2, 0.6)
    strokes.append(points)
    # The underline sweeps back under the name, slightly curved.
    under = baseline + x_height * rng.uniform(0.6, 1.1)
    end = min(x, width - margin)
    sweep = [
        (
            end - t * (end - margin),
            under + (end - margin) * (1 - t) * drift + math.sin(t * math.pi) * x_height * 0.5,
        )
        for t in (k / 16 for k in range(17))
    ]
    if rng.random() < 0.8:
        strokes.append(sweep)
    return strokes


def check_photo_size(size: tuple[int, int]) -> None:
    if len(size) != 2 or min(size) < 16:
        raise ValueError(f"photo size must be (width, height) of 16 pixels or more, got {size}")


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
