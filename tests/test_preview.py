"""`make preview` (python -m preview): every registered surface is written, valid Block Kit, and
linked to Block Kit Builder with exactly what was written; and the registry keeps up with the
builders, so a new `build_*` without a preview fails here instead of quietly going unseen."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any
from urllib.parse import unquote

import pytest

from preview import write
from preview.surfaces import HOME, MESSAGE, MODAL, SURFACES, Surface
from tests.schemas import assert_valid_home, assert_valid_message, assert_valid_modal

ROOT = Path(__file__).resolve().parent.parent
BUILDER_FILES = [
    *sorted(ROOT.glob("bot/*/views.py")),
    *sorted(ROOT.glob("bot/*/home_view.py")),
    ROOT / "bot/create/card.py",
    ROOT / "bot/slack/notice.py",
    ROOT / "bot/command/help.py",
]

# Public builders that need no preview of their own, each with the reason. None so far:
# build_segment_options returns options, not a view, so people/segment_options shows them in a
# static select; build_segment_card is previewed through CardMaker.card, as the app posts it.
NOT_SURFACES: dict[str, str] = {}

VALIDATE: dict[str, Callable[[Any], None]] = {
    MODAL: assert_valid_modal,
    HOME: assert_valid_home,
    MESSAGE: assert_valid_message,
}


@dataclass(frozen=True)
class Run:
    out: Path
    code: int
    urls: dict[str, str]  # area/name → the printed link
    stderr: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("preview")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = write.main(["--out", str(out)])
    lines = stdout.getvalue().splitlines()
    return Run(out, code, dict(line.split("  ", 1) for line in lines), stderr.getvalue())


def test_every_registered_surface_is_built_and_printed_once(run: Run) -> None:
    assert run.code == 0, run.stderr
    paths = [surface.path for surface in SURFACES]
    assert len(set(paths)) == len(paths)
    assert list(run.urls) == paths


@pytest.mark.parametrize("surface", SURFACES, ids=lambda surface: surface.path)
def test_each_surface_is_written_valid_and_linked(run: Run, surface: Surface) -> None:
    sent = surface.build()
    VALIDATE[surface.kind](sent)
    written = json.loads((run.out / f"{surface.path}.json").read_text(encoding="utf-8"))
    assert written == write.builder_payload(surface.kind, sent)
    if surface.kind == MESSAGE:
        assert set(written) == {"blocks"}
    else:
        assert written["type"] == surface.kind
    url = run.urls[surface.path]
    assert url.startswith("https://app.slack.com/block-kit-builder/#")
    fragment = url.split("#", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9%._~-]+", fragment), "every reserved character is escaped"
    assert json.loads(unquote(fragment)) == written


def test_the_index_links_every_surface_and_its_file(run: Run) -> None:
    index = (run.out / "index.md").read_text(encoding="utf-8")
    for surface in SURFACES:
        assert f"[{surface.name}]({run.urls[surface.path]})" in index
        assert f"({surface.path}.json)" in index


def test_every_public_builder_is_previewed() -> None:
    builders = _public_builders()
    called = _codes_called_while(lambda: [surface.build() for surface in SURFACES])
    missing = [
        name
        for name, function in builders.items()
        if function.__code__ not in called and name not in NOT_SURFACES
    ]
    assert missing == [], "add a surface to preview/surfaces.py (or a reason to NOT_SURFACES)"
    assert sorted(set(NOT_SURFACES) - set(builders)) == [], "an exclusion names no builder"


def test_a_surface_that_fails_is_reported_and_the_others_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> dict[str, Any]:
        raise TypeError("build_add_people_modal() got an unexpected keyword argument 'count'")

    surfaces = [SURFACES[0], Surface("people", "broken", MODAL, "a builder that changed", broken)]
    monkeypatch.setattr(write, "SURFACES", surfaces)

    assert write.main(["--out", str(tmp_path)]) == 1

    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith(f"{SURFACES[0].path}  https://")
    assert "not built: people/broken: TypeError" in err
    assert (tmp_path / f"{SURFACES[0].path}.json").is_file()
    assert not (tmp_path / "people" / "broken.json").exists()
    assert "`people/broken`: TypeError" in (tmp_path / "index.md").read_text(encoding="utf-8")


def _public_builders() -> dict[str, Callable[..., Any]]:
    """module.build_x → the function, for each build_* a builder module defines (not imports)."""
    found = {}
    for path in BUILDER_FILES:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(name)
        for attribute, function in inspect.getmembers(module, inspect.isfunction):
            if attribute.startswith("build_") and function.__module__ == name:
                found[f"{name}.{attribute}"] = function
    assert found, "no builders found: has bot/ moved?"
    return found


def _codes_called_while(action: Callable[[], object]) -> set[CodeType]:
    """Every Python function called, however deeply, while `action` runs."""
    called: set[CodeType] = set()

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call":
            called.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(previous)
    return called
