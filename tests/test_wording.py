"""Students and staff read their own language: Cyrillic names in Uzbek Cyrillic, Russian
counts in the right plural form, dates written the Uzbek way in both scripts."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.domain.catalog_rows import RowError
from bot.fake_telegram import LocalTelegram, LocalUser
from bot.services.catalog_files import ImportPlan
from bot.texts import admin as admin_texts
from bot.texts import broadcast as broadcast_texts
from bot.texts import tickets as ticket_texts
from bot.texts.formatting import fmt_date
from tests.conftest import onboard

TASHKENT = ZoneInfo("Asia/Tashkent")


async def test_uzbek_cyrillic_names_the_bot_and_the_programmes_in_cyrillic(
    telegram: LocalTelegram,
) -> None:
    student = LocalUser(id=7001, first_name="Дилшод", language_code="uz")
    await onboard(telegram, student, language="Ўзбекча", level="Магистратура", fields=("АКТ",))
    await telegram.send(student, "/about")
    about = telegram.last_bot_text(student.id)
    assert "Имкон" in about and "Imkon" not in about
    await telegram.send(student, "/help")
    help_text = telegram.last_bot_text(student.id)
    assert "Эрасмус+" in help_text and "Фулбрайт" in help_text
    assert "Erasmus" not in help_text and "Fulbright" not in help_text


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (1, "1 активный пользователь"),
        (3, "3 активных пользователя"),
        (5, "5 активных пользователей"),
    ],
)
def test_russian_recipient_counts_agree_with_the_number(app: App, count: int, words: str) -> None:
    with app.i18n.context(), app.i18n.use_locale("ru"):
        assert words in broadcast_texts.recipients(count)


def test_a_long_import_report_counts_the_hidden_lines_in_russian(app: App) -> None:
    # The error list is a heading, a blank line and one line per error: one line too many.
    errors = [
        (n, RowError("status", "required")) for n in range(admin_texts.REPORT_LINES_INLINE - 1)
    ]
    plan = ImportPlan(filename="calls.csv", errors=errors)
    with app.i18n.context(), app.i18n.use_locale("ru"):
        text, full = admin_texts.plan_report(plan)
    assert "ещё 1 строка:" in text and full is not None


def test_a_ticket_closed_by_an_unnamed_coordinator_reads_in_the_nominative(app: App) -> None:
    with app.i18n.context(), app.i18n.use_locale("ru"):
        text = ticket_texts.closed_in_work_chat(12, by_student=False, name=None)
    assert text == "✅ Координатор закрыл обращение #12."


@pytest.mark.parametrize(
    ("locale", "written"),
    [("uz", "15-yanvar, 2027"), ("uz_Cyrl", "15-январ, 2027"), ("ru", "15 января 2027\u202fг.")],
)
def test_long_dates_are_written_the_same_way_in_both_uzbek_scripts(
    locale: str, written: str
) -> None:
    assert fmt_date(date(2027, 1, 15), locale, TASHKENT) == written
