"""A local SMTP server (aiosmtpd) whose replies a test scripts, and the settings that send
e-mail to it over real SMTP."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """An aiosmtpd handler: answers RCPT and DATA from the scripted replies (then 250 OK)
    and keeps what it accepted. Counts every attempt, so a test can tell a retry."""

    rcpt_replies: list[str] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    data_delay: float = 0.0  # seconds before answering DATA (a server that hangs)
    rcpt_attempts: int = 0
    data_attempts: int = 0
    accepted: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address, options):
        with self.lock:
            self.rcpt_attempts += 1
            if self.rcpt_replies:
                return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_attempts += 1
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            message = email.message_from_bytes(envelope.original_content)
            message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
            self.accepted.append(message)
        return "250 Message accepted for delivery"

    def accepted_to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.accepted if m["X-Envelope-To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    """A running SMTP server on a free local port; Django's SMTP backend sends to it
    (the settings are process-wide, so the embedded Celery worker uses them too)."""
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()
