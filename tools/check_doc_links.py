"""Check that every relative link in the repository's Markdown files leads somewhere.

Usage: ``python tools/check_doc_links.py`` from the repository root. A link is a file path
relative to the page, optionally with ``#anchor``; an anchor must match a heading of the
target page, spelled as GitHub spells heading anchors. Prints each broken link and exits 1
if there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SKIPPED_DIRECTORIES = {".git", ".venv", "node_modules"}
FENCE = re.compile(r"```.*?```", re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*)")


def markdown_files(root: Path) -> list[Path]:
    """Every .md file of the repository, outside tool and dependency folders."""
    return sorted(
        path
        for path in root.rglob("*.md")
        if not SKIPPED_DIRECTORIES.intersection(path.relative_to(root).parts)
    )


def anchors(page: Path) -> set[str]:
    """The heading anchors GitHub gives ``page``: lower case, punctuation dropped, - for spaces."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        match = HEADING.match(line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken_links(root: Path) -> list[str]:
    """Describe each relative link whose file or anchor does not exist."""
    problems = []
    for page in markdown_files(root):
        for match in LINK.finditer(FENCE.sub("", page.read_text(encoding="utf-8"))):
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto: and the like are not ours to check
            path, _, anchor = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            where = page.relative_to(root)
            if not destination.exists():
                problems.append(f"{where}: {target}: no such file")
            elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                problems.append(f"{where}: {target}: no such heading")
    return problems


def main() -> int:
    """Print the broken links; the exit status says whether there were any."""
    problems = broken_links(Path.cwd())
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
