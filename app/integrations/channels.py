"""The channels that carry messages to people, each a small adapter behind `Channel`.

- `whatsapp`: the WhatsApp Cloud API (`POST {WHATSAPP_API_URL}/{PHONE_NUMBER_ID}/messages`):
  text (a reminder with "Ik kom" / "Kan niet" reply buttons) to someone who wrote in the
  last 24 hours, else the approved template of the message's kind.
- `waha`: a WAHA server (`POST {WAHA_URL}/api/sendText`, `X-Api-Key`).
- `email`: SMTP (`aiosmtplib`), plain text with a simple HTML part.

Every attempt carries the message's id as its key (`Idempotency-Key` and the Cloud API's
`biz_opaque_callback_data`; WAHA's `Idempotency-Key`; the e-mail's `Message-ID`), the same
on every retry, so a provider that saw an attempt whose answer got lost can recognise the
retry. (Neither the Cloud API nor WAHA documents such a key: after a timeout whose first
attempt did arrive, they may deliver the retry too.) `send` returns the provider's id for
the message, or raises `SendFailed` (`retry`: whether another attempt may succeed).

The providers' addresses come from the operator's configuration, not from callers, so
the SSRF rules of `integrations.outbound` (for webhook URLs) do not apply to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Final, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
import httpx

from app.config import Settings
from app.integrations.message_texts import as_html, plain
from app.integrations.message_vocabulary import Language

_ANSWER_LIMIT: Final = 300
#: A reminder's reply buttons: (the answer word it sends back, its title).
REMINDER_BUTTONS: Final[dict[Language, list[tuple[str, str]]]] = {
    "nl": [("ja", "Ik kom"), ("nee", "Kan niet")],
    "en": [("yes", "I'm coming"), ("no", "Can't make it")],
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send now."""

    id: str
    recipient: str
    language: Language
    subject: str | None
    body: str
    kind: str = ""
    #: Whether the person wrote to us in the last 24 hours (WhatsApp's service window).
    in_window: bool = False


class SendFailed(Exception):
    """The provider did not take the message; ``retry`` says whether to try again."""

    def __init__(self, detail: str, *, retry: bool) -> None:
        super().__init__(detail)
        self.retry = retry


class Channel(Protocol):
    """Sends one message; returns the provider's id for it."""

    name: str

    async def send(self, client: httpx.AsyncClient, message: Outgoing) -> str: ...


def _check_answer(answer: httpx.Response, provider: str) -> None:
    if 200 <= answer.status_code < 300:
        return
    detail = f"{provider} answered {answer.status_code}: {answer.text[:_ANSWER_LIMIT]}"
    # A 4xx other than 408 and 429 will not change on a retry.
    retry = answer.status_code >= 500 or answer.status_code in (408, 429)
    raise SendFailed(detail, retry=retry)


def _answer_json(answer: httpx.Response, provider: str) -> dict[str, object]:
    try:
        data = answer.json()
    except ValueError:
        raise SendFailed(f"{provider} answered without JSON", retry=False) from None
    return data if isinstance(data, dict) else {}


class CloudApi:
    """The WhatsApp Cloud API: a text message (with link preview)."""

    name = "whatsapp"

    def __init__(
        self, api_url: str, phone_number_id: str, access_token: str, template_prefix: str
    ) -> None:
        self._url = f"{api_url}/{phone_number_id}/messages"
        self._token = access_token
        self._template_prefix = template_prefix

    def content(self, message: Outgoing) -> dict[str, object]:
        """What to send: inside the 24-hour window a text (a reminder: with reply buttons);
        outside it the approved template of the message's kind, the text as its one
        parameter (templates allow no line breaks) and, for a reminder, the buttons'
        answers."""
        if message.in_window or message.kind in ("reply", "ack"):
            if message.kind != "reminder":
                return {"type": "text", "text": {"body": message.body, "preview_url": True}}
            buttons = [{"type": "reply", "reply": {"id": word, "title": title}}
                       for word, title in REMINDER_BUTTONS[message.language]]  # fmt: skip
            interactive = {"type": "button", "body": {"text": message.body},
                           "action": {"buttons": buttons}}  # fmt: skip
            return {"type": "interactive", "interactive": interactive}
        flat = " · ".join(line.strip() for line in message.body.splitlines() if line.strip())
        components: list[dict[str, object]] = [
            {"type": "body", "parameters": [{"type": "text", "text": flat}]}
        ]
        if message.kind == "reminder":
            components += [
                {"type": "button", "sub_type": "quick_reply", "index": str(index),
                 "parameters": [{"type": "payload", "payload": word}]}
                for index, (word, _) in enumerate(REMINDER_BUTTONS[message.language])
            ]  # fmt: skip
        return {"type": "template", "template": {
            "name": f"{self._template_prefix}{message.kind}",
            "language": {"code": message.language}, "components": components}}  # fmt: skip

    async def send(self, client: httpx.AsyncClient, message: Outgoing) -> str:
        answer = await client.post(
            self._url,
            headers={"Authorization": f"Bearer {self._token}", "Idempotency-Key": message.id},
            json={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": message.recipient.lstrip("+"),
                **self.content(message),
                "biz_opaque_callback_data": message.id,
            },
        )
        _check_answer(answer, "the WhatsApp Cloud API")
        sent = _answer_json(answer, "the WhatsApp Cloud API").get("messages")
        if isinstance(sent, list) and sent and isinstance(sent[0], dict):
            return str(sent[0].get("id", ""))[:200]
        return ""


