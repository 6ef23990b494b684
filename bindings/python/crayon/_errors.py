"""Exceptions raised by the crayon package, one per C status code."""
from __future__ import annotations


class CrayonError(Exception):
    """Base class of every error raised by crayon."""


class CrayonValueError(CrayonError, ValueError):
    """An argument was invalid (CRAYON_E_INVALID_ARGUMENT, CRAYON_E_INVALID_UTF8)."""


class CrayonIOError(CrayonError, OSError):
    """A file could not be opened, read or mapped (CRAYON_E_IO)."""


class CrayonFormatError(CrayonError, ValueError):
    """Corrupt, truncated or wrong-version data (CRAYON_E_FORMAT)."""


class CrayonNotFoundError(CrayonError, LookupError):
    """Unknown profile or encoding name (CRAYON_E_NOT_FOUND)."""


class UnknownTokenError(CrayonError, ValueError):
    """A token id outside the vocabulary (CRAYON_E_UNKNOWN_ID)."""


class BackendUnavailableError(CrayonError, RuntimeError):
    """The requested backend or feature is not available here (CRAYON_E_UNSUPPORTED)."""


class DisallowedSpecialError(CrayonError, ValueError):
    """Special-token text appeared where it is not allowed (CRAYON_E_DISALLOWED_SPECIAL)."""


_BY_STATUS = {
    -1: CrayonValueError,
    -2: CrayonIOError,
    -3: CrayonFormatError,
    -4: CrayonNotFoundError,
    -5: UnknownTokenError,
    -6: BackendUnavailableError,
    -7: DisallowedSpecialError,
    -8: CrayonValueError,
}


def raise_for_status(status: int, message: str) -> None:
    cls = _BY_STATUS.get(status, CrayonError)
    raise cls(message or f"crayon call failed with status {status}")
