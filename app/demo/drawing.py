"""Drawing tools for the demo's pictures: a studio backdrop, rocks, crystals, layers.

Coordinates are pixels of a canvas drawn at twice the picture's size (``SCALE``) and
reduced afterwards: Pillow draws without anti-aliasing, the reduction smooths the edges.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

from PIL import Image, ImageDraw, ImageFilter, ImageOps

WIDTH, HEIGHT = 1200, 900
SCALE = 2  # drawn at twice the size, then reduced: Pillow draws without anti-aliasing
Point = tuple[float, float]
RGB = tuple[int, int, int]


def size() -> tuple[int, int]:
    """The supersampled canvas size."""
    return WIDTH * SCALE, HEIGHT * SCALE


def px(x: float, y: float) -> Point:
    """A point given as fractions of the canvas."""
    width, height = size()
    return x * width, y * height


def rgb(channels: Iterable[float]) -> RGB:
    """Three channel values rounded to a colour (unpacking fails on any other count)."""
    red, green, blue = (round(c) for c in channels)
    return red, green, blue


def shade(color: RGB, factor: float) -> RGB:
    """A lighter (factor > 1) or darker (< 1) version of ``color``."""
    if factor >= 1:
        return rgb(c + (255 - c) * (factor - 1) for c in color)
    return rgb(c * factor for c in color)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` blended towards ``b`` by ``t``."""
    return rgb(x + (y - x) * t for x, y in zip(a, b, strict=True))


def paint(color: RGB, alpha: int) -> tuple[int, ...]:
    """A fill colour, see-through when ``alpha`` is below 255 (on a transparent layer)."""
    return color if alpha >= 255 else (*color, alpha)


def backdrop(top: RGB, bottom: RGB) -> Image.Image:
    """A studio backdrop: a vertical gradient with a soft light behind the specimen."""
    width, height = size()
    ramp = Image.linear_gradient("L").resize((width, height))
    canvas = ImageOps.colorize(ramp, black=top, white=bottom).convert("RGB")
    glow = Image.radial_gradient("L").resize((width, height))
    light = Image.new("RGB", (width, height), shade(top, 1.35))
    canvas.paste(light, (0, 0), ImageOps.invert(glow).point(lambda v: int(v * 0.55)))
    return canvas


