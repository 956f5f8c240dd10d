"""Demo specimens of the collection, with pictures drawn here by Pillow (no photographs).

Thirteen specimens typical of the region: the lead-zinc ores of the Cévennes border
(Les Malines, Saint-Félix-de-Pallières), minerals, the coal and fern fossils of the Alès
basin, Mont Lozère granite, the schists of the Cévennes, and a Toarcian ammonite of the
Causses. One of them is hidden, to show what organisers see of a specimen the public
doesn't. The descriptions stay with well-established facts; the inventory numbers are
made up for the demo.

Each picture is a stylised illustration (its alt text says so), drawn twice as large and
reduced for smooth edges, with a seeded random generator, so the same specimen always
gets the same picture. Drawing and encoding take some time, so a process draws each
picture once (``demo_picture`` is cached): tests that seed the demo many times stay quick.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageOps
from sqlalchemy import select

from .extensions import db
from .models import Event, Specimen, SpecimenCategory
from .services import gallery, images

WIDTH, HEIGHT = 1200, 900
SCALE = 2  # drawn at twice the size, then reduced: Pillow draws without anti-aliasing
Point = tuple[float, float]
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class DemoSpecimen:
    """One specimen of the demo and how to draw its picture."""

    number: str
    name: str
    category: SpecimenCategory
    locality: str
    region: str
    description: str
    alt_text: str
    picture: str  # the name of a drawing function below
    formula: str = ""
    age: str = ""
    on_display: bool = True


SPECIMENS: list[DemoSpecimen] = [
    DemoSpecimen(
        number="MA-MNR-0001",
        name="Galène",
        category=SpecimenCategory.ORE,
        formula="PbS",
        locality="Les Malines, Saint-Laurent-le-Minier (Gard)",
        region="Cévennes",
        description=(
            "Sulfure de plomb, principal minerai de ce métal. Ses cristaux cubiques gris de "
            "plomb, à l’éclat métallique, se cassent en petits cubes (clivage parfait) et "
            "sont très lourds (densité d’environ 7,5). Souvent argentifère, la galène a été "
            "exploitée avec la blende dans les mines de plomb et de zinc de la bordure des "
            "Cévennes."
        ),
        alt_text="Illustration : cubes gris métallique de galène groupés sur une roche claire.",
        picture="galena",
    ),
    DemoSpecimen(
        number="MA-MNR-0002",
        name="Sphalérite (blende)",
        category=SpecimenCategory.ORE,
        formula="ZnS",
        locality="Les Malines, Saint-Laurent-le-Minier (Gard)",
        region="Cévennes",
        description=(
            "Sulfure de zinc, principal minerai de ce métal. Les mineurs l’appellent blende, "
            "de l’allemand « blenden », tromper : elle ressemble à un minerai de plomb mais "
            "n’en donne pas. Sa couleur, du jaune miel au noir, dépend du fer qu’elle "
            "contient ; son éclat est résineux à adamantin. Le gisement des Malines a fourni "
            "surtout du zinc."
        ),
        alt_text="Illustration : cristaux brun-noir à facettes brillantes de sphalérite.",
        picture="sphalerite",
    ),
    DemoSpecimen(
        number="MA-MNR-0003",
        name="Cérusite",
        category=SpecimenCategory.ORE,
        formula="PbCO3",
        locality="Saint-Félix-de-Pallières (Gard)",
        region="Cévennes",
        description=(
            "Carbonate de plomb, né de l’altération de la galène près de la surface, dans la "
            "zone d’oxydation des gisements. Blanche ou grise, très brillante (éclat "
            "adamantin) et dense, elle forme souvent des cristaux maclés en V ou en réseau."
        ),
        alt_text="Illustration : fines aiguilles blanches et brillantes de cérusite entrecroisées.",
        picture="cerussite",
    ),
    DemoSpecimen(
        number="MA-MNR-0004",
        name="Smithsonite",
        category=SpecimenCategory.ORE,
        formula="ZnCO3",
        locality="Saint-Félix-de-Pallières (Gard)",
        region="Cévennes",
        description=(
            "Carbonate de zinc de la zone d’oxydation des gisements de zinc, souvent en "
            "masses arrondies (botryoïdes). Avec l’hémimorphite, elle formait la « calamine » "
            "des anciens mineurs. Son nom honore James Smithson, fondateur de la Smithsonian "
            "Institution."
        ),
        alt_text="Illustration : masse de boules bleu-vert arrondies de smithsonite.",
        picture="smithsonite",
    ),
    DemoSpecimen(
        number="MA-MIN-0001",
        name="Pyrite",
        category=SpecimenCategory.MINERAL,
        formula="FeS2",
        locality="La Grand-Combe (Gard)",
        region="Bassin d’Alès",
        description=(
            "Sulfure de fer, surnommé « l’or des fous » pour sa couleur jaune laiton. Ses "
            "cubes aux faces striées sont plus durs que l’acier d’un couteau. Frappée, elle "
            "donne des étincelles, d’où son nom (du grec « pur », le feu). Elle est fréquente "
            "dans les filons et dans le charbon, dont elle apporte une partie du soufre."
        ),
        alt_text="Illustration : cubes dorés aux faces striées de pyrite.",
        picture="pyrite",
    ),
    DemoSpecimen(
        number="MA-MIN-0002",
        name="Quartz hyalin",
        category=SpecimenCategory.MINERAL,
        formula="SiO2",
        locality="Vialas (Lozère)",
        region="Cévennes",
        description=(
            "Dioxyde de silicium, l’un des minéraux les plus communs de la croûte terrestre. Le "
            "cristal de roche forme des prismes à six faces terminés en pointe ; il raye le "
            "verre (dureté 7). Dans les Cévennes, le quartz accompagne les filons métallifères, "
            "comme ceux des anciennes mines de plomb argentifère de Vialas."
        ),
        alt_text="Illustration : groupe de prismes de quartz transparents à pointe hexagonale.",
        picture="quartz",
    ),
    DemoSpecimen(
        number="MA-MIN-0003",
        name="Fluorine",
        category=SpecimenCategory.MINERAL,
        formula="CaF2",
        locality="Tarn",
        region="Massif central",
        description=(
            "Fluorure de calcium, en cubes violets, verts ou jaunes. Elle a donné son nom à la "
            "fluorescence et sert de référence de dureté 4 sur l’échelle de Mohs. Fondant en "
            "métallurgie et source du fluor, elle a été exploitée dans de nombreuses mines du "
            "Massif central."
        ),
        alt_text="Illustration : cubes violets translucides de fluorine.",
        picture="fluorite",
    ),
    DemoSpecimen(
        number="MA-MIN-0004",
        name="Baryte",
        category=SpecimenCategory.MINERAL,
        formula="BaSO4",
        locality="Bordure cévenole (Gard)",
        region="Cévennes",
        description=(
            "Sulfate de baryum, le « spath pesant » des mineurs : étonnamment lourde pour un "
            "minéral clair (densité 4,5). Elle forme des tablettes groupées en crêtes et "
            "accompagne souvent le plomb et le zinc dans les filons. On l’utilise dans les boues "
            "de forage et comme charge."
        ),
        alt_text="Illustration : lames épaisses couleur miel de baryte groupées en éventail.",
        picture="baryte",
        on_display=False,
    ),
    DemoSpecimen(
        number="MA-ROC-0001",
        name="Houille",
        category=SpecimenCategory.ROCK,
        locality="La Grand-Combe (Gard)",
        region="Bassin d’Alès",
        age="Carbonifère supérieur (Stéphanien), vers 300 millions d’années",
        description=(
            "Roche sédimentaire formée par l’enfouissement de végétaux accumulés dans des "
            "marécages et des lacs de la fin du Carbonifère. Noire et brillante, elle a fait "
            "vivre le bassin houiller des Cévennes, autour d’Alès et de La Grand-Combe, "
            "pendant des siècles."
        ),
        alt_text="Illustration : blocs noirs et brillants de houille aux cassures anguleuses.",
        picture="coal",
    ),
    DemoSpecimen(
        number="MA-FOS-0001",
        name="Fougère fossile (Pecopteris)",
        category=SpecimenCategory.FOSSIL,
        locality="La Grand-Combe (Gard)",
        region="Bassin d’Alès",
        age="Carbonifère supérieur (Stéphanien), vers 300 millions d’années",
        description=(
            "Empreinte de feuillage de fougère arborescente dans un schiste du terrain houiller. "
            "Les petites folioles serrées, attachées par toute leur base, sont typiques du genre "
            "Pecopteris, très commun dans la flore stéphanienne du bassin d’Alès, comme les "
            "prêles géantes (Calamites)."
        ),
        alt_text="Illustration : empreinte claire d’une fronde de fougère sur un schiste gris foncé.",
        picture="fern",
    ),
    DemoSpecimen(
        number="MA-ROC-0002",
        name="Granite porphyroïde",
        category=SpecimenCategory.ROCK,
        locality="Mont Lozère (Lozère)",
        region="Cévennes",
        age="Carbonifère (chaîne varisque)",
        description=(
            "Roche magmatique refroidie lentement en profondeur pendant la formation de la "
            "chaîne varisque. On y voit de grands cristaux de feldspath dans un fond de quartz, "
            "de feldspath et de mica noir (biotite). Dégagé par l’érosion, il forme les chaos "
            "de boules du mont Lozère et a bâti ses villages."
        ),
        alt_text="Illustration : tranche polie de granite clair tachetée de grands feldspaths et de mica noir.",
        picture="granite",
    ),
    DemoSpecimen(
        number="MA-ROC-0003",
        name="Micaschiste des Cévennes",
        category=SpecimenCategory.ROCK,
        locality="Vallée Française (Lozère)",
        region="Cévennes",
        age="Paléozoïque inférieur, métamorphisé pendant l’orogenèse varisque",
        description=(
            "Ancienne argile transformée en profondeur par la chaleur et la pression : ses "
            "micas, alignés en feuillets, brillent au soleil. Ce schiste se débite en dalles, "
            "les lauzes des toits cévenols, et a fourni la pierre des murs des terrasses "
            "(faïsses) qui façonnent les vallées."
        ),
        alt_text="Illustration : dalle de schiste gris argenté aux feuillets ondulés.",
        picture="schist",
    ),
    DemoSpecimen(
        number="MA-FOS-0002",
        name="Ammonite (Hildoceras bifrons)",
        category=SpecimenCategory.FOSSIL,
        locality="Bordure du causse de Sauveterre (Lozère)",
        region="Causses",
        age="Jurassique inférieur (Toarcien), vers 180 millions d’années",
        description=(
            "Coquille enroulée d’un céphalopode marin, cousin des seiches et des nautiles. "
            "Hildoceras bifrons, aux côtes en faucille et au sillon spiral, est un fossile "
            "caractéristique du Toarcien : il date les marnes déposées dans la mer qui "
            "recouvrait alors l’emplacement des Causses."
        ),
        alt_text="Illustration : ammonite enroulée brun clair à côtes fines sur un calcaire beige.",
        picture="ammonite",
    ),
]


# Seeding


def seed_specimens(exhibition: Event | None) -> int:
    """Create the demo specimens not there yet (by inventory number); return how many.

    They are shown by ``exhibition`` (the guided visit of the collection) when it exists.
    """
    existing = set(db.session.scalars(select(Specimen.inventory_number)))
    created = 0
    for item in SPECIMENS:
        if item.number in existing:
            continue
        specimen = Specimen(
            inventory_number=item.number,
            name=item.name,
            category=item.category,
            formula=item.formula,
            locality=item.locality,
            region=item.region,
            age=item.age,
            description=item.description,
            on_display=item.on_display,
            event=exhibition,
        )
        specimen.search_text = gallery.search_text_of(specimen)
        specimen.images.append(
            gallery.image_row(gallery.NewImage(demo_picture(item.number), item.alt_text))
        )
        db.session.add(specimen)
        created += 1
    return created


@cache
def demo_picture(number: str) -> images.PreparedImage:
    """The renditions of a demo specimen's picture (drawn once per process)."""
    item = next(s for s in SPECIMENS if s.number == number)
    return images.renditions(draw(item.picture, number))


