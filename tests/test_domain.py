"""Rules without Telegram: script folding, splitting, field toggling, day counts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calls import days_left
from bot.domain.profile import ALL_FIELDS_MASK, Field, toggle_field
from bot.domain.translit import fold, fts_query
from bot.texts.formatting import split_message

TASHKENT = ZoneInfo("Asia/Tashkent")


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("O‘zbekiston", "Ўзбекистон"),
        ("G‘alaba", "Ғалаба"),
        ("qishloq xo‘jaligi", "қишлоқ хўжалиги"),
        ("Yevropa", "Европа"),
        ("magistratura", "МАГИСТРАТУРА"),
        ("ta’lim", "таълим"),
    ],
)
def test_latin_and_cyrillic_uzbek_fold_to_the_same_terms(latin: str, cyrillic: str) -> None:
    assert fold(latin) == fold(cyrillic)


@pytest.mark.parametrize("variant", ["o'qish", "o‘qish", "o`qish", "oʻqish", "oʼqish", "o’qish"])
def test_every_apostrophe_variant_of_o_folds_alike(variant: str) -> None:
    assert fold(variant) == "oqish"


def test_fts_query_quotes_terms_so_user_text_cannot_inject_syntax() -> None:
    assert fts_query('grant" OR *') == '"grant"* AND "or"*'
    assert fts_query("  ¿?  ") is None


def test_split_message_keeps_every_part_within_the_limit_and_loses_nothing() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(300))
    parts = split_message(text, 4096)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text


def test_split_message_cuts_a_single_endless_line_at_spaces() -> None:
    text = "word " * 2000
    parts = split_message(text.strip(), 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_toggling_all_fields_selects_and_clears_everything() -> None:
    assert toggle_field(0, None) == ALL_FIELDS_MASK
    assert toggle_field(ALL_FIELDS_MASK, None) == 0
    assert toggle_field(0, Field.ICT) == Field.ICT.bit
    assert toggle_field(Field.ICT.bit, Field.ICT) == 0


def test_days_left_counts_calendar_days_in_tashkent() -> None:
    now = datetime(2026, 11, 23, 23, 30, tzinfo=TASHKENT)
    deadline = datetime(2026, 11, 24, 0, 30, tzinfo=TASHKENT)  # one hour later, next day
    assert days_left(deadline, now, TASHKENT) == 1
