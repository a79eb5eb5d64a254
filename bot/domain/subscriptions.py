"""Does a newly published call fit a subscriber's filter?"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.calls import Call
from bot.domain.profile import CallFilter


def call_matches(call: Call, flt: CallFilter, now: datetime) -> bool:
    """The rule `CallsRepo.find` applies in SQL, for one call and many subscribers."""
    if not call.is_open(now):
        return False
    if flt.level is not None and flt.level not in call.levels:
        return False
    if not any(flt.fields_mask & field.bit for field in call.fields):
        return False
    if flt.programme is not None and call.programme.code != flt.programme:
        return False
    if flt.funding is not None and call.funding != flt.funding:
        return False
    if flt.country is not None and flt.country not in call.countries:
        return False
    if flt.window_days is not None:
        return call.deadline_at is not None and call.deadline_at <= now + timedelta(
            days=flt.window_days
        )
    return True
