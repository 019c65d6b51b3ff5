"""One build at a time per index folder: the lock every ingest and every upload takes.

Two builds side by side would each compare the corpus with the same previous build and
each make its own result current: the one that finishes last wins, and what the other
added is lost. So `ingest.build.build` and `ingest.upload.add_document` hold
INDEX_DIR/ingest.lock (an operating-system lock, `filelock`) around the whole
read-compare-embed-write of a build: a second ingest waits for the first to finish, then
compares the corpus with the first's result, and what each adds is in the index once both
are done. With `wait=False` (`ess ingest --no-wait`) it refuses at once instead.

The lock is the kernel's (flock): it is released when its process ends, even killed, so a
crashed ingest never leaves the folder locked. Inside one thread it can be taken again
(an upload holds it, then its build takes it again): the second take costs nothing.
Readers (searches, the page, the API) never take it: they read CURRENT and the build it
names, which `index.store` keeps on disk for a while after it is replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import EssError, IndexUnwritable

LOCK = "ingest.lock"  # in the index folder, beside CURRENT
log = logging.getLogger(__name__)
_held = threading.local()  # .folders: the index folders this thread holds the lock of


class IndexBusy(EssError):
    """Another ingest is updating the index, and the caller asked not to wait."""


def waiting_message(index_dir: Path) -> str:
    """What a second ingest says while it waits for the first.

    >>> waiting_message(Path("index/built"))
    "Un autre ingest met à jour l'index index/built : attente…"
    """
    return f"Un autre ingest met à jour l'index {index_dir} : attente…"


@contextmanager
def building(index_dir: Path, wait: bool = True,
             on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index folder's build lock for the duration of the block.

    When another process (or thread) holds it: with `wait`, say so once through `on_wait`
    (a log line without it) and wait for it; without, raise IndexBusy at once, the index
    untouched. The index folder is created if needed (the lock lives in it, and stays
    there, even after a first build that failed: a waiter blocked on a removed lock file
    would hold a lock no newcomer sees, and two builds would run at once; tried, and
    caught by a test).
    """
    from filelock import FileLock, Timeout

    key = str(index_dir.resolve())
    held = _held.__dict__.setdefault("folders", set())
    if key in held:  # this thread already holds it (an upload, then its build)
        yield
        return
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(index_dir / LOCK)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                raise IndexBusy(f"un autre ingest met à jour l'index {index_dir} : relancez "
                                "quand il aura fini, ou sans --no-wait pour attendre "
                                "son tour") from None
            (on_wait or log.warning)(waiting_message(index_dir))
            lock.acquire()
    except OSError as exc:
        log.warning("lock of %s: %r", index_dir, exc)
        raise IndexUnwritable(f"impossible d'écrire l'index dans {index_dir} ({_french(exc)}) : "
                              "indiquez avec --index un dossier où vous pouvez écrire") from None
    held.add(key)
    try:
        yield
    finally:
        held.discard(key)
        lock.release()


def _french(exc: OSError) -> str:
    from ingest.read import os_reason

    return os_reason(exc)
