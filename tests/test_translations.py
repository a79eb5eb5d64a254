"""Every message exists in uz, uz_Cyrl, ru and en, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT, SUPPORTED_LOCALES

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(locale: str):
    path = PROJECT_ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with Path(path).open("rb") as fh:
        return read_po(fh, locale=locale)


def template_ids() -> set[str]:
    with (PROJECT_ROOT / "locales" / "messages.pot").open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    cat = catalogue(locale)
    missing = []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id)
    assert not missing, f"{locale}: {len(missing)} untranslated, e.g. {missing[:3]}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogues_cover_the_template(locale: str) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(locale) if m.id}
    assert template_ids() <= ids, sorted(template_ids() - ids)[:5]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_are_the_same_in_msgid_and_msgstr(locale: str) -> None:
    wrong = []
    for message in catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) - expected:
                wrong.append(message.id)
            if (
                string
                and not isinstance(message.id, tuple)
                and set(PLACEHOLDER.findall(string)) != expected
            ):
                wrong.append(message.id)
    assert not wrong, f"{locale}: {wrong[:3]}"


def test_uzbek_latin_has_no_cyrillic_and_cyrillic_has_no_latin_words() -> None:
    latin = catalogue("uz")
    cyrillic = catalogue("uz_Cyrl")
    brands = re.compile(
        r"Erasmus\+|Fulbright|DAAD|El-Yurt Umidi|Imkon|IELTS|TOEFL|PhD|ICT|EU|"
        r"https?://\S+|<[^>]+>|%\(\w+\)s|/\w+"
    )
    for message in latin:
        if not message.id:
            continue
        for s in message.string if isinstance(message.string, tuple) else (message.string,):
            assert not re.search("[а-яА-ЯўқғҳЎҚҒҲ]", brands.sub("", s or "")), s
    for message in cyrillic:
        if not message.id:
            continue
        for s in message.string if isinstance(message.string, tuple) else (message.string,):
            assert not re.search("[a-zA-Z]{3,}", brands.sub("", s or "")), s
