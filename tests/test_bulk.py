"""Pausing the cyclic collector, and handing the GIL over promptly, while building large structures (bot.bulk)."""

import gc
import sys

import pytest

from bot import bulk
from bot.bulk import PROMPT_SWITCH_S, paused_gc, prompt_switching, release


def test_collector_is_paused_inside_and_restored_after_the_outermost_block() -> None:
    """Nested pauses keep it off until the last one ends; then it is on again."""
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    """Whoever turned the collector off keeps it off: the pause does not turn it on."""
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_settle_freezes_what_was_built() -> None:
    """A start-up build is moved past the collector (gc.freeze) before it resumes."""
    before = gc.get_freeze_count()
    try:
        with paused_gc(settle=True):
            built = [[n] for n in range(1000)]
        assert gc.get_freeze_count() >= before + len(built)
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_prompt_switching_hands_the_gil_over_sooner_and_restores_the_interval() -> None:
    """A reload's block gets a short switch interval; the process's own comes back after, even on error."""
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), prompt_switching():
        assert sys.getswitchinterval() == pytest.approx(min(before, PROMPT_SWITCH_S))
        raise RuntimeError("the build failed")
    assert sys.getswitchinterval() == before


class _Recording(dict):  # type: ignore[type-arg]
    """A dict that counts the items taken out of it one at a time."""

    taken = 0

    def popitem(self):  # type: ignore[no-untyped-def]
        _Recording.taken += 1
        return super().popitem()


class _Holder:
    def __init__(self, private: dict[str, object], shared: dict[str, object]) -> None:
        self.private = private
        self.shared = shared


def test_release_takes_apart_what_only_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The garbage's own dicts are emptied item by item; what the living still hold is untouched."""
    monkeypatch.setattr(bulk, "RELEASE_BATCH", 7)
    shared = {"contacts": ["+00"]}
    private = _Recording({f"entry-{n}": [n, {"phrasing": str(n)}] for n in range(100)})
    garbage: list[object] = [_Holder(private, shared)]
    del private
    release(garbage)
    assert garbage == [] and _Recording.taken == 100
    assert shared == {"contacts": ["+00"]}


def test_release_leaves_alone_what_someone_still_uses() -> None:
    """A responder an update is still answering with is not taken apart under it."""
    in_use = _Holder({"a": [1, 2]}, {})
    release([in_use])
    assert in_use.private == {"a": [1, 2]}
