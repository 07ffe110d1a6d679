"""The timing rules of reminder delivery: quiet hours, lateness, retries, pace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.settings import Settings


@dataclass(frozen=True)
class DispatchPolicy:
    """Timing rules of reminder delivery; `from_settings` reads the [reminders] section."""

    quiet_start: str = "21:00"
    quiet_end: str = "06:00"
    missed_after: timedelta = timedelta(minutes=120)
    default_timezone: str = "Asia/Jakarta"
    max_attempts: int = 4
    # wait after the 1st, 2nd, 3rd … failed attempt (the last value repeats)
    backoff: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5),
                                      timedelta(minutes=15))
    batch_size: int = 50
    # reminders sent at once; also the most a crash can leave "interrupted"
    concurrency: int = 30
    # what the bot's rate limiter allows (bot/app.py): a row waits for its turn here, not
    # in flight in the limiter's queue
    rate: float = 29.5
    burst: int = 25
    # 429s one reminder waits out in a pass before the whole dispatcher backs off
    max_refusals: int = 3
    # a row claimed longer ago than this belongs to a dispatcher that is gone
    stale_after: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DispatchPolicy:
        rules = settings.reminders
        values: dict[str, Any] = dict(
            quiet_start=rules.quiet_hours_start, quiet_end=rules.quiet_hours_end,
            missed_after=timedelta(minutes=rules.missed_after_minutes),
            default_timezone=settings.bot.default_timezone)
        return cls(**{**values, **overrides})

    def retry_delay(self, attempts: int) -> timedelta:
        return self.backoff[min(max(attempts, 1), len(self.backoff)) - 1]
