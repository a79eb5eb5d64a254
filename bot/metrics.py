"""Prometheus metrics of one running bot, in a registry of its own (never the process-wide
default one), so that tests and several apps in one process do not clash.

Counted as things happen: updates by type and their handling time, updates whose handling
raised (what the error router then answers), and the delivery service's sends by outcome.
Read from the database when /metrics is scraped (`MonitoringRepo.snapshot`): the outbox by
kind and state, broadcasts under way, the source watch's URLs and open attention items, the
oldest due push and the oldest unanswered ticket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.db.monitoring import MonitoringSnapshot
from bot.middlewares import UpdateHandler

PREFIX = "imkon"
# Handling an update: a cached screen answers in a few ms, an import or export in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class DeliveryOutcome:
    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # Telegram's 429: the push is retried after the wait
    FORBIDDEN = "forbidden"  # 403: the user blocked the bot
    FAILED = "failed"  # recorded as failed for good (bad request, chat gone, last attempt)
    RETRIED = "retried"  # a transient error (network, 5xx): sent again after a back-off


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            f"{PREFIX}_updates",
            "Updates handled, by update type.",
            ["type"],
            registry=self.registry,
        )
        self.update_seconds = Histogram(
            f"{PREFIX}_update_handling_seconds",
            "Time from an update's arrival at the dispatcher to the end of its handling.",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.update_errors = Counter(
            f"{PREFIX}_update_errors",
            "Updates whose handling raised (the error router answered them), by exception.",
            ["error"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            f"{PREFIX}_delivery_sends",
            "Outbox pushes tried by the delivery service, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.database = DatabaseCollector()
        self.registry.register(self.database)
        # Children by label, looked up once: the update middleware runs for every update.
        self._by_type: dict[str, tuple[Any, Any]] = {}

    def count_delivery(self, outcome: str) -> None:
        self.deliveries.labels(outcome).inc()

    def observe_update(self, update_type: str, seconds: float) -> None:
        children = self._by_type.get(update_type)
        if children is None:
            children = self.updates.labels(update_type), self.update_seconds.labels(update_type)
            self._by_type[update_type] = children
        counter, histogram = children
        counter.inc()
        histogram.observe(seconds)

    def render(self, snapshot: MonitoringSnapshot, now: datetime) -> bytes:
        """The text exposition, with the database's side as of `snapshot`."""
        self.database.update(snapshot, now)
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Gauges from the last snapshot read at scrape time (states that disappear, such as a
    finished broadcast, disappear from the output too)."""

    def __init__(self) -> None:
        self.snapshot = MonitoringSnapshot()
        self.now: datetime | None = None

    def update(self, snapshot: MonitoringSnapshot, now: datetime) -> None:
        self.snapshot, self.now = snapshot, now

    def describe(self) -> list[Metric]:
        return []  # the families below are known only at scrape time

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        outbox = GaugeMetricFamily(
            f"{PREFIX}_outbox_pushes",
            "Pushes in the outbox, by kind and state.",
            labels=["kind", "state"],
        )
        for (kind, state), count in sorted(snap.outbox.items()):
            outbox.add_metric([kind, state], count)
        yield outbox
        broadcasts = GaugeMetricFamily(
            f"{PREFIX}_broadcast_pushes",
            "Pushes of the broadcasts still sending, by job and state.",
            labels=["job", "state"],
        )
        for (job, state), count in sorted(snap.broadcasts.items()):
            broadcasts.add_metric([str(job), state], count)
        yield broadcasts
        urls = GaugeMetricFamily(
            f"{PREFIX}_source_watch_urls",
            "Official and source pages by the result of their last check (ok, failing).",
            labels=["result"],
        )
        for result, count in sorted(snap.watched_urls.items()):
            urls.add_metric([result], count)
        yield urls
        attention = GaugeMetricFamily(
            f"{PREFIX}_attention_items_open",
            "Calls on the admins' attention list, by what happened to their page.",
            labels=["kind"],
        )
        for kind, count in sorted(snap.attention_open.items()):
            attention.add_metric([kind], count)
        yield attention
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_due_seconds",
            "How long the longest-waiting due push has waited (0: none waits).",
            value=self._age(snap.oldest_due_push),
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_ticket_queue_oldest_seconds",
            "How long the longest-waiting open ticket has waited for an answer (0: none).",
            value=self._age(snap.oldest_waiting_ticket),
        )

    def _age(self, since: datetime | None) -> float:
        if since is None or self.now is None:
            return 0.0
        return max(0.0, (self.now - since).total_seconds())


class CountUpdates(BaseMiddleware):
    """Outer middleware on `dp.update`: counts and times every update, and counts the ones
    whose handling raised (aiogram's error middleware, outside this one, then hands them to
    the error router). Two dictionary look-ups and two clock reads per update."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: UpdateHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        update_type = "unknown"
        if isinstance(event, Update):
            try:
                update_type = event.event_type
            except UpdateTypeLookupError:
                pass  # the dispatcher refuses it below: counted as an error
        try:
            return await handler(event, data)
        except Exception as error:
            self.metrics.update_errors.labels(type(error).__name__).inc()
            raise
        finally:
            self.metrics.observe_update(update_type, time.perf_counter() - started)
