"""Leases: which process runs a job (the worker's sync, delivery and clocks) right now."""

from __future__ import annotations

from tuidesk.store.base import Repository


class Leases(Repository):
    """A job is held by one holder until its lease expires; the holder renews it (a
    heartbeat). One `INSERT ... ON CONFLICT ... RETURNING` decides, so of two processes
    asking at once exactly one holds it; a holder that dies (kill -9) stops renewing and a
    standby takes over once the lease expires."""

    def acquire(self, job: str, holder: str, now: float, ttl: float) -> bool:
        """Take or renew `job` for `holder` for `ttl` seconds; False if another holds it."""
        won = self._q(
            "INSERT INTO leases (job, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at, acquired_at = CASE WHEN leases.holder = "
            "excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END "
            "WHERE leases.holder = excluded.holder OR leases.expires_at < ? RETURNING holder",
            (job, holder, now + ttl, now, now))
        return bool(won)

    def release(self, job: str, holder: str) -> None:
        self.db.execute("DELETE FROM leases WHERE job = ? AND holder = ?", (job, holder))

    def holder(self, job: str, now: float) -> str | None:
        """Who holds `job` now (None: nobody, or the lease expired)."""
        value = self._one("SELECT holder FROM leases WHERE job = ? AND expires_at >= ?",
                          (job, now))
        return None if value is None else str(value)
