"""Storage handles shared by a process's services: each is opened on first use, once (under a lock), and
closed once. Opening lazily lets a service start while its database is down: requests answer
``StorageUnavailable`` and followers retry until it is back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    def close(self) -> None: ...


T = TypeVar("T", bound=Closable)


class Closed(RuntimeError):
    """The handle was closed: the process is stopping, nothing opens it again."""


class Handle(Generic[T]):
    def __init__(self, opener: Callable[[], T]) -> None:
        self._opener = opener
        self._value: T | None = None
        self._closed = False
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._closed:
                    raise Closed("the storage handle was closed: the process is stopping")
                if self._value is None:
                    self._value = self._opener()
                value = self._value
        return value

    @property
    def opened(self) -> bool:
        return self._value is not None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._value is not None:
                self._value.close()
                self._value = None
