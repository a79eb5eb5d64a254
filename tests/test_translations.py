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


# Names that stay Latin in every script: tests, degrees, codes, links, markup, commands.
ALWAYS_LATIN = (
    r"IELTS|TOEFL|Duolingo|PhD|ICT|ID|EU|DE FR IT|DE FR|CV|CSV|XLSX|UTF-8|"
    r"https?://\S+|<[^>]+>|%\(\w+\)s|/\w+|@\w*"
)


def strings(locale: str):
    for message in catalogue(locale):
        if message.id:
            yield from message.string if isinstance(message.string, tuple) else (message.string,)


def test_uzbek_latin_has_no_cyrillic_and_cyrillic_has_no_latin_words() -> None:
    latin_names = re.compile(rf"Erasmus\+|Fulbright|DAAD|El-Yurt Umidi|Imkon|{ALWAYS_LATIN}")
    for s in strings("uz"):
        assert not re.search("[а-яА-ЯўқғҳЎҚҒҲ]", latin_names.sub("", s or "")), s
    # Programme names and the bot's own name are written in Cyrillic too ("Фулбрайт",
    # "Имкон"), as the catalogue's titles spell them.
    for s in strings("uz_Cyrl"):
        assert not re.search("[a-zA-Z]{2,}", re.sub(ALWAYS_LATIN, "", s or "")), s


@pytest.mark.parametrize(
    ("locale", "wrong", "why"),
    [
        ("uz", "ʼ", "one tutuq belgisi character: ’"),
        ("uz", r"\b[Tt]arqatma", "a broadcast is an «ommaviy xabar», not a handout"),
        ("uz", r"\breply\b|\busername\b|\bFAQ\b", "English words left in Uzbek"),
        ("uz", r"gacha emas|muddatlisi", "calques"),
        ("uz", r"\bstipendiya(lari|si)? tanlov|stipendiyalari hamda", "a scholarship is a «grant»"),
        ("uz_Cyrl", r"[Тт]арқатма", "a broadcast is an «оммавий хабар»"),
        ("uz_Cyrl", r"\bid\b", "ID, not id"),
        ("ru", r"[Дд]едлайн", "a deadline is a «срок подачи»"),
        ("ru", r"\bid\b", "ID, not id"),
        (
            "ru",
            r"[Пп]рограмм\w* (под ваш|для меня)|открытых программ|Эта программа закрыта",
            "a call is a «конкурс»; a programme is Erasmus+, DAAD…",
        ),
    ],
)
def test_one_word_for_one_thing(locale: str, wrong: str, why: str) -> None:
    found = [s for s in strings(locale) if s and re.search(wrong, re.sub(r"%\(\w+\)s", "", s))]
    assert not found, f"{locale}: {why}: {found[:2]}"
