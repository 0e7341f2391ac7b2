"""`-f https://...`: a manifest fetched over HTTP(S), as kubectl's resource builder reads URLs
(cli-runtime pkg/resource/visitor.go readHttpWithRetries: GET, a non-200 status is an error)."""

from __future__ import annotations

import urllib.error
import urllib.request

__all__ = ["is_url", "read_url"]

TIMEOUT = 30.0


def is_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))


def read_url(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as e:
        raise OSError(f'error: unable to read URL "{url}", server reported {e.code} {e.reason}, '
                      f"status code={e.code}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise OSError(f'error: unable to read URL "{url}": {reason}') from None
