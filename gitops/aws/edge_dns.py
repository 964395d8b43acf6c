"""Before the smoke suite: wait until the edge's host name resolves. With `ml-edge:customDomain.hostedZoneId` the
program creates the alias records itself; without it someone else creates them, and the first deploy of a custom
domain can finish before they exist."""

import socket
import time
from collections.abc import Callable

WAIT_SECONDS = 15 * 60  # as long as a resolver may cache "no such name" from a Route 53 zone (its SOA: 900 s)
POLL_SECONDS = 15


class NameDoesNotResolve(RuntimeError):
    pass


def records_to_create(host: str, target: str) -> str:
    return (f"create DNS records for {host} pointing at the CloudFront distribution {target}: in Route 53, an A and "
            f"an AAAA alias record to the distribution (or set ml-edge:customDomain.hostedZoneId and the program "
            f"creates them); at another DNS provider, a CNAME {host} → {target}")


def wait_until_resolves(host: str, target: str, *, wait_seconds: int = WAIT_SECONDS, poll_seconds: int = POLL_SECONDS,
                        resolve: Callable | None = None, sleep: Callable[[float], None] | None = None,
                        say: Callable[[str], None] = print) -> list[str]:
    """The host's addresses, once it resolves; NameDoesNotResolve after about wait_seconds."""
    resolve, sleep = resolve or socket.getaddrinfo, sleep or time.sleep
    tries = max(1, wait_seconds // poll_seconds + 1)
    for attempt in range(1, tries + 1):
        try:
            answers = resolve(host, 443, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            problem = error.strerror or str(error)
        else:
            addresses = sorted({answer[4][0] for answer in answers})
            say(f"{host} resolves ({', '.join(addresses)})")
            return addresses
        if attempt == 1:
            say(f"{host} does not resolve yet ({problem}); waiting up to {wait_seconds // 60} min. If nobody has "
                f"yet: {records_to_create(host, target)}")
        else:
            say(f"  {host}: still does not resolve ({problem}; {(attempt - 1) * poll_seconds} s of {wait_seconds} s)")
        if attempt < tries:
            sleep(poll_seconds)
    raise NameDoesNotResolve(f"{host} still does not resolve after {wait_seconds // 60} min: "
                             f"{records_to_create(host, target)}")
