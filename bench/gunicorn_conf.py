"""Gunicorn settings of the benchmarks: each worker says when it has imported the app."""
import os
from pathlib import Path


def post_worker_init(worker):
    ready = os.environ.get("BENCH_READY_DIR")
    if ready:
        Path(ready, str(worker.pid)).touch()
