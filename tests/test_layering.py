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


def users_columns() -> set[str]:
    from bot.db.users import PROFILE_COLUMNS

    return {name.strip() for name in PROFILE_COLUMNS.split(",")}


def column_names_passed_to_users(source: str) -> list[str]:
    """Calls `users.<method>(…)` that name a column of the users table as a keyword, or
    unpack `**{…}` so the keyword is a string chosen at run time."""
    columns = users_columns()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        if name != "users":
            continue
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg in columns:
                found.append(f"{node.lineno}: users.{node.func.attr}({keyword.arg or '**…'}=…)")
    return found


@pytest.mark.parametrize("layer", ["handlers", "services"])
def test_handlers_and_services_name_no_users_column(layer: str) -> None:
    """The facet → column mapping lives in bot/db/users.py; callers use typed setters."""
    bad = [
        f"{path.relative_to(BOT.parent)}:{where}"
        for path in sorted((BOT / layer).rglob("*.py"))
        for where in column_names_passed_to_users(path.read_text(encoding="utf-8"))
    ]
    assert bad == []


def test_the_column_check_sees_both_spellings() -> None:
    source = (
        "async def f(users, column, value):\n"
        "    await users.update(1, **{column: value})\n"
        "    await self.users.update(1, fields_mask=3)\n"
        "    await users.set_fields(1, 3)\n"
    )
    assert column_names_passed_to_users(source) == [
        "2: users.update(**…=…)",
        "3: users.update(fields_mask=…)",
    ]
