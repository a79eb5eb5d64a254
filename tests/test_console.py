"""The console chat (`make run` without a token): a person types lines, the bot's messages are
printed with numbered buttons, and ':' commands switch who is typing and where."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.app import App
from bot.clock import FakeClock
from bot.config import PROJECT_ROOT
from bot.console import CONSOLE_HELP, Console, OffsetClock
from bot.fake_telegram import LocalSession
from tests.conftest import ADMIN_ID
from tests.support.factories import add_call, days


def console(app: App, session: LocalSession, clock: FakeClock) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(app, session, OffsetClock(clock), out=out), out


def number_of(out: io.StringIO, label: str) -> str:
    """The number the console printed for a button of its latest keyboard."""
    numbers = re.findall(rf"^  \[(\d+)\] [^\n]*{re.escape(label)}", out.getvalue(), re.M)
    assert numbers, f"no button {label!r} printed"
    return numbers[-1]


async def test_a_student_onboards_by_typing_button_numbers(
    app: App, session: LocalSession, clock: FakeClock
) -> None:
    con, out = console(app, session, clock)

    def script() -> Iterator[str]:
        # Lazily evaluated: each number is read from what the console has printed so far.
        yield "/start"
        yield number_of(out, "English")
        yield number_of(out, "Master")
        yield number_of(out, "ICT")
        yield number_of(out, "Done")

    await con.run(lines=script())
    text = out.getvalue()

    assert text.startswith("Imkon console. Type /start to begin")
    assert "── bot ──" in text and "Choose your language" in text
    assert re.search(r"^  \[1\] 🇺🇿 O‘zbekcha$", text, re.M)  # Telegram language uz comes first
    assert re.search(r"^  \[4\] 🇬🇧 English$", text, re.M)
    assert "── bot (edited) ──" in text
    assert "What level are you studying for?" in text
    assert re.search(r"^  \[\d+\] ✅ ICT$", text, re.M)  # the toggle shows its tick
    results = text.rsplit("── bot (edited) ──", 1)[1]
    assert re.search(r"Erasmus\+|Fulbright|DAAD|El-Yurt Umidi", results)
    assert "<b>" not in text  # HTML is rendered as plain terminal text


async def test_a_number_without_such_button_is_explained_not_sent(
    app: App, session: LocalSession, clock: FakeClock
) -> None:
    con, out = console(app, session, clock)
    await con.run(lines=iter(["/start", "99"]))
    assert "  ! no button 99 in chat 100001" in out.getvalue()
    assert [m.text for m in con.telegram.transcript(100001) if not m.from_bot] == ["/start"]


async def test_as_switches_the_typing_user(
    app: App, session: LocalSession, clock: FakeClock
) -> None:
    con, out = console(app, session, clock)
    await con.run(lines=iter([f":as {ADMIN_ID} Dilnoza", "/start"]))

    assert f"  now typing as user {ADMIN_ID} (Dilnoza)" in out.getvalue()
    assert "Choose your language" in out.getvalue()
    assert session.requests[-1].chat_id == ADMIN_ID
    assert con.telegram.transcript(100001) == []


async def test_chat_moves_the_conversation_into_a_group_and_back(
    app: App, session: LocalSession, clock: FakeClock
) -> None:
    con, out = console(app, session, clock)
    await con.run(
        lines=iter([":chat -100777 forum", "hello from the group", ":show", ":chat private"])
    )
    text = out.getvalue()

    assert "  now in group -100777 (forum)" in text
    assert re.search(r"^#\d+ you: hello from the group$", text, re.M)
    assert "  now in your private chat with the bot" in text
    assert con.chat_id == 100001
    assert [m.text for m in con.telegram.transcript(-100777)] == ["hello from the group"]


async def test_unknown_console_command_and_help_and_quit(
    app: App, session: LocalSession, clock: FakeClock
) -> None:
    con, out = console(app, session, clock)
    await con.run(lines=iter([":bogus", ":help", ":quit", "/start"]))
    text = out.getvalue()

    assert "  unknown console command; :help lists them" in text
    assert "Console commands:" in text and ":as ID [NAME]" in text
    assert "Choose your language" not in text  # nothing is read after :quit
    assert session.requests == []


def test_python_m_bot_without_token_opens_the_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env.update(DATABASE_PATH=str(tmp_path / "console.sqlite3"), PYTHONPATH=str(PROJECT_ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="/start\n:quit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # no .env file here: the token really is unset
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "Imkon console." in result.stdout
    assert "Choose your language" in result.stdout  # the greeting, in all four languages
    assert re.search(r"\[\d\] 🇬🇧 English", result.stdout)
    assert (tmp_path / "console.sqlite3").exists()


async def test_the_console_runs_inline_queries_and_opens_deep_links(
    app: App, session: LocalSession, clock: FakeClock
) -> None:
    call_id = await add_call(app, title="Zebrafish biology", deadline=clock.now() + days(30))
    con, out = console(app, session, clock)
    script = [":help", ":inline zebrafish", ":pick 1", f":start c{call_id}", "1"]
    await con.run(lines=iter(script))  # "1": O‘zbekcha, first for the console's uz app
    text = out.getvalue()
    assert ":inline [TEXT]" in CONSOLE_HELP and ":inline [TEXT]" in text
    assert "── inline results for «zebrafish»" in text
    assert re.search(r"^  \[1\] Zebrafish biology$", text, re.M)
    assert "you sent result 1 via the bot" in text
    sent = [m for m in session.log(con.user.id).visible() if not m.from_bot]
    assert any("<b>Zebrafish biology</b>" in m.text for m in sent)  # the card is in the chat
    assert "Choose your language" in text  # the link's new student: the language first
    card = text.rsplit("── bot (edited) ──", 1)[1]
    assert "🎓 Zebrafish biology" in card
    assert "📤 Ulashish → https://t.me/share/url?url=" in card
    assert "What level" not in card and "Qaysi" in text.rsplit("── bot ──", 1)[1]


async def test_the_console_shares_a_location_to_set_the_time_zone(
    app: App, session: LocalSession, clock: FakeClock
) -> None:
    con, out = console(app, session, clock)
    # /start, English, then /settings → 🌍 Time zone (7) → 📍 Find it from my location (13).
    script = ["/start", "4", "/settings", "7", "13", ":location 48.14 11.58"]
    script += [":location north pole", ":location 91 0"]
    await con.run(lines=iter(script))
    text = out.getvalue()
    assert ":location LAT LON" in CONSOLE_HELP
    assert "✅ Time zone set: Berlin · Paris" in text
    profile = await app.repos.users.get(con.user.id)
    assert profile is not None and profile.time_zone == "Europe/Berlin"
    # Words, or a latitude past the pole: nothing is sent, the console says what it wants.
    assert text.count("  ! a location is LAT LON in degrees") == 2
