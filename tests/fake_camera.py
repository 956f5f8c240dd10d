"""A fake camera for Chromium: a Y4M video showing a QR code (--use-file-for-fake-video-capture)."""

from __future__ import annotations

from pathlib import Path

import segno
from PIL import Image

WIDTH, HEIGHT = 640, 480


def qr_video(text: str, path: Path, frames: int = 10) -> Path:
    """Write a short YUV4MPEG2 (4:2:0) video of the QR code of ``text`` on white."""
    code = segno.make_qr(text, error="m")
    module = 8
    size = (code.symbol_size(scale=module, border=4))[0]
    qr = Image.new("L", (size, size), 255)
    for y, row in enumerate(code.matrix_iter(scale=module, border=4)):
        for x, dark in enumerate(row):
            if dark:
                qr.putpixel((x, y), 0)
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(qr.convert("RGB"), ((WIDTH - size) // 2, (HEIGHT - size) // 2))
    y_plane, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = y_plane.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + planes)
    return path