def draw(picture: str, seed: str) -> Image.Image:
    """Draw the named picture on a studio backdrop; ``seed`` fixes its random details."""
    rng = random.Random(seed)  # noqa: S311 (a drawing's details, not a secret)
    canvas = backdrop(*BACKDROPS.get(picture, ((70, 76, 84), (28, 31, 36))))
    shadow(canvas, (0.5, 0.8), (0.62, 0.1))
    DRAWINGS[picture](canvas, rng)
    return canvas.reduce(SCALE)


# Drawing tools (coordinates in pixels of the supersampled canvas)


def size() -> tuple[int, int]:
    """The supersampled canvas size."""
    return WIDTH * SCALE, HEIGHT * SCALE


def px(x: float, y: float) -> Point:
    """A point given as fractions of the canvas."""
    width, height = size()
    return x * width, y * height


def shade(color: RGB, factor: float) -> RGB:
    """A lighter (factor > 1) or darker (< 1) version of ``color``."""
    if factor >= 1:
        return tuple(round(c + (255 - c) * (factor - 1)) for c in color)  # type: ignore[return-value]
    return tuple(round(c * factor) for c in color)  # type: ignore[return-value]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` blended towards ``b`` by ``t``."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


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


def frange(start: float, stop: float, step: float) -> list[float]:
    """Floats from ``start`` up to ``stop`` by ``step``."""
    return [start + i * step for i in range(int((stop - start) / step) + 1)]


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
