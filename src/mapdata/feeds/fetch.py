"""Fetching a feed over http(s): bounded in time and size, redirects to http(s) only."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException

from .. import __version__
from ..errors import InputError

FETCH_TIMEOUT = 20.0  # seconds for the whole download, not only per socket read
MAX_FETCH_BYTES = 20 * 1024 * 1024


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) URLs only (urllib alone would also follow one to ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a URL that is not http(s)", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_FETCH_BYTES) -> tuple[bytes, str]:
    """The body and Content-Type of an http(s) URL, within `timeout` seconds and `max_bytes`; else InputError."""
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": f"mapdata/{__version__} (feed reader)",
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, application/json;q=0.9, "
            "text/csv;q=0.8, text/plain;q=0.7, */*;q=0.5",
        },
    )
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise InputError(f"cannot fetch: the answer is larger than {max_bytes} bytes", url)
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise InputError(f"cannot fetch: the answer is larger than {max_bytes} bytes", url)
                if time.monotonic() > deadline:
                    raise InputError(f"cannot fetch: no complete answer within {timeout:g} s", url)
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("Content-Type", "")
    except InputError:
        raise
    except urllib.error.HTTPError as err:
        raise InputError(f"cannot fetch: HTTP {err.code} {err.reason}", url) from err
    except urllib.error.URLError as err:
        reason = "timed out" if isinstance(err.reason, TimeoutError) else str(err.reason)
        raise InputError(f"cannot fetch ({reason})", url) from err
    except TimeoutError as err:
        raise InputError(f"cannot fetch: no answer within {timeout:g} s", url) from err
    except (OSError, HTTPException, ValueError) as err:
        raise InputError(f"cannot fetch ({err or type(err).__name__})", url) from err
