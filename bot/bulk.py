"""Building large structures without the cyclic garbage collector in the way.

Loading a knowledge base creates hundreds of thousands of small objects (YAML nodes, models, index
tuples) that hold no reference cycles. Every 700 allocations CPython's collector runs, and every so
often it walks *every* tracked object; as the heap grows those walks dominate. Measured at 10,000
entries: 5.1 s to load with the collector running, 2.5 s with it paused. Reference counting still
frees everything that is dropped, so pausing only postpones the rare cyclic garbage.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_depth = 0
_was_enabled = False
_settle = False


@contextmanager
def paused_gc(settle: bool = False) -> Iterator[None]:
    """Pause the cyclic collector for the block; nested and concurrent uses (a reload in a worker
    thread while another load runs) restore it only when the last one ends, and only if it was on.

    ``settle``: what was built lives as long as the process (start-up), so it is frozen
    (``gc.freeze``) before the collector resumes. Otherwise the next collections walk all of it
    once more (0.1 s at 10,000 entries, measured), and the full ones keep walking it for nothing:
    a knowledge base holds no reference cycles, so reference counting alone frees a replaced one.
    A live reload settles too (handlers/admin.py): without it, the first collection after the
    build walks the whole new knowledge base on the serving thread (0.1 s at 10,000 entries, as
    one stall). The price is that cyclic garbage the serving thread made during the reload's few
    seconds is frozen with it and never collected."""
    global _depth, _was_enabled, _settle
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
        _settle = _settle or settle
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _settle:
                    gc.freeze()
                    _settle = False
                if _was_enabled:
                    gc.enable()


#: How soon a thread that waits for the GIL gets it while another one computes (CPython's default
#: is 5 ms). Each update the bot serves passes the GIL back and forth at every socket and database
#: call, so behind a thread rebuilding the knowledge base each wait cost up to 5 ms.
PROMPT_SWITCH_S = 0.0002


@contextmanager
def prompt_switching() -> Iterator[None]:
    """Hand the GIL over every 0.2 ms instead of 5 ms for the block (a reload in a worker thread
    beside the serving thread): at 10,000 entries, p99 around a reload fell from about 250 ms to
    about 90 ms (bench/reload.py), for a reload about a fifth slower."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, PROMPT_SWITCH_S))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


#: How many objects :func:`release` frees between chances for another thread to run.
RELEASE_BATCH = 500


def release(garbage: list[Any]) -> None:
    """Free what only ``garbage`` holds, a few hundred objects at a time (for a worker thread).

    A replaced knowledge base freed by one assignment is one cascade of deallocations that holds
    the GIL throughout: 56 ms at 10,000 entries, a pause for every update being served. Here its
    dicts, lists, tuples and objects are taken apart piece by piece instead. Anything also held
    elsewhere (the settings the new responder shares, a responder an update is still using) is
    left alone: dropping our reference to it frees nothing now."""
    with prompt_switching():
        freed = 0
        while garbage:
            item = garbage.pop()
            if sys.getrefcount(item) > 2:  # ``item`` and the call's argument: anyone else holds it
                continue
            if isinstance(item, (tuple, list, set, frozenset)):
                garbage.extend(item)
            elif isinstance(item, dict) or hasattr(item, "__dict__"):
                parts = item if isinstance(item, dict) else vars(item)
                while parts:
                    garbage.extend(parts.popitem())
                    freed += 1
                    if freed % RELEASE_BATCH == 0:
                        time.sleep(0)  # let the serving thread in
            del item
            freed += 1
            if freed % RELEASE_BATCH == 0:
                time.sleep(0)
