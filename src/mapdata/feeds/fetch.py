"""Fetching a feed over http(s): bounded in time and size, redirects to http(s) only, conditional when asked."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException

from .. import __version__
from ..errors import InputError

FETCH_TIMEOUT = 20.0  # seconds for the whole download, not only per socket read
MAX_FETCH_BYTES = 20 * 1024 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, application/json;q=0.9, "
    "text/csv;q=0.8, text/plain;q=0.7, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one GET returned: the body and its type, and the validators to send next time. `not_modified` is a
    304 answer to a conditional GET: no body, nothing new."""

    body: bytes
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) URLs only (urllib alone would also follow one to ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a URL that is not http(s)", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_FETCH_BYTES) -> tuple[bytes, str]:
    """The body and Content-Type of an http(s) URL, within `timeout` seconds and `max_bytes`; else InputError."""
    got = fetch_if_changed(url, timeout=timeout, max_bytes=max_bytes)
    return got.body, got.content_type


def fetch_if_changed(
    url: str,
    etag: str = "",
    last_modified: str = "",
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_FETCH_BYTES,
) -> Fetched:
    """GET an http(s) URL, sending the validators of the last answer (If-None-Match, If-Modified-Since) so that
    an unchanged feed answers 304 and costs nothing; within `timeout` seconds and `max_bytes`, else InputError."""
    headers = {"User-Agent": f"mapdata/{__version__} (feed reader)", "Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise InputError(f"cannot fetch: the answer is larger than {max_bytes} bytes", url)
            chunks: list[bytes] = []
            size = 0
            # read1 returns what one receive brought, so a server that drips bytes meets the deadline too
            while chunk := response.read1(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise InputError(f"cannot fetch: the answer is larger than {max_bytes} bytes", url)
                if time.monotonic() > deadline:
                    raise InputError(f"cannot fetch: no complete answer within {timeout:g} s", url)
                chunks.append(chunk)
            return Fetched(
                b"".join(chunks),
                response.headers.get("Content-Type", ""),
                response.headers.get("ETag", ""),
                response.headers.get("Last-Modified", ""),
            )
    except InputError:
        raise
    except urllib.error.HTTPError as err:
        if err.code == 304 and (etag or last_modified):
            return Fetched(b"", etag=err.headers.get("ETag", etag), last_modified=last_modified, not_modified=True)
        raise InputError(f"cannot fetch: HTTP {err.code} {err.reason}", url) from err
    except urllib.error.URLError as err:
        reason = "timed out" if isinstance(err.reason, TimeoutError) else str(err.reason)
        raise InputError(f"cannot fetch ({reason})", url) from err
    except TimeoutError as err:
        raise InputError(f"cannot fetch: no answer within {timeout:g} s", url) from err
    except (OSError, HTTPException, ValueError) as err:
        raise InputError(f"cannot fetch ({err or type(err).__name__})", url) from err
