"""Shared fixtures: the bundled knowledge base, a responder over it, and copies to break on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer import Responder
from bot.config import BUNDLED_KNOWLEDGE
from bot.knowledge import KnowledgeBase, load_knowledge
from tests.fakebotapi import FakeBotAPI

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(BUNDLED_KNOWLEDGE)


@pytest.fixture(scope="session")
def responder(kb: KnowledgeBase) -> Responder:
    return Responder(kb)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled knowledge base, for tests that break it."""
    target = tmp_path / "knowledge"
    shutil.copytree(BUNDLED_KNOWLEDGE, target)
    return target


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBotAPI]:
    """A fake Bot API server on 127.0.0.1, one per test module (see tests/fakebotapi.py)."""
    server = FakeBotAPI()
    server.start()
    yield server
    server.stop()
