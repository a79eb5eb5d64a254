"""Texts of the admins' attention list and its daily digest."""

from __future__ import annotations

import html
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.page_changes import highlight_dates
from bot.i18n import _, _n
from bot.keyboards.attention import KIND_MARK
from bot.services.attention import AttentionEntry
from bot.texts.formatting import escape, fmt_date, fmt_number, shorten

KIND_ORDER = ("changed", "moved", "gone", "stale", "next_round")


def kind_label(kind: str) -> str:
    return {
        "changed": _("Page changed"),
        "moved": _("Page moved to another site"),
        "gone": _("Page gone"),
        "stale": _("Not verified for over 180 days"),
        "next_round": _("Next-round draft waiting"),
    }[kind]


def counts_lines(counts: dict[str, int], locale: str) -> list[str]:
    return [
        f"{KIND_MARK[kind]} {kind_label(kind)}: {fmt_number(counts[kind], locale)}"
        for kind in KIND_ORDER
        if counts.get(kind)
    ]


def attention_list_text(counts: dict[str, int], calls: int, locale: str) -> str:
    if not calls:
        return _("⚠️ <b>Attention</b>\n\nNothing needs a look: every page is as it was.")
    lines = [
        _("⚠️ <b>Attention</b>"),
        _n("%(count)s call needs a look:", "%(count)s calls need a look:", calls)
        % {"count": fmt_number(calls, locale)},
        *counts_lines(counts, locale),
        "",
        _("Open a call, check its official page, then confirm it or edit it."),
    ]
    return "\n".join(lines)


def digest_text(counts: dict[str, int], calls: int, locale: str) -> str:
    return "\n".join(
        [
            _("⚠️ <b>Catalogue check</b>"),
            _n(
                "%(count)s call needs a look today:",
                "%(count)s calls need a look today:",
                calls,
            )
            % {"count": fmt_number(calls, locale)},
            *counts_lines(counts, locale),
        ]
    )


def _diff_block(page: dict[str, Any], locale: str) -> list[str]:
    if page.get("binary"):
        return [_("The file changed (it is not a web page, so no lines to show).")]
    lines = []
    for sign, text in page.get("diff", []):
        mark = "➖" if sign == "-" else "➕"
        lines.append(f"{mark} {highlight_dates(text, escape)}")
    if not page.get("diff"):
        lines.append(_("The change is further down the page than the part kept for comparison."))
    more = page.get("more", 0)
    if more:
        lines.append(
            _n("…and %(count)s more changed line", "…and %(count)s more changed lines", more)
            % {"count": fmt_number(more, locale)}
        )
    return lines


def _gone_reason(page: dict[str, Any], locale: str) -> str:
    status = page.get("status")
    if status in (404, 410):
        return _("the site answers %(status)s (not found)") % {"status": status}
    reason = page.get("error") or (f"HTTP {status}" if status else "?")
    failures = page.get("failures", 0)
    return _n(
        "%(reason)s, %(count)s check in a row",
        "%(reason)s, %(count)s checks in a row",
        failures,
    ) % {"reason": escape(str(reason)), "count": fmt_number(failures, locale)}


def attention_entry_text(
    entry: AttentionEntry, locale: str, tz: ZoneInfo, today: date, notice: str = ""
) -> str:
    call = entry.call
    lines = [notice, ""] if notice else []
    lines.append(f"⚠️ <b>#{call.id}</b> · {escape(call.text(locale).title)}")
    lines.append(escape(call.programme.name))
    lines.append(
        _("Last verified: %(date)s (%(days)s)")
        % {
            "date": fmt_date(call.verified_on, locale, tz),
            "days": _n("%(count)s day ago", "%(count)s days ago", (today - call.verified_on).days)
            % {"count": fmt_number((today - call.verified_on).days, locale)},
        }
    )
    for item in sorted(entry.items, key=lambda i: KIND_ORDER.index(i.kind)):
        pages: dict[str, dict[str, Any]] = item.detail.get("pages", {})
        for url, page in pages.items():
            lines.append("")
            link = f'<a href="{html.escape(url, quote=True)}">{escape(shorten(url, 60))}</a>'
            if item.kind == "changed":
                lines.append(f"{KIND_MARK['changed']} <b>{kind_label('changed')}</b>: {link}")
                lines.extend(_diff_block(page, locale))
            elif item.kind == "moved":
                target = escape(shorten(str(page.get("final_url") or "?"), 80))
                lines.append(f"{KIND_MARK['moved']} <b>{kind_label('moved')}</b>: {link}")
                lines.append(_("Now it leads to %(url)s") % {"url": target})
            else:
                lines.append(
                    f"{KIND_MARK['gone']} <b>{kind_label('gone')}</b>: {link} — "
                    f"{_gone_reason(page, locale)}"
                )
    if entry.stale:
        lines += ["", f"{KIND_MARK['stale']} {kind_label('stale')}"]
    if entry.next_round:
        lines += ["", f"{KIND_MARK['next_round']} {kind_label('next_round')}"]
    lines += [
        "",
        _(
            "Check the official page. If the call is still correct, press «✅ Still correct»; "
            "otherwise edit it, then confirm."
        ),
    ]
    return "\n".join(lines)
