"""Is the bot doing its job? Three checks for /healthz: the database answers, the scheduler
runs, and no due push has waited longer than HEALTH_MAX_PUSH_DELAY_MINUTES (the delivery
loop is alive and keeping up)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler

from bot.clock import Clock
from bot.db.monitoring import MonitoringRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthReport:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check["ok"] for check in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        failed = [name for name, check in self.checks.items() if not check["ok"]]
        return {"status": "ok" if self.ok else "failing", "failed": failed, "checks": self.checks}


async def check_health(
    monitoring: MonitoringRepo, scheduler: BaseScheduler, clock: Clock, max_push_delay: timedelta
) -> HealthReport:
    checks: dict[str, dict[str, Any]] = {}
    try:
        checks["database"] = {"ok": await monitoring.ping()}
        oldest = await monitoring.oldest_due_push(clock.now())
    except Exception as error:  # a locked or broken database fails the probe, never crashes it
        log.warning("health: the database does not answer: %s", error)
        checks["database"] = {"ok": False, "error": type(error).__name__}
        oldest = None
    checks["scheduler"] = {"ok": bool(scheduler.running)}
    if checks["database"]["ok"]:
        waited = 0.0 if oldest is None else (clock.now() - oldest).total_seconds()
        checks["outbox"] = {
            "ok": waited <= max_push_delay.total_seconds(),
            "oldest_due_seconds": int(waited),
            "limit_seconds": int(max_push_delay.total_seconds()),
        }
    else:
        checks["outbox"] = {"ok": False, "error": "database"}
    return HealthReport(checks)
