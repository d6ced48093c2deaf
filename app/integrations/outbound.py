"""Outgoing HTTP to addresses that callers chose (webhooks): only where the rules allow.

The rules (API.md, "Events and webhooks"): `https` only, and a host whose every address
is a public unicast one: not private, loopback, link-local, multicast, unspecified,
reserved or shared (100.64/10), not a cloud's metadata service, also when written as an
IPv4-mapped or -translated IPv6 address. They are checked when a URL is given and again
before each request, against the addresses the name resolves to then; the request goes
to the address that was checked (the name stays in `Host` and the TLS server name), so a
name that resolves elsewhere a moment later cannot slip past. Redirects are not
followed. `KLUSMAKELAAR_WEBHOOK_ALLOW_INSECURE=true` (development only) allows `http` and
any address; other schemes never.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Metadata services of cloud platforms, on addresses the other rules may not cover.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 15.0
MAX_RESPONSE_BYTES = 64 * 1024


class NotAllowed(Exception):
    """The URL or the address it resolves to is not one the rules allow."""


def forbidden(address: IPAddress) -> str | None:
    """Why ``address`` may not be called, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or _nat64(address)
        if embedded is not None:
            reason = forbidden(embedded)
            return f"{reason} (inside an IPv6 address)" if reason else None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for reason, applies in (  # the most telling reason first
        ("the unspecified address", address.is_unspecified),
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a shared address", isinstance(address, ipaddress.IPv4Address) and address in _SHARED),
        ("a private address", address.is_private),
        ("a reserved address", address.is_reserved),
        ("not a global address", not address.is_global),
    ):
        if applies:
            return reason
    return None


def _nat64(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def check_url(url: str, *, allow_insecure: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of an allowed URL; `NotAllowed` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise NotAllowed(f"not a URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not allow_insecure):
        raise NotAllowed("the URL must start with https://")
    if parts.username is not None or parts.password is not None:
        raise NotAllowed("the URL must not hold a user name or password")
    if not parts.hostname:
        raise NotAllowed("the URL has no host")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` resolves to now (an IP literal is its own)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise NotAllowed(f"the host {host!r} cannot be resolved ({error.strerror})") from None
    # An IPv6 address may carry its interface ("fe80::1%eth0"): the address is before it.
    found = (ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
    return list(dict.fromkeys(found))


async def allowed_address(url: str, *, allow_insecure: bool) -> IPAddress | None:
    """The address to call for ``url``, checked now (None: call the URL as it is, when
    insecure targets are allowed); `NotAllowed` with the reason otherwise."""
    _, host, port = check_url(url, allow_insecure=allow_insecure)
    if allow_insecure:
        return None
    addresses = await resolve(host, port)
    for address in addresses:
        reason = forbidden(address)
        if reason is not None and str(address) == host:
            raise NotAllowed(f"{host} is {reason}")
        if reason is not None:
            raise NotAllowed(f"{host} resolves to {address}, {reason}")
    return addresses[0]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a receiver answered: its status and how long it took (the body is not kept)."""

    status_code: int
    duration_ms: int


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    allow_insecure: bool,
) -> Answer:
    """POST to ``url`` under the rules; `NotAllowed`, `httpx.HTTPError` or `TimeoutError`
    when it cannot be done. At most `MAX_RESPONSE_BYTES` of the answer are read."""
    address = await allowed_address(url, allow_insecure=allow_insecure)
    target = url
    extensions: dict[str, str] = {}
    if address is not None:
        parts = urlsplit(url)
        host = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{host}:{parts.port}" if parts.port else host
        target = urlunsplit(parts._replace(netloc=netloc))
        headers = {**headers, "Host": parts.netloc.rsplit("@", 1)[-1]}
        extensions["sni_hostname"] = parts.hostname or ""
    started = time.perf_counter()
    async with asyncio.timeout(TOTAL_TIMEOUT):
        request = client.build_request(
            "POST", target, content=content, headers=headers, extensions=extensions
        )
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break
        finally:
            await response.aclose()
    return Answer(response.status_code, round((time.perf_counter() - started) * 1000))


def client() -> httpx.AsyncClient:
    """The client outgoing calls share: timeouts, no redirects, no environment proxies."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )
