"""The caller's IP address of an HTTP request or a WebSocket scope, decided in one place.

`REMOTE_ADDR`, or, under TRUSTED_PROXY, the last X-Forwarded-For hop: the one our proxy
appended. Hops before it are whatever the client sent and could be forged.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(
    *, forwarded: str, remote: str
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The client's address from the two raw values (None when neither is an address)."""
    if settings.TRUSTED_PROXY and forwarded:
        hop = _parsed(forwarded.split(",")[-1])
        if hop is not None:
            return hop
    return _parsed(remote) if remote else None


def _parsed(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def limit_key_address(*, forwarded: str, remote: str) -> str | None:
    """The client's address as the rate limits count it: an IPv6 client per /64."""
    ip = client_ip(forwarded=forwarded, remote=remote)
    if ip is None:
        return None
    if ip.version == 6:
        # One IPv6 client usually holds a whole /64.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def request_limit_key_address(request: HttpRequest) -> str | None:
    return limit_key_address(
        forwarded=request.META.get("HTTP_X_FORWARDED_FOR", ""),
        remote=request.META.get("REMOTE_ADDR", ""),
    )
