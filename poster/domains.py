"""Which host a link points to, and whether a community's domain lists cover it.

A link's host is what a browser would connect to: userinfo is dropped
(`https://example.com@evil.test/` goes to evil.test), the trailing dot of a fully
qualified name is removed, letters are lowercased and international names are
compared in their ASCII (punycode) form, so `bücher.example` and
`xn--bcher-kva.example` are one host. A link whose host cannot be read that way (a
backslash, which browsers treat as a slash, an IP literal with a zone, bad IDNA) has
no host, and passes no domain rule.

Entries are matched with the Public Suffix List (tldextract's bundled copy, never
fetched at run time), on label boundaries, never by string suffix:
- a deny-list entry covers its host and every host under it: everything below a
  registrable domain belongs to its registrant (`example.com` denies
  `evil.example.com`, never `notexample.com` or `example.com.evil.test`);
- an allow-list entry covers exactly its host (`example.com` does not let
  `evil.example.com` pass); `*.example.com` covers the hosts under it too.
An entry must lie at or under a registrable domain: `com`, `co.uk` or `github.io`
(whose sub-domains belong to different people) are refused when staff save them.
"""

from functools import cache
from urllib.parse import urlsplit

import idna
import tldextract

WILDCARD_PREFIX = "*."


class DomainInvalid(ValueError):
    """An entry staff typed is not a host name poster can match."""


@cache
def _public_suffixes() -> tldextract.TLDExtract:
    # The snapshot bundled with the package: no network, no cache directory.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def host_normalize(host: str) -> str | None:
    """`host` lowercased, without a trailing dot, IDNA-encoded; None if unusable."""
    host = host.strip().rstrip(".").lower()
    if not host or any(character in host for character in "\\/@:%[] \t"):
        return None
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    return ascii_host if len(ascii_host) <= 253 else None


def link_host(url: str) -> str | None:
    """The host `url` leads to, normalized; None when it cannot be told for sure."""
    if "\\" in url:
        return None
    try:
        hostname = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host_normalize(hostname) if hostname else None


def registrable_domain(host: str) -> str:
    """`evil.example.co.uk` -> `example.co.uk`; "" for a public suffix itself."""
    return _public_suffixes()(host).top_domain_under_public_suffix


def domain_entry_normalize(entry: str, *, allow_wildcard: bool) -> str:
    """An entry as it is stored and matched; DomainInvalid with the reason if bad."""
    is_wildcard = entry.startswith(WILDCARD_PREFIX)
    if is_wildcard and not allow_wildcard:
        raise DomainInvalid(
            f"{entry}: a deny-list entry covers its sub-domains already."
        )
    host = host_normalize(entry.removeprefix(WILDCARD_PREFIX) if is_wildcard else entry)
    if host is None or "." not in host:
        raise DomainInvalid(f"{entry}: not a domain name.")
    if not registrable_domain(host):
        raise DomainInvalid(
            f"{entry}: a public suffix; name a domain registered under it."
        )
    return WILDCARD_PREFIX + host if is_wildcard else host


def _is_at_or_under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def host_denied(host: str, entries: tuple[str, ...]) -> bool:
    return any(_is_at_or_under(host, entry) for entry in entries)


def host_allowed(host: str, entries: tuple[str, ...]) -> bool:
    for entry in entries:
        if entry.startswith(WILDCARD_PREFIX):
            if _is_at_or_under(host, entry.removeprefix(WILDCARD_PREFIX)):
                return True
        elif host == entry:
            return True
    return False
