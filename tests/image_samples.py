"""Awkward image files, written by the tests themselves: odd modes, damaged files, impostors.

Each writer takes a folder and returns the path it wrote. Valid images are drawn with a cell-like
blob so that the cell-centred crop has something to find.
"""
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import draw_cell

EXIF_ORIENTATION = 0x0112


def smear(seed=0, size=(64, 48)) -> Image.Image:
    return draw_cell(np.random.default_rng(seed), (70, 60, 190), size)


def png_bytes(pixels: np.ndarray, bit_depth: int, colour_type: int) -> bytes:
    """A PNG written by hand: Pillow cannot write 16-bit colour."""
    height, width = pixels.shape[:2]
    sample = ">u2" if bit_depth == 16 else "u1"
    raw = b"".join(b"\x00" + pixels[y].astype(sample).tobytes() for y in range(height))
    return png_file(width, height, bit_depth, colour_type, zlib.compress(raw))


def png_file(width, height, bit_depth, colour_type, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def huge_png(folder: Path, side=20000, height=None) -> Path:
    """A side x side (or side x height) black greyscale PNG, a few hundred kB on disk: deflate packs the zero rows."""
    height = side if height is None else height
    packer = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte + side zero samples
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    path = folder / f"huge-{side}x{height}.png"
    path.write_bytes(png_file(side, height, 8, 0, idat))
    return path


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def saved(image: Image.Image, folder: Path, name: str, **options) -> Path:
    image.save(folder / name, **options)
    return folder / name


# Valid images in every mode a clinic might meet -------------------------------------------------

def rgb_jpeg(folder, name="upright.jpg", seed=0):
    return saved(smear(seed), folder, name, quality=95)


def greyscale_jpeg(folder):
    return saved(smear(1).convert("L"), folder, "greyscale.jpg", quality=95)


def greyscale_png(folder):
    return saved(smear(2).convert("L"), folder, "greyscale.png")


def cmyk_jpeg(folder):
    return saved(smear(3).convert("CMYK"), folder, "cmyk.jpg", quality=95)


def palette_png(folder):
    return saved(smear(4).convert("P", palette=Image.Palette.ADAPTIVE, colors=64), folder, "palette.png")


def rgb16_png(folder):
    """48-bit colour: distinct low bytes, so dropping versus rounding them would show."""
    wide = np.asarray(smear(5), np.uint16) * 257 + np.random.default_rng(5).integers(0, 256, (48, 64, 3))
    return write(folder, "rgb16.png", png_bytes(np.clip(wide, 0, 65535), 16, 2))


def grey16_png(folder):
    wide = np.asarray(smear(6).convert("L"), np.uint16) * 257
    return write(folder, "grey16.png", png_bytes(wide, 16, 0))


def rgba_png(folder):
    """Transparency in every degree, including fully transparent pixels with colour underneath."""
    rgba = np.asarray(smear(7).convert("RGBA")).copy()
    rgba[..., 3] = np.random.default_rng(7).integers(0, 256, rgba.shape[:2])
    rgba[:8, :, 3] = 0
    rgba[8:16, :, 3] = 255
    return saved(Image.fromarray(rgba, "RGBA"), folder, "rgba.png")


def palette_transparent_png(folder):
    image = smear(8).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    return saved(image, folder, "palette-transparent.png", transparency=int(np.asarray(image)[0, 0]))


def still_gif(folder):
    return saved(smear(9).convert("P", palette=Image.Palette.ADAPTIVE, colors=64), folder, "still.gif")


def exif_rotated_jpeg(folder, upright: Image.Image, name="rotated.jpg"):
    """Stored on its side with EXIF orientation 6 ("turn 90 degrees clockwise to show")."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    return saved(upright.rotate(90, expand=True), folder, name, quality=95, exif=exif)


def exif_rotated_png(folder):
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 8
    return saved(smear(14).rotate(-90, expand=True), folder, "rotated.png", exif=exif)


def exif_rotated_webp(folder):
    """Chromium ignores EXIF orientation in WebP (measured); Python must too."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    return saved(smear(15), folder, "sideways.webp", lossless=True, exif=exif)


def xmp_rotated_jpeg(folder):
    """Orientation only in XMP, which Pillow's getexif() reads and Chromium does not (measured)."""
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')
    return saved(smear(16), folder, "xmp-rotated.jpg", quality=95, xmp=xmp)


VALID_ODD_MODES = [greyscale_jpeg, greyscale_png, cmyk_jpeg, palette_png, rgb16_png, grey16_png, rgba_png,
                   palette_transparent_png, still_gif, exif_rotated_png, exif_rotated_webp, xmp_rotated_jpeg]


# Files that must be refused ---------------------------------------------------------------------

def zero_byte(folder):
    return write(folder, "empty.jpg", b"")


def truncated_jpeg(folder):
    whole = io.BytesIO()
    smear(10, (320, 240)).save(whole, "JPEG", quality=95)
    return write(folder, "truncated.jpg", whole.getvalue()[: len(whole.getvalue()) // 2])


def text_named_jpeg(folder):
    return write(folder, "notes.jpg", b"Patient list - do not upload\nBed 4: smear taken 09:40\n")


def pdf(folder):
    return write(folder, "report.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def svg_with_script(folder):
    """Would set a page global and the title if its script ever ran in the page."""
    payload = "window.svgScriptRan = true; try { top.document.title = 'svg ran'; } catch (e) {}"
    return write(folder, "drawing.svg", (
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" '
        f'onload="{payload}"><script>{payload}</script><rect width="64" height="48" fill="blue"/></svg>\n'
    ).encode())


def heic(folder):
    """The opening of an iPhone HEIC: an ISO ftyp box with HEIF brands, then a meta box."""
    ftyp = struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
    meta = struct.pack(">I", 16) + b"meta" + bytes(8)
    return write(folder, "IMG_0001.heic", ftyp + meta + bytes(64))


def animated_gif(folder):
    frames = [smear(seed).convert("P", palette=Image.Palette.ADAPTIVE, colors=32) for seed in (11, 12, 13)]
    return saved(frames[0], folder, "animated.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
