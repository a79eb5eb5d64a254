"""The plain rules behind tickets: FAQ matching across scripts, titles, re-announcement timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.tickets import (
    FaqEntry,
    Ticket,
    TicketStatus,
    best_faq_matches,
    clean_display_name,
    first_words,
    needs_reannouncement,
    topic_title,
)

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def entry(id_: int, question: str, lang: str = "uz") -> FaqEntry:
    return FaqEntry(id=id_, lang=lang, programme_code=None, question=question, answer="…")


def ticket(**changes: object) -> Ticket:
    values: dict[str, object] = {
        "id": 1,
        "student_id": 1,
        "call_id": None,
        "programme_code": None,
        "locale": "en",
        "status": TicketStatus.OPEN,
        "work_chat_id": -100,
        "topic_id": 5,
        "header_message_id": 6,
        "rating": None,
        "created_at": NOW,
        "waiting_since": NOW,
        "answered_at": None,
        "announced_at": NOW,
        "closed_at": None,
    }
    values.update(changes)
    return Ticket(**values)  # type: ignore[arg-type]


def test_faq_matches_a_question_written_in_the_other_script_and_with_other_endings() -> None:
    entries = [entry(1, "Vizani qanday olaman?"), entry(2, "Stipendiya miqdori qancha?")]
    assert [e.id for e in best_faq_matches("Визага қандай ҳужжатлар керак?", entries)] == [1]
    assert [e.id for e in best_faq_matches("stipendiyaning miqdori", entries)] == [2]


def test_faq_does_not_match_on_filler_words_alone() -> None:
    entries = [entry(1, "How can I prove my English?", "en")]
    assert best_faq_matches("How can I pay the fee?", entries) == []


def test_topic_title_keeps_within_telegrams_limit_and_cuts_at_a_word() -> None:
    title = topic_title(12, "DAAD", "word " * 100, "general")
    assert title.startswith("#12 · DAAD · word") and title.endswith("…")
    assert len(title) <= 128
    assert topic_title(3, None, "", "general") == "#3 · general"
    assert first_words("Can I apply in my last year?", 12) == "Can I apply…"


def test_reannouncement_after_the_wait_and_then_at_most_daily() -> None:
    after = timedelta(hours=24)
    fresh = ticket(waiting_since=NOW - timedelta(hours=23), announced_at=NOW - timedelta(hours=23))
    assert not needs_reannouncement(fresh, NOW, after)
    stale = ticket(waiting_since=NOW - timedelta(hours=25), announced_at=NOW - timedelta(hours=25))
    assert needs_reannouncement(stale, NOW, after)
    just_told = ticket(
        waiting_since=NOW - timedelta(hours=30), announced_at=NOW - timedelta(hours=2)
    )
    assert not needs_reannouncement(just_told, NOW, after)
    answered = ticket(status=TicketStatus.ANSWERED, waiting_since=None)
    assert not needs_reannouncement(answered, NOW + timedelta(days=5), after)


def test_a_display_name_is_letters_only_and_short() -> None:
    assert clean_display_name("  Malika  ") == "Malika"
    assert clean_display_name("O‘g‘iloy") == "O‘g‘iloy"
    assert clean_display_name("<b>x</b>") is None
    assert clean_display_name("x" * 40) is None


def test_an_answer_whose_entity_splits_an_emoji_is_copied_rather_than_composed() -> None:
    """Found by the dispatcher fuzzer: an entity ending inside a surrogate pair made
    `html_text` raise, and the coordinator's answer was lost in the error router."""
    from aiogram.types import Chat, MessageEntity, PhotoSize
    from aiogram.types import Message as TgMessage

    from bot.services.tickets import answer_with_header

    message = TgMessage(
        message_id=1,
        date=datetime(2026, 1, 1, tzinfo=UTC),
        chat=Chat(id=-100123, type="supergroup"),
        photo=[PhotoSize(file_id="f", file_unique_id="u", width=1, height=1)],
        caption="0𐀀0",
        caption_entities=[MessageEntity(type="bold", offset=0, length=2)],
    )
    assert answer_with_header("Header", message) is None


def test_an_answer_linking_an_address_with_quotes_or_brackets_is_html_telegram_accepts() -> None:
    """Found by the dispatcher fuzzer: aiogram put a link's address into href unescaped, so a
    coordinator's answer linking `…?b=<2>` became HTML Telegram refuses."""
    from aiogram.types import Chat, MessageEntity, PhotoSize
    from aiogram.types import Message as TgMessage

    from bot.services.tickets import answer_with_header
    from tests.support.telegram_checks import parse_telegram_html

    url = 'https://example.org/?a=1&b=<2>&c="3"'
    message = TgMessage(
        message_id=1,
        date=datetime(2026, 1, 1, tzinfo=UTC),
        chat=Chat(id=-100123, type="supergroup"),
        photo=[PhotoSize(file_id="f", file_unique_id="u", width=1, height=1)],
        caption="See the form",
        caption_entities=[MessageEntity(type="text_link", offset=4, length=4, url=url)],
    )
    composed = answer_with_header("Header", message)
    assert composed is not None
    assert parse_telegram_html(composed) == "Header\n\nSee the form"
    assert 'href="https://example.org/?a=1&amp;b=&lt;2&gt;&amp;c=&quot;3&quot;"' in composed
