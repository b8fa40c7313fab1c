"""Images made in code for the image pipeline tests: real encoders, crafted bytes."""

import io
import struct
import zlib

from PIL import Image

XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b"<rdf:Description>secret-xmp</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def encode(image: Image.Image, format_: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_, **params)
    return buffer.getvalue()


def marked_image(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Blue everywhere, with a red block in the top-left corner to track rotation."""
    image = Image.new(mode, size, "blue")
    image.paste("red", (0, 0, size[0] // 4, size[1] // 4))
    return image


def exif_with_gps(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 22.0, 7.5)
    gps[3], gps[4] = "E", (4.0, 53.0, 2.1)
    return exif


def with_iptc(jpeg: bytes) -> bytes:
    """Insert a Photoshop APP13 segment holding an IPTC caption after SOI."""
    caption = b"secret-iptc"
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    payload = b"Photoshop 3.0\x00" + resource
    return (
        jpeg[:2]
        + b"\xff\xed"
        + struct.pack(">H", len(payload) + 2)
        + payload
        + jpeg[2:]
    )


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header for a huge RGB image followed by one small IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (1 + 3 * width) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def gif_with_frames(count: int, *, last_frame_size: tuple[int, int] = (1, 1)) -> bytes:
    """A looping 1x1 GIF of `count` frames, 25 bytes each; the last may be bigger."""
    header = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\xff\xff\xff\x00\x00\x00"
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"

    def frame(size: tuple[int, int]) -> bytes:
        return (
            b"!\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
            + b",\x00\x00\x00\x00"  # image descriptor at (0, 0)
            + struct.pack("<HH", *size)
            + b"\x00"
            + b"\x02\x02\x44\x01\x00"  # LZW data of one pixel
        )

    frames = frame((1, 1)) * (count - 1) + frame(last_frame_size)
    return header + loop + frames + b";"


def psd(width: int, height: int) -> bytes:
    """An uncompressed 8-bit RGB Photoshop file."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode, resources, layers
    return header + sections + struct.pack(">H", 0) + b"\x80" * (3 * width * height)


def cmyk_profile_black_ink_only() -> bytes:
    """An ICC v2 CMYK profile that prints only the black ink, as neutral gray.

    Under it CMYK red (0, 255, 255, 0) is paper white, where a plain CMYK->RGB
    conversion gives red: the output shows whether the profile was applied.
    """
    d50 = struct.pack(">iii", 0xF6D6, 0x10000, 0xD32D)
    description = b"black ink only"
    tags = {
        b"desc": b"desc\0\0\0\0"
        + struct.pack(">I", len(description) + 1)
        + description
        + b"\0"
        + b"\0" * 8
        + b"\0" * 3
        + b"\0" * 67,
        b"wtpt": b"XYZ \0\0\0\0" + d50,
        b"cprt": b"text\0\0\0\0none\0",
        b"A2B0": b"mft2\0\0\0\0"
        + bytes([4, 3, 2, 0])
        + struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x10000)
        + struct.pack(">HH", 2, 2)
        + struct.pack(">8H", *(0, 0xFFFF) * 4)
        # Grid corners vary the last ink (K) fastest: K=0 -> L*=100, K=1 -> L*=0.
        + struct.pack(">48H", *(0xFF00, 0x8000, 0x8000, 0, 0x8000, 0x8000) * 8)
        + struct.pack(">6H", *(0, 0xFFFF) * 3),
    }
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags.items():
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = 128 + table_size + len(data)
    header = (
        struct.pack(">I", size)
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"prtrCMYKLab "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + d50
        + b"\0" * 48
    )
    return header + table + data
