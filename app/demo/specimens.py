"""The demo specimens of the collection: their texts (``pictures`` draws their pictures).

Thirteen specimens typical of the region: the lead-zinc ores of the Cévennes border
(Les Malines, Saint-Félix-de-Pallières), minerals, the coal and fern fossils of the Alès
basin, Mont Lozère granite, the schists of the Cévennes, and a Toarcian ammonite of the
Causses. One of them is hidden, to show what organisers see of a specimen the public
doesn't. The descriptions stay with well-established facts; the inventory numbers are
made up for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import SpecimenCategory


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
    picture: str  # the name of its drawing in ``pictures.DRAWINGS``
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
