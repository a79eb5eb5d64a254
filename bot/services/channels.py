"""Channel posts: each published call goes to every channel of CHANNEL_IDS, in that channel's
language, as the call's short card with a "Save and get reminders" button (its deep link).

Posts and their edits are outbox pushes like every other message the bot sends on its own
(bot/services/delivery.py): rate limits, 429s and restarts are handled there, once for all.
Edits go through the outbox too rather than straight to Telegram: an admin's edit or close
must not wait on (or fail with) a channel, and a burst of edits over many calls keeps to the
same global rate as everything else. Each composer builds its message when it is sent, from
the call as it is then, so a late push never posts a stale text.

  - a post push (kind `channel_post`, one per call and channel) records its message id when
    Telegram accepts it, before the push is marked sent: a crash in between finds the id on
    the retry and skips, so the channel gets the post once;
  - every change to a posted call adds an edit push per channel (slot = the post's revision);
    an edit that a later one supersedes is skipped;
  - a channel that refuses (the bot is not its admin: 400/403) is not retried; every admin
    is told once per call and channel (an outbox push keyed so).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.types import LinkPreviewOptions, Message
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.db.channels import ChannelPostsRepo
from bot.db.roles import RolesRepo
from bot.db.users import UsersRepo
from bot.domain.calls import Call
from bot.domain.links import call_payload
from bot.domain.profile import CallStatus
from bot.domain.pushes import NewPush, Push, PushState
from bot.domain.roles import Role
from bot.keyboards.channels import save_in_bot
from bot.services.delivery import Defer, Delivery, Skip
from bot.texts.channels import channel_post_text, channel_refused_text

log = logging.getLogger(__name__)

CHANNEL_POST = "channel_post"
CHANNEL_EDIT = "channel_edit"
CHANNEL_REFUSED = "channel_refused"
# An edit whose post is still on its way waits this long and looks again.
WAIT_FOR_POST = timedelta(seconds=30)
# Telegram's answer to an edit that changes nothing: the post already says it.
NOT_MODIFIED = "message is not modified"
CHANNEL_LABEL = {"uz": "UZ", "uz_Cyrl": "ЎЗ", "ru": "RU", "en": "EN"}
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class ChannelPosts:
    def __init__(
        self,
        posts: ChannelPostsRepo,
        calls: CallsRepo,
        users: UsersRepo,
        roles: RolesRepo,
        bot: Bot,
        clock: Clock,
        settings: Settings,
        i18n: I18n,
        delivery: Delivery,
    ) -> None:
        self.posts = posts
        self.calls = calls
        self.users = users
        self.roles = roles
        self.bot = bot
        self.clock = clock
        self.settings = settings
        self.i18n = i18n
        self.delivery = delivery
        self.channels = dict(settings.channel_ids)  # language → channel id

    def register(self, delivery: Delivery) -> None:
        delivery.register(
            CHANNEL_POST, self.compose_post, on_sent=self.posted, on_failed=self.refused
        )
        delivery.register(CHANNEL_EDIT, self.compose_edit, on_failed=self.refused)
        delivery.register(CHANNEL_REFUSED, self.compose_refused)

    # -- what admins do -------------------------------------------------------------------
    async def call_published(self, call: Call) -> int:
        """Queue the call's post to every channel (once each); returns how many are new."""
        if not self.channels or await self.posts.kept_off(call.id):
            return 0
        now = self.clock.now()
        for locale, chat_id in self.channels.items():
            await self.posts.plan(call.id, chat_id, locale, now)
        return await self.delivery.enqueue(
            NewPush(chat_id, CHANNEL_POST, now, call_id=call.id)
            for chat_id in self.channels.values()
        )

    async def call_changed(self, before: Call, after: Call) -> int:
        """Pass a change (texts, deadline, closed, reopened) on to the call's posts."""
        now = self.clock.now()
        posts = await self.posts.next_revisions(after.id, now)
        return await self.delivery.enqueue(
            NewPush(post.chat_id, CHANNEL_EDIT, now, call_id=after.id, slot=post.revision)
            for post in posts
        )

    async def kept_off(self, call_id: int) -> bool:
        return await self.posts.kept_off(call_id)

    async def keep_off(self, call: Call, kept_off: bool) -> None:
        """An admin keeps a call out of the channels, or lets it in again: a published call
        not yet posted is then posted, also where a channel refused it before (its rights
        fixed since). Posts already made stay as they are."""
        await self.posts.set_kept_off(call.id, kept_off)
        if not kept_off and call.status == CallStatus.PUBLISHED:
            await self.posts.retry_refused_posts(call.id, CHANNEL_POST, self.clock.now())
            await self.call_published(call)

    # -- composing, when each push goes out ------------------------------------------------
    async def compose_post(self, push: Push) -> TelegramMethod[Any]:
        call = await self.calls.get(push.call_id)
        post = await self.posts.get(push.call_id, push.user_id)
        if call is None or post is None:
            raise Skip("the call or its post is gone")
        if post.message_id is not None:
            raise Skip("already posted")  # sent before a crash, its record kept
        if call.status != CallStatus.PUBLISHED:
            raise Skip("the call is no longer published")
        if await self.posts.kept_off(call.id):
            raise Skip("kept out of the channels")
        text, markup = await self._post(call, post.locale, closed=False)
        return SendMessage(
            chat_id=push.user_id, text=text, reply_markup=markup, link_preview_options=NO_PREVIEW
        )

    async def compose_edit(self, push: Push) -> TelegramMethod[Any]:
        call = await self.calls.get(push.call_id)
        post = await self.posts.get(push.call_id, push.user_id)
        if call is None or post is None:
            raise Skip("the call or its post is gone")
        if post.revision != push.slot:
            raise Skip("a later change follows")
        if post.message_id is None:
            state = await self.posts.post_push_state(call.id, post.chat_id, CHANNEL_POST)
            if state in (PushState.PENDING, PushState.SENDING):
                raise Defer(self.clock.now() + WAIT_FOR_POST, "the post is on its way")
            raise Skip("never posted")
        closed = call.status != CallStatus.PUBLISHED
        text, markup = await self._post(call, post.locale, closed=closed)
        return EditMessageText(
            chat_id=post.chat_id,
            message_id=post.message_id,
            text=text,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )

    async def _post(self, call: Call, locale: str, closed: bool) -> tuple[str, Any]:
        link = await create_start_link(self.bot, call_payload(call.id))
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = channel_post_text(call, locale, self.settings.tz, closed)
            return text, None if closed else save_in_bot(link)

    async def posted(self, push: Push, result: Any) -> None:
        if isinstance(result, Message):
            await self.posts.posted(push.call_id, push.user_id, result.message_id, self.clock.now())

    # -- refusals ---------------------------------------------------------------------------
    async def refused(self, push: Push, reason: str) -> None:
        """A channel refused a post or edit for good: every admin is told, once per call and
        channel. Not retried: the same request would be refused again."""
        if NOT_MODIFIED in reason.lower():
            return  # the post already says what the edit would
        log.warning("channel %s refused call %s: %s", push.user_id, push.call_id, reason)
        now = self.clock.now()
        payload = {"reason": reason[:300]}
        await self.delivery.enqueue(
            NewPush(
                admin,
                CHANNEL_REFUSED,
                now,
                call_id=push.call_id,
                slot=push.user_id,
                payload=payload,
            )
            for admin in await self._admins()
        )

    async def _admins(self) -> list[int]:
        return sorted(set(self.settings.admin_ids) | set(await self.roles.members(Role.ADMIN)))

    async def compose_refused(self, push: Push) -> TelegramMethod[Any]:
        profile = await self.users.get(push.user_id)
        if profile is None:
            raise Skip("the admin never started the bot")
        chat_id = push.slot
        channel = next(
            (CHANNEL_LABEL.get(loc, loc) for loc, chat in self.channels.items() if chat == chat_id),
            "?",
        )
        locale = profile.language or self.settings.default_locale
        call = await self.calls.get(push.call_id)
        title = call.text(locale).title if call is not None else ""
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = channel_refused_text(
                push.call_id, title, channel, chat_id, str(push.payload.get("reason", ""))
            )
        return SendMessage(chat_id=push.user_id, text=text, link_preview_options=NO_PREVIEW)
