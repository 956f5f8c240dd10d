"""Measure what each public page costs a first-time visitor: requests and bytes transferred.

Usage: ``python tools/page_weights.py [BASE_URL]`` against a running app with the demo
programme (``make run``). Every page is opened in a fresh browser context (empty cache),
in Debian's Chromium through Playwright, like the tests. The sizes are what crossed the
wire (compressed bodies plus headers), as the browser reports them. It books one seat on
the way, to measure the booking's own page, then cancels it.
"""

from __future__ import annotations

import re
import sys

from playwright.sync_api import sync_playwright


def measure(browser, url: str, *, action=None) -> tuple[str, int, int]:
    """Open ``url`` cold and count its transfers; with ``action``, count what it triggers.

    Returns the final URL, the number of requests and the bytes transferred. The live
    poll that starts a few seconds after a page loads is not part of the page.
    """
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    transfers: list[int] = []

    def on_finished(request) -> None:
        """Count one finished request (headers and compressed body)."""
        if "/live/seats" in request.url:
            return
        try:
            sizes = request.sizes()
        except Exception:
            return
        transfers.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

    if action is not None:
        page.goto(url)
    page.on("requestfinished", on_finished)
    if action is None:
        page.goto(url, wait_until="load")
    else:
        action(page)
        page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    final = page.url
    context.close()
    return final, len(transfers), sum(transfers)


def book(page) -> None:
    """Fill the booking form and send it without JavaScript's help being needed."""
    page.get_by_label("Nom et prénom").fill("Mesure Poids")
    page.get_by_label("Adresse e-mail").fill("mesure@example.fr")
    page.get_by_role("button", name="Confirmer la réservation").click()
    page.wait_for_url(re.compile(r"/b/"))


def main() -> None:
    """Print one line per page: requests and kilobytes transferred on a cold load."""
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(locale="fr-FR")
        page.goto(f"{base}/")
        session_path = page.locator(".card__title a").nth(2).get_attribute("href")
        page.goto(f"{base}/collection/")
        specimen_path = page.locator(".specimen-card a, .card a").first.get_attribute("href")
        page.close()
        rows = [
            ("programme", f"{base}/", None),
            ("session", f"{base}{session_path}", None),
            ("gallery", f"{base}/collection/", None),
            ("specimen", f"{base}{specimen_path}", None),
            ("privacy", f"{base}/privacy", None),
            ("login", f"{base}/login", None),
        ]
        results = [(name, *measure(browser, url)) for name, url, _ in rows]
        booking_url, *booked = measure(browser, f"{base}{session_path}", action=book)
        results.append(("booking form sent (htmx)", booking_url, *booked))
        results.append(("booking page", *measure(browser, booking_url)))
        results.append(("cancel step", *measure(browser, f"{booking_url}/cancel")))
        cleanup = browser.new_page(locale="fr-FR")
        cleanup.goto(f"{booking_url}/cancel")
        cleanup.get_by_role("button", name=re.compile("annul", re.IGNORECASE)).click()
        browser.close()
    print(f"{'page':28} {'requests':>8} {'KB':>7}")
    for name, _url, requests, size in results:
        print(f"{name:28} {requests:>8} {size / 1024:>7.1f}")


if __name__ == "__main__":
    main()
