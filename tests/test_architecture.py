"""The import rules of docs/ARCHITECTURE.md, checked on every `make test`.

A layer may import from the layers below it, never above; features on the same layer don't
import each other; views and models import no I/O. Adding a module means placing it in a layer
here and in the map in docs/ARCHITECTURE.md (the last tests check that the two agree).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bot"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"

# Highest first. A module belongs to the first layer with a prefix that matches it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "entry points and wiring",
        (
            "bot.__main__",
            "bot.wsgi",
            "bot.work",
            "bot.app",
            "bot.deps",
            "bot.cli",
            "bot.gunicorn_hooks",
            "bot.devserver",
        ),
    ),
    ("the /segment router", ("bot.command",)),
    ("features built on creating", ("bot.manage", "bot.people", "bot.workflow")),
    ("creating a segment", ("bot.create",)),
    ("the workspace", ("bot.workspace",)),
    ("platforms and storage", ("bot.slack", "bot.bunce", "bot.store", "bot.config")),
    ("shared words", ("bot.ids", "bot.tenant", "bot.sentences", "bot.log")),
]

# Packages on one layer that must not import each other (either direction).
INDEPENDENT = [
    ("bot.manage", "bot.people"),
    ("bot.manage", "bot.workflow"),
    ("bot.people", "bot.workflow"),
]

# Within the platforms layer: Bunce's client knows nothing of Slack or our database; the store
# knows nothing of Slack.
FORBIDDEN = {
    "bot.bunce": ("bot.slack", "bot.store", "bot.config"),
    "bot.store": ("bot.slack", "bot.config", "bot.bunce.client", "bot.bunce.factory"),
}

# Views, models and text: pure functions of data. They may use Block Kit helpers and plain
# records, nothing that talks to Slack, Bunce or the database.
PURE = re.compile(
    r"^bot\.(\w+\.)?(views|home_view|card|messages|help|model|parse|form|marker|origin)$"
    r"|^bot\.slack\.(blocks|mrkdwn|notice|metadata)$|^bot\.store\.records$|^bot\.sentences$"
)
IMPURE = (
    "bot.store",
    "bot.bunce",
    "bot.slack.calls",
    "bot.slack.clients",
    "bot.slack.modals",
    "bot.slack.posting",
    "bot.slack.socket_mode",
    "slack_sdk",
    "slack_bolt",
    "requests",
    "sqlalchemy",
    "psycopg",
)
PURE_MAY_USE = ("bot.store.records", "bot.bunce.models")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports, as a dotted module path
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[Import]:
    """Every import in the module, at any depth (a function-level import counts too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from bot import ids` imports the module bot.ids, not a name of bot.
                sub = f"{node.module}.{alias.name}"
                found.append(Import(name, sub if sub in known else node.module, node.lineno))
    return found


def all_imports() -> list[Import]:
    found = modules()
    known = set(found)
    return [imp for name, path in found.items() for imp in imports_of(name, path, known)]


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(under(module, prefix) for prefix in prefixes):
            return index
    return None


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else None


def broken_rules(imports: list[Import]) -> list[str]:
    """Each import that breaks a rule, as a sentence a reviewer can act on."""
    problems = []
    for imp in imports:
        if not imp.target.startswith("bot") and not PURE.match(imp.module):
            continue
        where = f"{imp.module} (line {imp.line}) imports {imp.target}"
        mine, theirs = layer_of(imp.module), layer_of(imp.target)
        if (
            imp.target.startswith("bot.")
            and mine is not None
            and theirs is not None
            and theirs < mine
        ):
            problems.append(f"{where}: '{LAYERS[mine][0]}' is below '{LAYERS[theirs][0]}'")
        for a, b in INDEPENDENT:
            for x, y in ((a, b), (b, a)):
                if under(imp.module, x) and under(imp.target, y):
                    problems.append(f"{where}: {x} and {y} are independent features")
        for package, banned in FORBIDDEN.items():
            if under(imp.module, package) and any(under(imp.target, ban) for ban in banned):
                problems.append(f"{where}: {package} must not depend on it")
        impure = any(under(imp.target, bad) for bad in IMPURE)
        allowed = any(under(imp.target, ok) for ok in PURE_MAY_USE)
        if PURE.match(imp.module) and impure and not allowed:
            problems.append(f"{where}: views, models and text do no I/O")
    return problems


def test_every_module_has_a_layer() -> None:
    assert [name for name in modules() if layer_of(name) is None and name != "bot"] == []


def test_imports_follow_the_layers() -> None:
    assert broken_rules(all_imports()) == []


def test_the_composition_root_is_imported_only_by_entry_points() -> None:
    """No hub: features get their own deps; only wiring sees everything the process owns."""
    entry = LAYERS[0][1]
    users = {imp.module for imp in all_imports() if imp.target == "bot.deps"}
    assert {user for user in users if not any(under(user, e) for e in entry)} == set()
    assert "bot.cli" not in users and "bot.config" not in users


@pytest.mark.parametrize(
    ("module", "target", "rule"),
    [
        ("bot.workspace.views", "bot.deps", "is below"),
        ("bot.create.worker", "bot.manage.catalog", "is below"),
        ("bot.people.flow", "bot.manage.jobs", "independent features"),
        ("bot.bunce.client", "bot.slack.calls", "must not depend"),
        ("bot.manage.views", "bot.store.audit", "do no I/O"),
        ("bot.create.views", "slack_sdk", "do no I/O"),
    ],
)
def test_a_broken_rule_is_caught(module: str, target: str, rule: str) -> None:
    """The checker itself can fail: each kind of violation is reported."""
    assert any(rule in problem for problem in broken_rules([Import(module, target, 1)]))


def test_a_view_may_use_records_and_block_kit() -> None:
    allowed = [
        Import("bot.workspace.views", "bot.store.records", 1),
        Import("bot.manage.views", "bot.bunce.models", 1),
        Import("bot.create.views", "bot.slack.blocks", 1),
    ]
    assert broken_rules(allowed) == []


def _mapped_paths() -> set[str]:
    return set(re.findall(r"`(bot/[\w/]+\.py)`", ARCHITECTURE.read_text()))


def test_the_architecture_map_names_every_module() -> None:
    """docs/ARCHITECTURE.md's map and the tree agree: a new module is placed in the docs."""
    on_disk = {str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py")}
    on_disk = {path for path in on_disk if not path.endswith("__init__.py")}
    assert sorted(on_disk - _mapped_paths()) == []


def test_the_architecture_map_names_only_real_modules() -> None:
    assert sorted(path for path in _mapped_paths() if not (ROOT / path).exists()) == []
