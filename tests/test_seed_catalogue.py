"""The seed catalogue is what students read first: every fact dated and sourced, no call open
after its deadline, the same figures in every language, Uzbek Cyrillic fully Cyrillic."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from bot.app import App
from bot.db.calls import CallsRepo
from bot.services.seed import call_from_record, load_seed
from tests.conftest import NOW, TASHKENT

LANGUAGES = ("uz", "uz_Cyrl", "ru", "en")
# The day the catalogue was last checked against its sources, and the project's "today".
CHECKED = datetime(2026, 12, 3, 10, 0, tzinfo=TASHKENT)
MOMENTS = (NOW, CHECKED)
# Pages that list many programmes: a call pointing only there is an umbrella, never dated.
UMBRELLA_PAGES = {
    "https://www.eacea.ec.europa.eu/scholarships/erasmus-mundus-catalogue_en",
    "https://www.daad.de/en/studying-in-germany/scholarships/daad-scholarships/",
}
# Always written in Latin letters, even in Uzbek Cyrillic text.
LATIN_NAMES = re.compile(r"IELTS|TOEFL|PhD")
LINKS = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:[\w-]+\.)+(?:uz|gov|org|eu|de)\b")
LATIN = re.compile(r"[A-Za-z]")
# 1,400 / 1 400 / 1 400 are one number; years and day numbers stay as they are.
NUMBER = re.compile(r"\d+(?:[,\u00a0\u202f ]\d{3}(?!\d))*")

SEED = load_seed()


def published() -> list[dict[str, Any]]:
    return [r for r in SEED if r.get("status", "draft") == "published"]


def numbers(text: str) -> Counter[int]:
    return Counter(int(re.sub(r"\D", "", match)) for match in NUMBER.findall(text))


def latin_words(text: str) -> list[str]:
    text = LATIN_NAMES.sub(" ", LINKS.sub(" ", text))
    return [word for word in re.findall(r"\S+", text) if LATIN.search(word)]


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["external_id"] for r in records]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.date().isoformat())
def test_no_published_call_is_past_its_deadline(moment: datetime) -> None:
    past = [
        r["external_id"]
        for r in published()
        if r.get("deadline_at") and datetime.fromisoformat(r["deadline_at"]) <= moment
    ]
    assert past == []


def test_every_call_names_its_source_and_the_day_it_was_checked() -> None:
    for record in SEED:
        call = call_from_record(record)
        assert call.source_url.startswith("https://"), call.external_id
        assert call.official_url.startswith("https://"), call.external_id
        # A fact cannot have been checked after the catalogue was.
        assert call.verified_on <= CHECKED.date(), call.external_id
        assert record.get("verification_note"), call.external_id


def test_facts_are_not_stamped_with_one_blanket_date() -> None:
    dates = Counter(record["verified_on"] for record in SEED)
    assert len(dates) > 1
    # Pages that describe an older cycle keep that cycle's date.
    assert date.fromisoformat(min(dates)) < date(2026, 1, 1)


@pytest.mark.parametrize("record", SEED, ids=ids(SEED))
def test_the_four_summaries_of_a_call_carry_the_same_figures(record: dict[str, Any]) -> None:
    texts = record["texts"]
    assert set(texts) == set(LANGUAGES)
    english = numbers(texts["en"]["summary"])
    for lang in LANGUAGES:
        assert texts[lang]["title"] and texts[lang]["summary"], lang
        assert numbers(texts[lang]["summary"]) == english, lang


@pytest.mark.parametrize("record", SEED, ids=ids(SEED))
def test_uzbek_cyrillic_text_has_no_latin_words(record: dict[str, Any]) -> None:
    text = record["texts"]["uz_Cyrl"]
    assert latin_words(text["title"]) == []
    assert latin_words(text["summary"]) == []


def test_an_umbrella_entry_carries_no_single_deadline() -> None:
    umbrellas = [
        r
        for r in SEED
        if r.get("umbrella") or {r["official_url"], r["source_url"]} <= UMBRELLA_PAGES
    ]
    assert umbrellas
    assert [r["external_id"] for r in umbrellas if r.get("deadline_at")] == []


def test_a_dated_call_keeps_the_organisers_wall_time_and_zone() -> None:
    dated = [r for r in SEED if r.get("deadline_at")]
    assert dated
    for record in dated:
        moment = datetime.fromisoformat(record["deadline_at"])
        zone = record["deadline_tz"]
        assert zone, record["external_id"]
        assert moment.utcoffset() == moment.astimezone(ZoneInfo(zone)).utcoffset(), zone


def test_a_date_that_only_follows_the_usual_cycle_says_so() -> None:
    usually = {"en": "usually", "ru": "обычно", "uz": "odatda", "uz_Cyrl": "одатда"}
    for record in published():
        if record.get("dates_typical"):
            for lang, word in usually.items():
                assert word in record["texts"][lang]["summary"], (record["external_id"], lang)


def test_the_catalogue_is_grown_from_individual_programmes() -> None:
    erasmus = [r for r in published() if r["programme"] == "erasmus" and not r.get("umbrella")]
    mundus = [r for r in erasmus if r["external_id"].startswith("erasmus-mundus-")]
    assert len(mundus) >= 4
    assert len({r["official_url"] for r in mundus}) == len(mundus)  # each its own page
    assert len(published()) >= 30


async def test_the_bot_loads_every_seeded_call_with_its_status(app: App) -> None:
    calls = CallsRepo(app.db)
    for record in SEED:
        stored = await calls.get_by_external_id(record["external_id"])
        assert stored is not None
        assert stored.status.value == record["status"]
        assert stored.verified_on.isoformat() == record["verified_on"]


@pytest.mark.parametrize("record", SEED, ids=ids(SEED))
def test_uzbek_texts_write_apostrophes_and_dates_as_the_bot_does(record: dict[str, Any]) -> None:
    """One tutuq belgisi (’) in Uzbek Latin, as in the bot's own messages; month names in
    Uzbek Cyrillic as the bot's dates spell them (babel: «15-январ, 2027»)."""
    uz = record["texts"].get("uz", {})
    assert "ʼ" not in uz.get("title", "") + uz.get("summary", "")
    months = {format_date(date(2027, m, 1), "MMMM", locale="uz_Cyrl") for m in range(1, 13)}
    cyrillic = record["texts"].get("uz_Cyrl", {})
    for month in re.findall(
        r"\d{1,2}-([а-яўқғҳ]+?)(?:да|дан|гача|нинг)?\b", cyrillic.get("summary", "")
    ):
        assert month in months, f"{month!r}: write it as the bot does, one of {sorted(months)}"


def test_structured_eligibility_is_only_what_the_seed_text_states_exactly() -> None:
    """EYUF's summaries say "for citizens of Uzbekistan"; the DAAD summer courses' language
    requirement says "German, at least A2". No other call gets a structured condition."""
    calls = {record["external_id"]: call_from_record(record) for record in SEED}
    citizens_only = {key for key, call in calls.items() if call.uz_citizens_only}
    assert citizens_only == {"eyuf-bachelor-2027", "eyuf-master-2027", "eyuf-doctoral-2027"}
    for key in citizens_only:
        assert "citizens of Uzbekistan" in calls[key].texts["en"].summary
    german = {key: call.min_german for key, call in calls.items() if call.min_german}
    assert german == {"daad-summer-courses-2027": "A2"}
    assert "at least A2" in (calls["daad-summer-courses-2027"].language_requirement or "")
    assert not any(
        c.min_ielts or c.min_toefl or c.min_duolingo for c in calls.values()
    )  # no seed text states a minimum score
