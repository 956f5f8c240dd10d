"""Take screenshots of the main pages at phone, tablet and laptop widths.

Usage: ``python tools/screenshots.py [BASE_URL] [OUT_DIR]`` against a running app
(``make run``). Uses Debian's Chromium through Playwright, like the tests.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

WIDTHS = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1280, 800)}


def load_lazy_images(page: Page) -> None:
    """Load every picture now: a full-page screenshot does not scroll, so lazy ones stay blank."""
    page.evaluate(
        """() => Promise.all([...document.images].map((img) => {
            img.loading = "eager";
            return img.decode().catch(() => null);
        }))"""
    )


def main() -> None:
    """Visit the programme, a session page with its errors, the collection and a specimen."""
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for label, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height}, locale="fr-FR")
            page.goto(f"{base}/")
            page.screenshot(path=out / f"programme-{label}.png", full_page=True)
            href = page.locator(".card__title a").nth(3).get_attribute("href")
            page.goto(f"{base}{href}")
            page.screenshot(path=out / f"session-{label}.png", full_page=True)
            page.get_by_role("button", name=re.compile("Confirmer")).click()
            page.wait_for_selector(".field__error")
            page.screenshot(path=out / f"session-errors-{label}.png", full_page=True)
            page.goto(f"{base}/collection/")
            load_lazy_images(page)
            page.screenshot(path=out / f"collection-{label}.png", full_page=True)
            href = page.locator(".specimen-card__title a").first.get_attribute("href")
            page.goto(f"{base}{href}")
            load_lazy_images(page)
            page.screenshot(path=out / f"specimen-{label}.png", full_page=True)
            page.close()
        browser.close()
    print(f"screenshots written to {out}/")


if __name__ == "__main__":
    main()
