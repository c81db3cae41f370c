"""Writing a whole index from the database's documents, on every core.

A rebuild cuts the documents into chunks of REBUILD_SEGMENT_DOCS; each chunk becomes one
segment. Analysing French text is pure Python, so one process uses one core: with several
cores the chunks are written by worker processes, each into its own scratch Whoosh index
(its own lock, its own temporary files), and the finished segment files are moved into the
new folder and listed in its table of contents by one ordinary commit whose merge policy
adds them. The main process meanwhile reads the next chunks from the database.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from whoosh import index as whoosh_index

from commons.search.lexicon import Lexicon, recording
from commons.search.schema import build_schema

REBUILD_SEGMENT_DOCS = 15_000


def chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_all(folder, docs: Iterable[dict], lexicon: Lexicon, progress: Callable[[int], None] | None,
              processes: int) -> None:
    """Write every document into `folder` (a new, empty index), one segment per chunk."""
    segment_docs = REBUILD_SEGMENT_DOCS
    if processes <= 1:
        for chunk in chunks(docs, segment_docs):
            _write_here(folder, chunk, lexicon, progress)
        return
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.path.parent))
    try:
        # spawn, not fork: the caller may be a threaded web worker holding database connections.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
            pending: list[Future] = []
            segments = []
            for n, chunk in enumerate(chunks(docs, segment_docs)):
                pending.append(pool.submit(build_segment, str(scratch / str(n)), chunk))
                while len(pending) > processes:  # at most one chunk waiting per worker: bounded memory
                    segments.append(_collect(pending.pop(0), folder, lexicon, progress))
            segments += [_collect(f, folder, lexicon, progress) for f in pending]
        _add_segments(folder, segments)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_here(folder, docs: list[dict], lexicon: Lexicon, progress) -> None:
    """One writer, one segment per chunk: the posting pool of a chunk sorts in memory, where
    one writer for 100,000 documents would spill sorted runs to disk and merge them (slower,
    and the pool alone would pass the memory budget)."""
    writer = folder.ix.writer(limitmb=160)
    try:
        with recording(writer) as words:
            for doc in docs:
                writer.add_document(**doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(merge=False)
    lexicon.merge(words)
    if progress:
        progress(len(docs))


def build_segment(path: str, docs: list[dict]) -> tuple[str, object, Counter, int]:
    """In a worker process: one scratch index holding one segment of `docs`."""
    os.makedirs(path)
    ix = whoosh_index.create_in(path, build_schema())
    writer = ix.writer(limitmb=160)
    with recording(writer) as words:
        for doc in docs:
            writer.add_document(**doc)
    writer.commit(merge=False)
    segment = ix._read_toc().segments[0]
    return path, segment, words, len(docs)


def _collect(future: Future, folder, lexicon: Lexicon, progress):
    path, segment, words, count = future.result()
    # Segment files are named after the segment ("MAIN_<random id>"): moved as they are, the
    # segment object describes them in the new folder too.
    prefix = segment.segment_id()
    for file in Path(path).iterdir():
        if file.name.startswith(prefix):
            os.replace(file, folder.path / file.name)
    lexicon.merge(words)
    if progress:
        progress(count)
    return segment


def _add_segments(folder, segments: list) -> None:
    writer = folder.ix.writer()
    # A merge policy that keeps what is there and adds the finished segments, in order.
    writer.commit(mergetype=lambda _writer, existing: [*existing, *segments])
