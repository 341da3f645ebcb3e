"""Pausing the cyclic collector, and handing the GIL over promptly, while building large structures (bot.bulk)."""

import gc
import sys

import pytest

from bot.bulk import PROMPT_SWITCH_S, paused_gc, prompt_switching


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
