"""The demo: the real Minér'Alès 2023 programme on future dates, and specimens of the collection.

``programme`` holds the press release's events, ``specimens`` the collection's texts,
``pictures`` (with the tools of ``drawing``) draws their illustrations, and ``seed``
loads them all once (``flask seed-demo``).
"""

from .programme import PROGRAMME, week_shift
from .seed import seed_demo, seed_specimens

__all__ = ["PROGRAMME", "seed_demo", "seed_specimens", "week_shift"]
