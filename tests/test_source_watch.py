"""Source watch against a local web server: pages that change, vanish, redirect, answer
slowly, are huge or are not HTML; ETag/304; politeness; and the whole seed catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest

from bot.db.source_watch import SourceWatchRepo
from bot.domain.catalog_rows import call_from_row
from bot.domain.profile import CallStatus
from bot.services.catalog_files import TEMPLATE_ROW
from bot.services.source_watch import (
    MAX_STORED_CHARS,
    USER_AGENT,
    Outcome,
    SourceWatch,
    html_to_lines,
)
from tests.conftest import ADMIN_ID, TASHKENT
from tests.support.pages import LocalSite, Page, start_site, stop_site

OFFICIAL = "https://programme.example.org/call"
SOURCE = "https://programme.example.org/rules"


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    site = await start_site()
    yield site
    await stop_site(site)


def watch_for(app, site: LocalSite, total: float = 5.0) -> SourceWatch:
    return SourceWatch(
        SourceWatchRepo(app.db),
        app.clock,
        resolve=site.resolve,
        timeout=aiohttp.ClientTimeout(total=total),
    )


async def only_calls(app, *urls: tuple[str, str]) -> list[int]:
    """The catalogue holds just these published calls, (official_url, source_url) each."""
    await app.db.execute("UPDATE calls SET status = 'closed'")
    calls = app.repos.calls
    programmes = {p.code: p for p in await calls.programmes()}
    ids = []
    for number, (official, source) in enumerate(urls):
        row = {
            **TEMPLATE_ROW,
            "external_id": f"watched-{number}",
            "status": "published",
            "deadline_at": "2027-03-01 18:00",
            "official_url": official,
            "source_url": source,
        }
        call, errors = call_from_row(row, TASHKENT, programmes, date(2026, 11, 23))
        assert not errors, errors
        ids.append((await app.services.desk.create(call, ADMIN_ID, app.clock.now())).id)
    return ids


async def open_items(app, call_id: int | None = None):
    return await SourceWatchRepo(app.db).open_items(call_id)


async def test_a_changed_page_puts_the_call_on_the_list_with_the_changed_lines(app, site):
    [call_id] = await only_calls(app, (OFFICIAL, SOURCE))
    site.html(OFFICIAL, "Erasmus Mundus master", "Deadline: 15 January 2027, 13:00 CET")
    site.html(SOURCE, "Eligibility rules")
    watch = watch_for(app, site)

    first = await watch.run()
    assert (first.checked, first.count(Outcome.NEW), first.items_opened) == (2, 2, 0)
    assert await open_items(app) == []  # the first check only records the baseline

    site.html(OFFICIAL, "Erasmus Mundus master", "Deadline: 10 February 2027, 13:00 CET")
    site.html(SOURCE, "Eligibility rules")  # same text; its footer changed, and is not read
    second = await watch.run()
    assert second.count(Outcome.CHANGED) == 1 and second.count(Outcome.UNCHANGED) == 1
    [item] = await open_items(app, call_id)
    assert item.kind == "changed"
    assert item.detail["pages"][OFFICIAL]["diff"] == [
        ["-", "Deadline: 15 January 2027, 13:00 CET"],
        ["+", "Deadline: 10 February 2027, 13:00 CET"],
    ]

    third = await watch.run()  # nothing new: the open item stays one
    assert third.count(Outcome.UNCHANGED) == 2 and len(await open_items(app, call_id)) == 1


async def test_a_page_that_changes_twice_before_anyone_looks_keeps_one_item(app, site):
    [call_id] = await only_calls(app, (OFFICIAL, OFFICIAL))
    site.html(OFFICIAL, "Deadline: 1 March 2027")
    watch = watch_for(app, site)
    await watch.run()
    site.html(OFFICIAL, "Deadline: 8 March 2027")
    await watch.run()
    site.html(OFFICIAL, "Deadline: 15 March 2027")
    summary = await watch.run()
    assert summary.items_opened == 0  # the item opened by the first change takes the second
    [item] = await open_items(app, call_id)
    diff = item.detail["pages"][OFFICIAL]["diff"]
    assert ["+", "Deadline: 8 March 2027"] in diff and ["+", "Deadline: 15 March 2027"] in diff


async def test_a_vanished_page_is_gone_at_once(app, site):
    [call_id] = await only_calls(app, (OFFICIAL, SOURCE))
    site.html(OFFICIAL, "The call")
    site.html(SOURCE, "The rules")
    watch = watch_for(app, site)
    await watch.run()
    del site.pages[site.key(SOURCE)]  # 404 from now on
    summary = await watch.run()
    assert summary.count(Outcome.GONE) == 1
    [item] = await open_items(app, call_id)
    assert item.kind == "gone" and item.detail["pages"][SOURCE]["status"] == 404
    site.set(OFFICIAL, Page(status=410, body="Gone"))
    await watch.run()
    [item] = await open_items(app, call_id)  # one item per call and kind: both pages in it
    assert set(item.detail["pages"]) == {OFFICIAL, SOURCE}


async def test_a_redirect_to_another_site_needs_attention_one_on_the_same_site_does_not(app, site):
    moving = "https://moving.example.org/call"
    tidy = "https://tidy.example.org/call"
    moving_id, tidy_id = await only_calls(app, (moving, moving), (tidy, tidy))
    site.html(moving, "The call")
    site.html(tidy, "The call")
    site.html("https://tidy.example.org/call/2027", "The call")
    site.html("https://elsewhere.example.org/landing", "The call")
    watch = watch_for(app, site)
    await watch.run()
    site.set(moving, Page(redirect_to=site.other_host("/elsewhere.example.org/landing")))
    site.set(tidy, Page(redirect_to="/tidy.example.org/call/2027"))
    summary = await watch.run()
    assert summary.count(Outcome.MOVED) == 1
    [item] = await open_items(app, moving_id)
    assert item.kind == "moved"
    assert item.detail["pages"][moving]["final_url"].startswith("http://localhost:")
    assert await open_items(app, tidy_id) == []
    check = await SourceWatchRepo(app.db).last_check(tidy)
    assert check.final_url.endswith("/tidy.example.org/call/2027")


async def test_a_page_that_never_answers_fails_and_is_gone_after_three_checks(app, site):
    [call_id] = await only_calls(app, (OFFICIAL, OFFICIAL))
    site.html(OFFICIAL, "The call")
    watch = watch_for(app, site, total=0.3)
    await watch.run()
    site.set(OFFICIAL, Page(hang=True))
    outcomes = []
    for _ in range(3):
        summary = await watch.run()
        outcomes.append(next(o for o in Outcome if summary.count(o)))
        if len(outcomes) < 3:
            assert await open_items(app) == []
    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.GONE]
    [item] = await open_items(app, call_id)
    assert item.detail["pages"][OFFICIAL] == {"status": None, "error": "timeout", "failures": 3}
    check = await SourceWatchRepo(app.db).last_check(OFFICIAL)
    assert check.consecutive_failures == 3 and check.error == "timeout"
    # the page answers again: the count starts over, and the old text is still the baseline
    site.html(OFFICIAL, "The call")
    summary = await watch.run()
    assert summary.count(Outcome.UNCHANGED) == 1
    assert (await SourceWatchRepo(app.db).last_check(OFFICIAL)).consecutive_failures == 0


async def test_a_huge_page_is_read_only_up_to_the_cap(app, site):
    await only_calls(app, (OFFICIAL, OFFICIAL))
    paragraph = "<p>" + "Scholarship details and more words. " * 20 + "</p>\n"
    huge = "<html><body>" + paragraph * 10_000 + "</body></html>"  # about 7 MB
    assert len(huge) > 3 * 2 * 1024 * 1024
    site.set(OFFICIAL, Page(body=huge))
    watch = SourceWatch(
        SourceWatchRepo(app.db), app.clock, resolve=site.resolve, max_bytes=2 * 1024 * 1024
    )
    summary = await watch.run()
    assert summary.count(Outcome.NEW) == 1
    check = await SourceWatchRepo(app.db).last_check(OFFICIAL)
    assert check.error == "truncated" and check.fingerprint
    assert 0 < len(check.text) <= MAX_STORED_CHARS


async def test_a_file_that_is_not_html_is_compared_by_its_hash(app, site):
    pdf = "https://programme.example.org/call.pdf"
    [call_id] = await only_calls(app, (OFFICIAL, pdf))
    site.html(OFFICIAL, "The call")
    site.set(pdf, Page(body=b"%PDF-1.7 version one", content_type="application/pdf"))
    watch = watch_for(app, site)
    await watch.run()
    assert (await watch.run()).count(Outcome.UNCHANGED) == 2
    site.set(pdf, Page(body=b"%PDF-1.7 version two", content_type="application/pdf"))
    assert (await watch.run()).count(Outcome.CHANGED) == 1
    [item] = await open_items(app, call_id)
    assert item.detail["pages"][pdf] == {"binary": True, "content_type": "application/pdf"}
    assert (await SourceWatchRepo(app.db).last_check(pdf)).text is None


async def test_etag_makes_the_next_check_conditional_and_a_304_is_unchanged(app, site):
    await only_calls(app, (OFFICIAL, OFFICIAL))
    site.html(OFFICIAL, "The call", etag='"v1"')
    watch = watch_for(app, site)
    await watch.run()
    summary = await watch.run()
    assert summary.count(Outcome.UNCHANGED) == 1
    first, second = site.requests
    assert "If-None-Match" not in first.headers
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["User-Agent"] == USER_AGENT
    check = await SourceWatchRepo(app.db).last_check(OFFICIAL)
    assert check.status == 304 and check.etag == '"v1"' and check.text == "Call\nThe call"
    assert check.content_type == "text/html"  # a 304 says nothing of the type: the old one stays


async def test_one_request_per_site_at_a_time(app, site):
    urls = [f"https://one.example.org/{n}" for n in range(4)]
    urls += [f"https://two.example.org/{n}" for n in range(4)]
    await only_calls(app, *((url, url) for url in urls))
    for url in urls:
        site.html(url, "The call")
    summary = await watch_for(app, site).run()
    assert summary.checked == 8
    assert site.most_in_flight == {"one.example.org": 1, "two.example.org": 1}


def test_visible_text_leaves_out_scripts_styles_and_navigation():
    html = (
        "<html><head><title>DAAD</title><style>.x{}</style></head><body>"
        "<header><a href='/'>Logo</a></header><nav><a>Menu</a></nav>"
        "<main><h1>EPOS  scholarship</h1><p>Apply by <b>15</b>\n  October 2027.</p>"
        "<ul><li>CV</li><li>Letter</li></ul><script>track()</script></main>"
        "<div role='navigation'>Breadcrumbs</div><footer>Imprint</footer></body></html>"
    )
    assert html_to_lines(html) == [
        "DAAD",
        "EPOS scholarship",
        "Apply by 15 October 2027.",
        "CV",
        "Letter",
    ]


async def test_the_whole_seed_catalogue_is_watched(app, site, capsys):
    calls = [c for c in await app.repos.calls.list_all() if c.status is CallStatus.PUBLISHED]
    urls = {url for call in calls for url in (call.official_url, call.source_url)}
    for url in urls:
        site.html(url, f"Official page of {url}", "Next deadline: 15 January 2027")
    watch = watch_for(app, site)
    first = await watch.run()
    second = await watch.run()
    changed_url = calls[0].official_url
    site.html(changed_url, f"Official page of {changed_url}", "Next deadline: 1 February 2027")
    del site.pages[site.key(calls[-1].source_url)]
    third = await watch.run()
    print(f"\nseed catalogue: {len(calls)} calls, {len(urls)} URLs")
    for name, summary in (("first", first), ("second", second), ("third", third)):
        print(f"{name} run: {summary.line()}")
    with capsys.disabled():
        print(capsys.readouterr().out)
    assert (first.checked, first.count(Outcome.NEW), first.items_opened) == (
        len(urls),
        len(urls),
        0,
    )
    assert second.count(Outcome.UNCHANGED) == len(urls)
    assert third.count(Outcome.CHANGED) == 1 and third.count(Outcome.GONE) == 1
    using_changed = {c.id for c in calls if changed_url in (c.official_url, c.source_url)}
    using_gone = {c.id for c in calls if calls[-1].source_url in (c.official_url, c.source_url)}
    assert third.items_opened == len(using_changed) + len(using_gone)
    items = await open_items(app)
    assert {i.call_id for i in items if i.kind == "changed"} == using_changed
    assert {i.call_id for i in items if i.kind == "gone"} == using_gone


async def test_watch_once_from_the_command_line_prints_the_summary_and_queues_the_digest(
    app, site, settings, capsys
):
    from bot.__main__ import _watch_once

    await app.db.execute("UPDATE calls SET verified_on = ?", (app.clock.now().date(),))
    calls = [c for c in await app.repos.calls.list_all() if c.status is CallStatus.PUBLISHED]
    urls = {url for call in calls for url in (call.official_url, call.source_url)}
    for url in urls:
        site.html(url, "Next deadline: 15 January 2027")
    assert await _watch_once(settings, resolve=site.resolve) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"checked {len(urls)}: unchanged 0, changed 0, gone 0, failed 0, moved 0,"
        f" first check {len(urls)}; attention items opened 0",
        "attention digests queued: 0",
    ]
    site.html(calls[0].official_url, "Next deadline: 1 February 2027")
    assert await _watch_once(settings, resolve=site.resolve) == 0
    summary, digests = capsys.readouterr().out.splitlines()
    assert summary.startswith(f"checked {len(urls)}: unchanged {len(urls) - 1}, changed 1, gone 0")
    assert digests == "attention digests queued: 1"  # the one admin, for today