class Waha:
    """A WAHA server: `sendText` to the number's chat."""

    name = "waha"

    def __init__(self, url: str, session: str, api_key: str | None) -> None:
        self._url = f"{url}/api/sendText"
        self._session = session
        self._api_key = api_key

    async def send(self, client: httpx.AsyncClient, message: Outgoing) -> str:
        headers = {"Idempotency-Key": message.id}
        if self._api_key:
            headers["X-Api-Key"] = self._api_key
        answer = await client.post(
            self._url,
            headers=headers,
            json={
                "session": self._session,
                "chatId": chat_id(message.recipient),
                "text": message.body,
            },
        )
        _check_answer(answer, "WAHA")
        sent = _answer_json(answer, "WAHA").get("id")
        if isinstance(sent, dict):  # WAHA gives {"id": {"_serialized": ...}} on some engines
            sent = sent.get("_serialized")
        return str(sent or "")[:200]


def chat_id(recipient: str) -> str:
    """WAHA's chat id for a recipient: a phone number (`+316...` → `316...@c.us`), or a
    WhatsApp id as it came (a `@lid` sender whose number WhatsApp hides)."""
    return recipient if "@" in recipient else f"{recipient.lstrip('+')}@c.us"


class Smtp:
    """E-mail over SMTP: `smtp://user:password@host:port` (STARTTLS when the server
    offers it) or `smtps://` (TLS from the start)."""

    name = "email"

    def __init__(self, url: str, sender: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        self._timeout = timeout
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._implicit_tls else 587)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender

    async def send(self, client: httpx.AsyncClient, message: Outgoing) -> str:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.recipient
        mail["Subject"] = " ".join((message.subject or "Klusmakelaar").split())  # one line
        mail["Date"] = formatdate(localtime=False)
        domain = self._sender.rsplit("@", 1)[-1].rstrip(">") or "klusmakelaar"
        message_id = f"<{message.id}@{domain}>"
        mail["Message-ID"] = message_id
        mail["Content-Language"] = message.language
        mail.set_content(plain(message.body))
        mail.add_alternative(as_html(message.body, message.language), subtype="html")
        try:
            await aiosmtplib.send(
                mail,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._implicit_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused:
            raise SendFailed("the mail server refused the address", retry=False) from None
        except aiosmtplib.SMTPResponseException as error:
            retry = not 500 <= error.code < 600
            raise SendFailed(f"the mail server answered {error.code}: {error.message}"[:300],
                             retry=retry) from None  # fmt: skip
        except (aiosmtplib.SMTPException, OSError) as error:
            raise SendFailed(f"{type(error).__name__}: {error}"[:300], retry=True) from None
        return message_id


@dataclass(frozen=True, slots=True)
class Channels:
    """The channels this installation has, from the settings."""

    phone: Channel | None  # the Cloud API, else WAHA
    chat: dict[str, Channel]  # by the inbound channel a chat message came in on
    email: Channel | None
    timeout: float = 15.0  # seconds for one provider call

    @classmethod
    def from_settings(cls, settings: Settings) -> Channels:
        cloud: Channel | None = None
        if settings.whatsapp_access_token and settings.whatsapp_phone_number_id:
            cloud = CloudApi(
                settings.whatsapp_api_url or "https://graph.facebook.com/v21.0",
                settings.whatsapp_phone_number_id,
                settings.whatsapp_access_token,
                settings.whatsapp_template_prefix,
            )
        waha: Channel | None = None
        if settings.waha_url:
            waha = Waha(settings.waha_url, settings.waha_session, settings.waha_api_key)
        email: Channel | None = None
        if settings.smtp_url and settings.mail_from:
            email = Smtp(settings.smtp_url, settings.mail_from,
                         timeout=settings.provider_timeout_seconds)  # fmt: skip
        chat = {name: channel for name, channel in (("whatsapp", cloud), ("waha", waha)) if channel}
        return cls(phone=cloud or waha, chat=chat, email=email,
                   timeout=settings.provider_timeout_seconds)  # fmt: skip

    def by_name(self, name: str) -> Channel | None:
        """The channel a message was made for (None: not configured any more)."""
        for channel in (self.phone, self.email, *self.chat.values()):
            if channel is not None and channel.name == name:
                return channel
        return None

    def for_person(self, phone: str | None, email: str | None) -> tuple[str, str | None]:
        """(channel name, address) for a person: WhatsApp for a phone number, else
        e-mail; ("none", the address) when this installation has no channel for them."""
        if phone and self.phone is not None:
            return self.phone.name, phone
        if email and self.email is not None:
            return self.email.name, email
        return "none", phone or email

    def for_chat(self, inbound_channel: str) -> str:
        """The channel that answers a chat message that came in on ``inbound_channel``."""
        if inbound_channel == "bridge":
            return "bridge"
        channel = self.chat.get(inbound_channel)
        return channel.name if channel is not None else "none"


NO_CHANNELS: Final = Channels(phone=None, chat={}, email=None)
