"""Writes every registered surface as Block Kit JSON, with a Block Kit Builder link for each.

Block Kit Builder takes its payload in the URL fragment, as URL-encoded JSON: the view object
itself for a modal or a Home tab, `{"blocks": [...]}` for a message. That is the form of Slack's
own links: Bolt for Python's docs link a modal as
`https://app.slack.com/block-kit-builder/#%7B%22type%22:%22modal%22,...` (slackapi/bolt-python,
docs/english/concepts/view-submissions.md), and the Block Kit reference's "View in Block Kit
Builder" links a message as `#%7B%22blocks%22:%5B...`. A Home tab is linked the same way with
`"type": "home"`, which no source we found shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from preview.surfaces import MESSAGE, SURFACES, Surface

BUILDER = "https://app.slack.com/block-kit-builder/#"
DEFAULT_OUT = Path(__file__).resolve().parent / "out"  # git-ignored

Written = tuple[Surface, str]  # the surface and its Block Kit Builder link
Failed = tuple[Surface, str]  # the surface and why it could not be built


def builder_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What Block Kit Builder shows: a view as it is; a message's blocks (the app sends no
    attachments; its `text` fallback and `response_type` are not Builder's)."""
    return {"blocks": payload["blocks"]} if kind == MESSAGE else payload


def builder_url(payload: dict[str, Any]) -> str:
    """Compact JSON, every reserved character escaped (as encodeURIComponent would, and more)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return BUILDER + quote(text, safe="")


def read_url(url: str) -> dict[str, Any]:
    """The payload a Block Kit Builder link carries (the inverse of builder_url)."""
    if not url.startswith(BUILDER):
        raise ValueError(f"not a Block Kit Builder link: {url[:80]}")
    return json.loads(unquote(url.removeprefix(BUILDER)))


def write_surface(out: Path, surface: Surface) -> str:
    """Builds one surface, writes `<out>/<area>/<name>.json`, returns its Builder link."""
    payload = builder_payload(surface.kind, surface.build())
    path = out / f"{surface.path}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return builder_url(payload)


def write_all(out: Path, surfaces: Iterable[Surface]) -> tuple[list[Written], list[Failed]]:
    """Every surface that builds is written and printed; one that fails (a builder changed
    under the registry) is reported by name and doesn't stop the others."""
    written: list[Written] = []
    failed: list[Failed] = []
    for surface in surfaces:
        try:
            url = write_surface(out, surface)
        except Exception as error:  # any builder failure is reported, not raised
            failed.append((surface, f"{type(error).__name__}: {error}"))
            continue
        print(f"{surface.path}  {url}", flush=True)
        written.append((surface, url))
    return written, failed


def index(written: list[Written], failed: list[Failed]) -> str:
    """index.md: every surface by area, with its link, what it shows and its JSON file."""
    lines = [
        "# Block Kit preview",
        "",
        "Written by `make preview` (`python -m preview`): each surface built by the app's own",
        "builders with sample data (preview/data.py). A link opens it in Block Kit Builder;",
        "no app install is needed. Regenerate rather than edit: these files are git-ignored.",
    ]
    area = None
    for surface, url in written:
        if surface.area != area:
            area = surface.area
            lines += ["", f"## {area}", "", "| Surface | Shows | JSON |", "| --- | --- | --- |"]
        about = surface.about.replace("|", "\\|")
        file = f"{surface.path}.json"
        lines.append(f"| [{surface.name}]({url}) | {about} | [{file}]({file}) |")
    if failed:
        lines += ["", "## Not built", ""]
        lines += [f"- `{surface.path}`: {error}" for surface, error in failed]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m preview",
        description="Write every surface's Block Kit JSON and print a Block Kit Builder link.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: preview/out/")
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    written, failed = write_all(out, SURFACES)
    (out / "index.md").write_text(index(written, failed), encoding="utf-8")
    for surface, error in failed:
        print(f"not built: {surface.path}: {error}", file=sys.stderr)
    print(f"{len(written)} surfaces written to {out}; see {out / 'index.md'}", file=sys.stderr)
    return 1 if failed else 0
