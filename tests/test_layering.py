"""The layers hold: keyboards, texts and the domain never reach into the database, and the
domain stays plain Python (no aiogram), so it can be unit-tested and reused anywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """Every module a file imports, with its line, however it is spelled: `import a.b`,
    `from a.b import c` (as `a.b` and `a.b.c`, since c may be a module), inside functions
    and under `if TYPE_CHECKING:` too. Relative imports are resolved against `package`."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    bad: dict[str, str] = {}
    for path in sorted((BOT / layer).rglob("*.py")):
        package = ".".join(path.relative_to(BOT.parent).parts[:-1])
        for line, module in imported_modules(path.read_text(encoding="utf-8"), package):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                # One report per import statement: `from bot.db.x import A, B` is one mistake.
                bad.setdefault(f"{path.relative_to(BOT.parent)}:{line}", module)
    return [f"{where} imports {module}" for where, module in bad.items()]


@pytest.mark.parametrize("layer", ["keyboards", "texts", "domain"])
def test_layer_does_not_import_the_database(layer: str) -> None:
    assert violations(layer, ("bot.db",)) == []


def test_domain_is_plain_python() -> None:
    assert violations("domain", ("aiogram", "aiosqlite", "sqlite3", "bot.db")) == []


def test_the_walker_sees_every_spelling_of_an_import() -> None:
    """Guard the guard: a checker that missed `from ..db import x` would pass anything."""
    source = (
        "import bot.db.calls\n"
        "from bot.db import users\n"
        "from ..db.outbox import Push\n"
        "def f():\n"
        "    from aiogram import Bot\n"
    )
    seen = {name for _, name in imported_modules(source, "bot.domain")}
    assert {"bot.db.calls", "bot.db.users", "bot.db.outbox", "aiogram"} <= seen