def shadow(canvas: Image.Image, centre: tuple[float, float], radii: tuple[float, float]) -> None:
    """A blurred contact shadow under the specimen."""
    width, height = size()
    small = Image.new("L", (width // 8, height // 8), 0)
    cx, cy = centre[0] * small.width, centre[1] * small.height
    rx, ry = radii[0] * small.width / 2, radii[1] * small.height / 2
    ImageDraw.Draw(small).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=150)
    mask = small.filter(ImageFilter.GaussianBlur(6)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    canvas.paste((10, 10, 12), (0, 0), mask)


def blob(
    rng: random.Random, centre: Point, radii: Point, points: int = 18, rough: float = 0.12
) -> list[Point]:
    """An irregular rounded outline (a rock, a slab)."""
    cx, cy = centre
    outline = []
    for i in range(points):
        angle = 2 * math.pi * i / points
        wobble = 1 + rng.uniform(-rough, rough)
        outline.append(
            (cx + radii[0] * wobble * math.cos(angle), cy + radii[1] * wobble * math.sin(angle))
        )
    return outline


def rotate(points: list[Point], origin: Point, angle: float) -> list[Point]:
    """``points`` turned by ``angle`` radians around ``origin``."""
    ox, oy = origin
    cos, sin = math.cos(angle), math.sin(angle)
    return [
        (ox + (x - ox) * cos - (y - oy) * sin, oy + (x - ox) * sin + (y - oy) * cos)
        for x, y in points
    ]


def matrix_rock(
    canvas: Image.Image, rng: random.Random, color: RGB, centre: Point, radii: Point
) -> None:
    """The host rock a group of crystals sits on, speckled."""
    draw = ImageDraw.Draw(canvas)
    outline = blob(rng, centre, radii, 22, 0.1)
    draw.polygon(outline, fill=color)
    for _ in range(900):
        angle, r = rng.uniform(0, 2 * math.pi), math.sqrt(rng.random())
        x = centre[0] + radii[0] * 0.92 * r * math.cos(angle)
        y = centre[1] + radii[1] * 0.9 * r * math.sin(angle)
        dot = rng.uniform(2, 7)
        draw.ellipse(
            (x - dot, y - dot, x + dot, y + dot), fill=shade(color, rng.uniform(0.7, 1.25))
        )
    # light from the top left: a darker lower rim
    draw.line([*outline[2:10]], fill=shade(color, 0.6), width=10, joint="curve")


def cube(
    draw: ImageDraw.ImageDraw,
    centre: Point,
    edge: float,
    color: RGB,
    angle: float = 0.0,
    striations: int = 0,
    alpha: int = 255,
) -> None:
    """An isometric cube seen from above, lit from the top left."""
    cx, cy = centre
    dx = edge * math.cos(math.pi / 6)
    top = [(cx, cy - edge), (cx + dx, cy - edge / 2), (cx, cy), (cx - dx, cy - edge / 2)]
    left = [(cx - dx, cy - edge / 2), (cx, cy), (cx, cy + edge), (cx - dx, cy + edge / 2)]
    right = [(cx, cy), (cx + dx, cy - edge / 2), (cx + dx, cy + edge / 2), (cx, cy + edge)]
    faces = [(left, 0.92), (right, 0.62), (top, 1.28)]
    for face, factor in faces:
        polygon = rotate(face, centre, angle)
        draw.polygon(polygon, fill=paint(shade(color, factor), alpha))
        if striations:
            a, b, c, d = polygon
            for i in range(1, striations):
                t = i / striations
                start = (a[0] + (d[0] - a[0]) * t, a[1] + (d[1] - a[1]) * t)
                end = (b[0] + (c[0] - b[0]) * t, b[1] + (c[1] - b[1]) * t)
                draw.line([start, end], fill=paint(shade(color, factor * 0.86), alpha), width=3)
    for face, _factor in faces:  # bright edges: a metallic or glassy lustre
        polygon = rotate(face, centre, angle)
        draw.line(
            [*polygon, polygon[0]], fill=paint(shade(color, 1.45), alpha), width=4, joint="curve"
        )


def prism(
    draw: ImageDraw.ImageDraw,
    base: Point,
    length: float,
    width: float,
    tip: float,
    angle: float,
    color: RGB,
    alpha: int = 255,
) -> None:
    """A six-sided prism with a pointed end, standing on ``base``, tilted by ``angle``."""
    bx, by = base
    strips = [(-0.5, -0.2, 1.2), (-0.2, 0.22, 0.95), (0.22, 0.5, 0.7)]
    for x0, x1, factor in strips:
        body = [
            (bx + x0 * width, by),
            (bx + x1 * width, by),
            (bx + x1 * width, by - length),
            (bx + x0 * width, by - length),
        ]
        point = [
            (bx + x0 * width, by - length),
            (bx + x1 * width, by - length),
            (bx, by - length - tip),
        ]
        draw.polygon(rotate(body, base, angle), fill=paint(shade(color, factor), alpha))
        draw.polygon(rotate(point, base, angle), fill=paint(shade(color, factor * 1.12), alpha))
    edges = [
        [(bx + x * width, by), (bx + x * width, by - length), (bx, by - length - tip)]
        for x in (-0.5, -0.2, 0.22, 0.5)
    ]
    for edge in edges:
        draw.line(
            rotate(edge, base, angle), fill=paint(shade(color, 1.5), alpha), width=3, joint="curve"
        )


def facets(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    centre: Point,
    radius: float,
    color: RGB,
    contrast: float = 0.5,
) -> None:
    """A faceted lump: a random convex outline cut into triangles shaded by their direction."""
    cx, cy = centre
    count = rng.randint(6, 9)
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(count))
    outline = [
        (
            cx + radius * rng.uniform(0.75, 1.1) * math.cos(a),
            cy + radius * rng.uniform(0.7, 1.0) * math.sin(a),
        )
        for a in angles
    ]
    inner = (cx - radius * 0.18 + rng.uniform(-8, 8), cy - radius * 0.22 + rng.uniform(-8, 8))
    for i, point in enumerate(outline):
        following = outline[(i + 1) % count]
        middle_angle = math.atan2(
            (point[1] + following[1]) / 2 - cy, (point[0] + following[0]) / 2 - cx
        )
        facing = math.cos(middle_angle - math.radians(-135))  # light from the top left
        factor = 1 + contrast * facing if facing > 0 else 1 + contrast * facing * 1.2
        draw.polygon([inner, point, following], fill=shade(color, max(factor, 0.15)))
    for point in outline:
        draw.line([inner, point], fill=shade(color, 1.35), width=3)


def sphere(draw: ImageDraw.ImageDraw, centre: Point, radius: float, color: RGB) -> None:
    """A shaded ball, lit from the top left (a botryoidal bubble)."""
    cx, cy = centre
    steps = 14
    for i in range(steps):
        t = i / steps
        r = radius * (1 - t * 0.85)
        ox, oy = -radius * 0.35 * t, -radius * 0.35 * t
        draw.ellipse(
            (cx + ox - r, cy + oy - r, cx + ox + r, cy + oy + r), fill=shade(color, 0.65 + t * 0.75)
        )


def slab(canvas: Image.Image, outline: list[Point], texture: Image.Image, rim: RGB) -> None:
    """Paste ``texture`` inside ``outline`` and draw a shaded rim."""
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    canvas.paste(texture, (0, 0), mask)
    draw = ImageDraw.Draw(canvas)
    draw.line([*outline, outline[0]], fill=rim, width=8, joint="curve")


def overlay(canvas: Image.Image) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A transparent layer to draw see-through crystals on."""
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    return layer, ImageDraw.Draw(layer)


def merge(canvas: Image.Image, layer: Image.Image) -> None:
    """Lay a transparent layer over the canvas."""
    canvas.paste(layer, (0, 0), layer)


def frange(start: float, stop: float, step: float) -> list[float]:
    """Floats from ``start`` up to ``stop`` by ``step``."""
    return [start + i * step for i in range(int((stop - start) / step) + 1)]
