"""The demo specimens' pictures: one stylised drawing per specimen, by Pillow.

Each picture is a stylised illustration (its alt text says so), drawn on a studio backdrop
with a random generator seeded by the specimen's number, so the same specimen always gets
the same picture.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

from .drawing import (
    HEIGHT,
    RGB,
    SCALE,
    backdrop,
    blob,
    cube,
    facets,
    frange,
    matrix_rock,
    merge,
    overlay,
    prism,
    px,
    rotate,
    shade,
    shadow,
    size,
    slab,
    sphere,
)


def draw(picture: str, seed: str) -> Image.Image:
    """Draw the named picture on a studio backdrop; ``seed`` fixes its random details."""
    rng = random.Random(seed)  # noqa: S311 (a drawing's details, not a secret)
    canvas = backdrop(*BACKDROPS.get(picture, ((70, 76, 84), (28, 31, 36))))
    shadow(canvas, (0.5, 0.8), (0.62, 0.1))
    DRAWINGS[picture](canvas, rng)
    return canvas.reduce(SCALE)


# The pictures


def galena(canvas: Image.Image, rng: random.Random) -> None:
    """Lead-grey cubes on a pale dolomite."""
    matrix_rock(canvas, rng, (176, 164, 146), px(0.5, 0.72), px(0.34, 0.13))
    draw = ImageDraw.Draw(canvas)
    for x, y, edge in sorted(
        [
            (0.38, 0.55, 0.15),
            (0.58, 0.5, 0.19),
            (0.47, 0.66, 0.12),
            (0.7, 0.64, 0.1),
            (0.28, 0.68, 0.08),
        ],
        key=lambda c: c[1],
    ):
        cube(draw, px(x, y), edge * HEIGHT * SCALE, (118, 124, 134), rng.uniform(-0.12, 0.12))


def pyrite(canvas: Image.Image, rng: random.Random) -> None:
    """Striated brass-yellow cubes, intergrown."""
    matrix_rock(canvas, rng, (92, 88, 84), px(0.5, 0.74), px(0.3, 0.11))
    draw = ImageDraw.Draw(canvas)
    for x, y, edge in sorted(
        [(0.44, 0.52, 0.2), (0.6, 0.6, 0.15), (0.33, 0.66, 0.11), (0.68, 0.47, 0.09)],
        key=lambda c: c[1],
    ):
        cube(
            draw,
            px(x, y),
            edge * HEIGHT * SCALE,
            (190, 160, 72),
            rng.uniform(-0.2, 0.2),
            striations=9,
        )


def fluorite(canvas: Image.Image, rng: random.Random) -> None:
    """Translucent purple cubes."""
    matrix_rock(canvas, rng, (200, 196, 188), px(0.5, 0.74), px(0.32, 0.11))
    layer, draw = overlay(canvas)
    for x, y, edge, color in sorted(
        [
            (0.42, 0.53, 0.19, (122, 62, 168)),
            (0.61, 0.58, 0.16, (140, 76, 180)),
            (0.3, 0.66, 0.1, (104, 56, 150)),
            (0.7, 0.68, 0.08, (96, 150, 120)),
        ],
        key=lambda c: c[1],
    ):
        cube(draw, px(x, y), edge * HEIGHT * SCALE, color, rng.uniform(-0.3, 0.3), alpha=215)
    merge(canvas, layer)


def quartz(canvas: Image.Image, rng: random.Random) -> None:
    """A cluster of clear pointed prisms."""
    matrix_rock(canvas, rng, (120, 112, 104), px(0.5, 0.78), px(0.3, 0.09))
    layer, draw = overlay(canvas)
    unit = HEIGHT * SCALE
    for dx, tilt, length in [
        (-0.16, -0.55, 0.32),
        (0.17, 0.5, 0.3),
        (-0.08, -0.25, 0.46),
        (0.08, 0.22, 0.42),
        (0.0, 0.02, 0.55),
        (-0.22, -0.85, 0.2),
        (0.23, 0.8, 0.2),
    ]:
        base = px(0.5 + dx * 0.6, 0.76)
        prism(
            draw,
            base,
            length * unit,
            0.075 * unit,
            0.07 * unit,
            tilt + rng.uniform(-0.05, 0.05),
            (190, 200, 210),
            alpha=200,
        )
    merge(canvas, layer)


def baryte(canvas: Image.Image, rng: random.Random) -> None:
    """Thick honey-coloured blades in a fan."""
    matrix_rock(canvas, rng, (140, 120, 100), px(0.5, 0.76), px(0.3, 0.1))
    layer, draw = overlay(canvas)
    unit = HEIGHT * SCALE
    for i in range(7):
        tilt = -0.7 + i * 0.23 + rng.uniform(-0.04, 0.04)
        prism(
            draw,
            px(0.5 + (i - 3) * 0.025, 0.74),
            rng.uniform(0.28, 0.4) * unit,
            0.13 * unit,
            0.025 * unit,
            tilt,
            (214, 170, 96),
            alpha=225,
        )
    merge(canvas, layer)


def cerussite(canvas: Image.Image, rng: random.Random) -> None:
    """Slender white crystals in V-shaped twins and a lattice."""
    matrix_rock(canvas, rng, (112, 100, 86), px(0.5, 0.76), px(0.3, 0.1))
    layer, draw = overlay(canvas)
    unit = HEIGHT * SCALE
    for i in range(9):
        tilt = (-1) ** i * rng.uniform(0.35, 0.75)
        base = px(0.36 + i * 0.035, 0.73 + rng.uniform(-0.02, 0.02))
        prism(
            draw,
            base,
            rng.uniform(0.2, 0.38) * unit,
            0.035 * unit,
            0.03 * unit,
            tilt,
            (226, 224, 214),
            alpha=215,
        )
    merge(canvas, layer)


def sphalerite(canvas: Image.Image, rng: random.Random) -> None:
    """Dark resinous faceted crystals."""
    matrix_rock(canvas, rng, (186, 176, 160), px(0.5, 0.74), px(0.32, 0.11))
    draw = ImageDraw.Draw(canvas)
    unit = HEIGHT * SCALE
    for x, y, r in sorted(
        [
            (0.4, 0.57, 0.13),
            (0.58, 0.55, 0.15),
            (0.5, 0.67, 0.1),
            (0.68, 0.66, 0.08),
            (0.3, 0.67, 0.08),
        ],
        key=lambda c: c[1],
    ):
        facets(draw, rng, px(x, y), r * unit, (88, 44, 22), contrast=0.55)


def smithsonite(canvas: Image.Image, rng: random.Random) -> None:
    """A botryoidal blue-green crust of bubbles."""
    matrix_rock(canvas, rng, (150, 130, 110), px(0.5, 0.72), px(0.34, 0.14))
    draw = ImageDraw.Draw(canvas)
    unit = HEIGHT * SCALE
    bubbles = [
        (rng.uniform(0.3, 0.7), rng.uniform(0.5, 0.72), rng.uniform(0.04, 0.085)) for _ in range(34)
    ]
    for x, y, r in sorted(bubbles, key=lambda b: b[1]):
        sphere(draw, px(x, y), r * unit, (74, 150, 150))


def coal(canvas: Image.Image, rng: random.Random) -> None:
    """Black, glossy, angular lumps."""
    draw = ImageDraw.Draw(canvas)
    unit = HEIGHT * SCALE
    for x, y, r in sorted(
        [(0.42, 0.6, 0.2), (0.6, 0.63, 0.17), (0.32, 0.72, 0.1), (0.7, 0.74, 0.09)],
        key=lambda c: c[1],
    ):
        facets(draw, rng, px(x, y), r * unit, (30, 32, 38), contrast=0.5)


def granite(canvas: Image.Image, rng: random.Random) -> None:
    """A polished slab: large feldspars, grey quartz and black mica."""
    width, height = size()
    texture = Image.new("RGB", (width, height), (206, 192, 184))
    draw = ImageDraw.Draw(texture)
    for _ in range(2600):  # fine grains of quartz and feldspar
        x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(6, 16)
        color = rng.choice([(150, 148, 150), (226, 214, 204), (190, 170, 164), (170, 166, 170)])
        draw.polygon(blob(rng, (x, y), (r, r * 0.8), 6, 0.3), fill=color)
    for _ in range(70):  # large feldspar crystals (the porphyritic texture)
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        w, h = rng.uniform(40, 90), rng.uniform(18, 40)
        box = [(x - w, y - h), (x + w, y - h), (x + w, y + h), (x - w, y + h)]
        draw.polygon(
            rotate(box, (x, y), rng.uniform(0, math.pi)),
            fill=rng.choice([(236, 220, 210), (224, 196, 186)]),
        )
    for _ in range(900):  # biotite
        x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(4, 11)
        draw.polygon(blob(rng, (x, y), (r, r * 0.7), 5, 0.35), fill=(30, 28, 30))
    outline = blob(rng, px(0.5, 0.5), px(0.38, 0.33), 28, 0.04)
    slab(canvas, outline, texture, (120, 112, 108))


def schist(canvas: Image.Image, rng: random.Random) -> None:
    """A flat slab of silvery schist with wavy foliation."""
    width, height = size()
    texture = Image.new("RGB", (width, height), (112, 114, 118))
    draw = ImageDraw.Draw(texture)
    y = 0.0
    while y < height:
        band = rng.uniform(10, 34)
        color = rng.choice(
            [(96, 98, 104), (130, 132, 138), (150, 150, 154), (84, 86, 92), (122, 118, 110)]
        )
        phase, amplitude = rng.uniform(0, 6), rng.uniform(10, 30)
        line = [(x, y + amplitude * math.sin(x / 260 + phase)) for x in range(0, width + 40, 40)]
        draw.line(line, fill=color, width=int(band), joint="curve")
        y += band * 0.8
    for _ in range(700):  # mica glints
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        draw.line(
            [(x, y), (x + rng.uniform(8, 22), y + rng.uniform(-3, 3))],
            fill=(222, 224, 228),
            width=3,
        )
    outline = [
        px(0.14, 0.34),
        px(0.7, 0.2),
        px(0.9, 0.4),
        px(0.84, 0.72),
        px(0.3, 0.82),
        px(0.1, 0.6),
    ]
    outline = [(x + rng.uniform(-20, 20), y + rng.uniform(-20, 20)) for x, y in outline]
    slab(canvas, outline, texture, (70, 72, 76))


def fern(canvas: Image.Image, rng: random.Random) -> None:
    """A pale fern frond printed on dark shale."""
    width, height = size()
    texture = Image.new("RGB", (width, height), (64, 66, 70))
    draw = ImageDraw.Draw(texture)
    for _ in range(1500):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        draw.line(
            [(x, y), (x + rng.uniform(20, 60), y)],
            fill=shade((64, 66, 70), rng.uniform(0.85, 1.2)),
            width=3,
        )
    frond = (190, 184, 160)
    start, end = px(0.24, 0.8), px(0.76, 0.2)
    steps = 16
    for i in range(steps):
        t = i / steps
        x = start[0] + (end[0] - start[0]) * t + math.sin(t * 3) * 30
        y = start[1] + (end[1] - start[1]) * t
        length = (1 - t * 0.75) * 0.21 * HEIGHT * SCALE
        for side in (-1, 1):
            angle = math.atan2(end[1] - start[1], end[0] - start[0]) + side * 1.15
            tip = (x + length * math.cos(angle), y + length * math.sin(angle))
            draw.line([(x, y), tip], fill=shade(frond, 0.9), width=6)
            leaflets = max(int(length / 26), 2)
            for k in range(1, leaflets):
                u = k / leaflets
                lx, ly = x + (tip[0] - x) * u, y + (tip[1] - y) * u
                size_ = 13 * (1 - u * 0.5) * (1 - t * 0.4)
                draw.ellipse((lx - size_, ly - size_, lx + size_, ly + size_), fill=frond)
    draw.line([start, end], fill=shade(frond, 0.8), width=10)
    outline = blob(rng, px(0.5, 0.5), px(0.4, 0.36), 10, 0.08)
    slab(canvas, outline, texture, (40, 42, 46))


def ammonite(canvas: Image.Image, rng: random.Random) -> None:
    """A ribbed spiral shell on a beige limestone slab."""
    width, height = size()
    texture = Image.new("RGB", (width, height), (214, 198, 168))
    draw = ImageDraw.Draw(texture)
    for _ in range(2500):
        x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(2, 6)
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=shade((214, 198, 168), rng.uniform(0.85, 1.08))
        )
    cx, cy = px(0.5, 0.5)
    growth = 0.1  # the radius grows by e^(2π·0.1) ≈ 1.9 per whorl (an evolute shell)
    outer = 0.36 * HEIGHT * SCALE

    def radius(angle: float) -> float:
        """Distance from the centre of the shell's outer edge at ``angle`` (spiral)."""
        return outer * math.exp(growth * (angle - 6 * math.pi))

    shell = (170, 128, 82)
    outline = [
        (cx + radius(a) * math.cos(a), cy + radius(a) * math.sin(a))
        for a in frange(4 * math.pi, 6 * math.pi, 0.04)
    ]
    draw.polygon(outline, fill=shell)
    draw.ellipse(
        (cx - outer * 0.06, cy - outer * 0.06, cx + outer * 0.06, cy + outer * 0.06),
        fill=shade(shell, 0.7),
    )
    for a in frange(1.5 * math.pi, 6 * math.pi, 0.09):  # sickle-shaped ribs across each whorl
        r_out, r_in = radius(a), radius(a - 2 * math.pi)
        mid = (r_out + r_in) / 2
        points = [
            (cx + r_in * math.cos(a - 0.05), cy + r_in * math.sin(a - 0.05)),
            (cx + mid * math.cos(a + 0.06), cy + mid * math.sin(a + 0.06)),
            (cx + r_out * math.cos(a - 0.02), cy + r_out * math.sin(a - 0.02)),
        ]
        draw.line(points, fill=shade(shell, 0.72), width=5, joint="curve")
        draw.line(
            [(x + 4, y - 4) for x, y in points], fill=shade(shell, 1.25), width=3, joint="curve"
        )
    spiral = [
        (cx + radius(a) * 0.99 * math.cos(a), cy + radius(a) * 0.99 * math.sin(a))
        for a in frange(1.2 * math.pi, 6 * math.pi, 0.04)
    ]
    draw.line(spiral, fill=shade(shell, 0.55), width=7, joint="curve")
    outline_slab = blob(rng, px(0.5, 0.5), px(0.4, 0.44), 24, 0.05)
    slab(canvas, outline_slab, texture, (150, 134, 106))


DRAWINGS: dict[str, Callable[[Image.Image, random.Random], None]] = {
    "galena": galena,
    "sphalerite": sphalerite,
    "cerussite": cerussite,
    "smithsonite": smithsonite,
    "pyrite": pyrite,
    "quartz": quartz,
    "fluorite": fluorite,
    "baryte": baryte,
    "coal": coal,
    "fern": fern,
    "granite": granite,
    "schist": schist,
    "ammonite": ammonite,
}
BACKDROPS: dict[str, tuple[RGB, RGB]] = {
    "coal": ((150, 146, 140), (88, 84, 80)),
    "quartz": ((46, 58, 76), (16, 20, 28)),
    "fluorite": ((64, 70, 80), (24, 26, 30)),
    "smithsonite": ((92, 84, 76), (34, 30, 28)),
    "granite": ((72, 80, 88), (30, 34, 38)),
    "ammonite": ((84, 78, 72), (32, 30, 28)),
}
