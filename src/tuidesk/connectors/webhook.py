"""Provides WebhookSender: escalations POSTed to external systems (ticketing, field service).

Header values written 'env:NAME' are read from the environment at send time, so tokens for
those systems stay out of the config file's plain text and out of the database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import httpx

from tuidesk.config import EscalationTarget
from tuidesk.connectors.base import request_json
from tuidesk.errors import ConfigError


class WebhookSender:
    def __init__(self, targets: tuple[EscalationTarget, ...], client: httpx.AsyncClient,
                 clock: Callable[[], float] = time.time) -> None:
        self.targets = {t.name: t for t in targets}
        self.client = client
        self.clock = clock

    def _headers(self, target: str) -> dict[str, str]:
        spec = self.targets.get(target)
        out = {"Content-Type": "application/json"}
        for name, value in (spec.headers if spec else {}).items():
            if value.startswith("env:"):
                env = os.environ.get(value[4:])
                if env is None:
                    raise ConfigError(f"Escalation {target!r}: ${value[4:]} is not set")
                value = env
            out[name] = value
        return out

    async def send(self, target: str, url: str, body: str, idempotency_key: str = "") -> int:
        """POST the body; returns the status. Raises ConnectorError on failure.

        Every attempt of one delivery carries the same Idempotency-Key, so a receiver can
        tell a retry (after a timeout, or our crash after its answer) from a new ticket.
        """
        headers = self._headers(target)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        _, response = await request_json(self.client, "POST", url, self.clock,
                                         headers=headers, content=body.encode("utf-8"))
        return response.status_code
