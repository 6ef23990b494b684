"""The lifetime of a native object: close(), a context manager, and __del__ only as a safety net."""
from __future__ import annotations

from ctypes import c_void_p
from typing import Optional

from .. import _native
from .._errors import CrayonValueError


class NativeObject:
    """Owns one handle, released with the library function named by ``_free``."""

    _free = ""                                   # e.g. "crayon_free"
    _handle: Optional[c_void_p] = None

    def close(self) -> None:
        """Releases the native object. Further calls raise; closing twice is fine."""
        handle, self._handle = self._handle, None
        self._closed()
        if handle is not None and handle.value:
            getattr(_native.lib(), self._free)(handle)

    def _h(self) -> c_void_p:
        """The live handle; a closed object raises."""
        if not self._handle:
            raise CrayonValueError(f"this {type(self).__name__} is closed")
        return self._handle

    def _closed(self) -> None:
        """What else to forget on close (subclasses)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A safety net only; at interpreter exit the module globals may already be gone.
        try:
            self.close()
        except Exception:
            pass
