"""The demo programme: the real Minér'Alès 2023 week, moved to future dates.

Source: the IMT Mines Alès press release of 5 April 2023.

The week moves to a future May by whole weeks (see ``week_shift``).

One correction: the release lists « Jeudi 26 mai à 18h » for Laurence Maurice's talk,
but 26 May 2023 was a Friday. We keep the weekday (Thursday 25 May): the other items of
the same list give Thursday and Friday together as « jeudi 25 et vendredi 26 », so the
day number is the likelier typo, and it leaves one evening talk on Tuesday and one on
Thursday.

Capacities are ours (the release gives none): a guided visit of the collection works
with about 20 people, the film and talk rooms take 40 to 60, a field hike 25.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..models import EventKind
from ..timeutil import PARIS

EARLIEST_2023_DAY = date(2023, 5, 11)  # the professional day


@dataclass(frozen=True)
class DemoSession:
    """A session at a 2023 date and local (Paris) times."""

    day: date
    start: time
    end: time


@dataclass(frozen=True)
class DemoEvent:
    """An event of the press release with its venue key and sessions."""

    slug: str
    kind: EventKind
    title: str
    summary: str
    venue: str
    capacity: int
    sessions: list[DemoSession]
    description: str = ""
    speakers: str = ""
    organisers: str = ""
    accessibility_notes: str = ""
    distance_km: float | None = None
    difficulty: str = ""
    extra: dict[str, str] = field(default_factory=dict)


VENUES: dict[str, dict[str, object]] = {
    "hub": {
        "name": "Le Hub, site Croupillac – IMT Mines Alès",
        "address": "7 rue Jules Renard",
        "city": "30100 Alès",
        "step_free": True,
        "access_notes": (
            "Signalez vos besoins (fauteuil, aide à la visite, "
            "accompagnant) dans le formulaire : l’équipe vous accueille."
        ),
    },
    "croupillac": {
        "name": "Site Croupillac – IMT Mines Alès",
        "address": "7 rue Jules Renard",
        "city": "30100 Alès",
        "step_free": True,
        "access_notes": "",
    },
    "ptit-corner": {
        "name": "Le P’tit Corner",
        "address": "",
        "city": "Alès",
        "step_free": False,
        "access_notes": "Bar en centre-ville : demandez à l’équipe les conditions d’accès.",
    },
    "vialas": {
        "name": "Vialas (Lozère)",
        "address": "Point de rendez-vous envoyé par e-mail avant la sortie",
        "city": "48220 Vialas",
        "step_free": False,
        "access_notes": "",
    },
    "amous": {
        "name": "Chaos de l’Amous",
        "address": "Point de rendez-vous envoyé par e-mail avant la sortie",
        "city": "30140 Saint-Sébastien-d’Aigrefeuille",
        "step_free": False,
        "access_notes": "",
    },
    "pallieres": {
        "name": "Pallières (Gard)",
        "address": "Point de rendez-vous envoyé par e-mail avant la sortie",
        "city": "30140 Saint-Félix-de-Pallières",
        "step_free": False,
        "access_notes": "",
    },
}

WEEK = [date(2023, 5, day) for day in (23, 24, 25, 26)]  # Tuesday to Friday
HIKE_NOTE = (
    "Sortie de terrain sur sentier, non accessible en fauteuil. Chaussures de marche, "
    "eau et vêtements adaptés à la météo."
)

PROGRAMME: list[DemoEvent] = [
    DemoEvent(
        slug="journee-professionnelle",
        kind=EventKind.PRO_DAY,
        title="Les ressources minérales du Massif central occitan",
        summary=(
            "Ressources minérales dans le Massif central occitan et son pourtour : réseau de "
            "connaissances, outils de médiation, collaborations."
        ),
        description=(
            "Une journée pour développer un réseau de connaissances, faire circuler des outils "
            "de médiation et nouer des collaborations dans un esprit de culture scientifique, "
            "en lien avec les programmes de recherche en cours."
        ),
        organisers="IMT Mines Alès",
        venue="croupillac",
        capacity=80,
        sessions=[DemoSession(date(2023, 5, 11), time(9, 0), time(17, 30))],
    ),
    DemoEvent(
        slug="exposition-commentee",
        kind=EventKind.VISIT,
        title="Exposition commentée des collections de géologie",
        summary="Minéraux, minerais, roches et fossiles des collections d’IMT Mines Alès, présentés par des médiateurs.",
        description=(
            "Découvrez le monde minéral à travers une partie des collections inscrites à "
            "l’inventaire national du patrimoine géologique, avec un focus sur le patrimoine "
            "cévenol, le Massif central occitan et ses bordures."
        ),
        organisers=(
            "Expositions : IRD, IMT Mines Alès, PSL Mines Paris, SIM. "
            "Médiation : IMT Mines Alès, Eurêk’Alès, SIM."
        ),
        venue="hub",
        capacity=20,
        accessibility_notes="Visite d’environ 45 minutes, en grande partie debout ; des sièges sont disponibles.",
        sessions=[
            DemoSession(day, time(hour, 0), time(hour, 45)) for day in WEEK for hour in (14, 15, 16)
        ],
    ),
    DemoEvent(
        slug="film-ogres-et-prehistoire",
        kind=EventKind.FILM,
        title="Ogres et préhistoire",
        summary="Projection du midi sur le thème « Ogres et préhistoire ».",
        venue="hub",
        capacity=40,
        sessions=[DemoSession(date(2023, 5, 23), time(12, 45), time(13, 45))],
    ),
    DemoEvent(
        slug="film-la-mine-au-bois-d-argent",
        kind=EventKind.FILM,
        title="La mine au Bois d’argent",
        summary="Les mines et forges de Vialas.",
        venue="hub",
        capacity=40,
        sessions=[
            DemoSession(date(2023, 5, 24), time(12, 45), time(13, 45)),
            DemoSession(date(2023, 5, 25), time(12, 45), time(13, 45)),
        ],
    ),
    DemoEvent(
        slug="film-un-jour-la-mer-se-retira",
        kind=EventKind.FILM,
        title="Un jour, la mer se retira…",
        summary="La géologie d’une vallée de Haute-Provence.",
        venue="hub",
        capacity=40,
        sessions=[DemoSession(date(2023, 5, 26), time(12, 45), time(13, 45))],
    ),
    DemoEvent(
        slug="de-la-pierre-aux-etoiles",
        kind=EventKind.CONFERENCE,
        title="De la Pierre aux Étoiles",
        summary="Dans le cadre du festival international Pint of Science.",
        venue="ptit-corner",
        capacity=40,
        sessions=[DemoSession(date(2023, 5, 23), time(19, 0), time(20, 30))],
    ),
    DemoEvent(
        slug="les-cailloux-dans-le-monde-des-hommes",
        kind=EventKind.CONFERENCE,
        title="Les cailloux dans le monde des hommes",
        summary="Par la Société de l’Industrie Minérale.",
        speakers="Jean-Pierre Rolley et Michel Derancourt (Société de l’Industrie Minérale)",
        venue="croupillac",
        capacity=60,
        sessions=[
            DemoSession(date(2023, 5, 25), time(14, 0), time(15, 15)),
            DemoSession(date(2023, 5, 26), time(14, 0), time(15, 15)),
        ],
    ),
    DemoEvent(
        slug="les-metiers-de-l-industrie-minerale",
        kind=EventKind.CONFERENCE,
        title="Les métiers de l’Industrie minérale",
        summary="Par la Société de l’Industrie Minérale.",
        speakers="Jean-Pierre Rolley et Michel Derancourt (Société de l’Industrie Minérale)",
        venue="croupillac",
        capacity=60,
        sessions=[
            DemoSession(date(2023, 5, 25), time(15, 30), time(16, 45)),
            DemoSession(date(2023, 5, 26), time(15, 30), time(16, 45)),
        ],
    ),
    DemoEvent(
        slug="geo-ressources-environnement-durabilite",
        kind=EventKind.CONFERENCE,
        title="Géo-ressources, Environnement et Durabilité",
        summary="Dans le cadre de la journée de la Chaire Minérale & Territoires.",
        speakers="Laurence Maurice (IRD)",
        venue="croupillac",
        capacity=60,
        # The release says « Jeudi 26 mai »: we keep Thursday (25 May 2023), see above.
        sessions=[DemoSession(date(2023, 5, 25), time(18, 0), time(19, 30))],
    ),
    DemoEvent(
        slug="randonnee-vialas",
        kind=EventKind.HIKE,
        title="Le site minier de Vialas",
        summary="Avec l’association « Le Filon des Anciens », dans le cadre des Journées nationales de la géologie.",
        organisers="Le Filon des Anciens",
        venue="vialas",
        capacity=25,
        accessibility_notes=HIKE_NOTE,
        distance_km=6.0,
        difficulty="moderate",
        sessions=[DemoSession(date(2023, 5, 27), time(14, 0), time(17, 30))],
    ),
    DemoEvent(
        slug="randonnee-chaos-de-l-amous",
        kind=EventKind.HIKE,
        title="Le Chaos de l’Amous",
        summary="Avec l’AGAR, dans le cadre des Journées nationales de la géologie.",
        organisers="AGAR",
        venue="amous",
        capacity=25,
        accessibility_notes=HIKE_NOTE,
        distance_km=5.0,
        difficulty="easy",
        sessions=[DemoSession(date(2023, 5, 28), time(14, 0), time(17, 0))],
    ),
    DemoEvent(
        slug="randonnee-pallieres",
        kind=EventKind.HIKE,
        title="Pallières",
        summary="Une journée avec « Pierre, Feuille, Cigale », dans le cadre des Journées nationales de la géologie.",
        organisers="Pierre, Feuille, Cigale",
        venue="pallieres",
        capacity=25,
        accessibility_notes=HIKE_NOTE + " Prévoir un pique-nique.",
        distance_km=12.0,
        difficulty="moderate",
        sessions=[DemoSession(date(2023, 5, 29), time(10, 0), time(17, 0))],
    ),
]


def week_shift(today: date, lead_days: int = 14) -> timedelta:
    """How far to move the 2023 dates: whole weeks, so every weekday is kept.

    The week lands in May again (the season of the Journées nationales de la géologie),
    in the first year where its earliest date is at least ``lead_days`` away.
    """
    year = today.year
    while True:
        shift = timedelta(weeks=round((date(year, 5, 11) - EARLIEST_2023_DAY).days / 7))
        if EARLIEST_2023_DAY + shift >= today + timedelta(days=lead_days):
            return shift
        year += 1


def localised(day: date, at: time, shift: timedelta) -> datetime:
    """A Paris wall-clock time on the shifted day, as an aware datetime."""
    return datetime.combine(day + shift, at, tzinfo=PARIS)
