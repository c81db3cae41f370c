"""Shared helpers of the benchmark scripts: statistics, HTTP, gunicorn, corpus cache, load average.

Nothing here imports `commons`: the scripts measure a checkout given by `--repo` (this one by
default) through subprocesses whose PYTHONPATH starts with that checkout.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PY = sys.executable
# Any database URL of the server (PG_TEST_URL works): the scripts connect to its `postgres` database
# and create their own `bench_*` databases beside it.
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres").rsplit("/", 1)[0] \
    + "/postgres"


class BenchError(RuntimeError):
    """Something broke (an HTTP 500, a lost update…): the script exits non-zero, smoke mode included."""


# --- statistics -------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    """Seconds in, milliseconds out."""
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": round(percentile(values, 50) * 1000, 2),
            "p95_ms": round(percentile(values, 95) * 1000, 2), "p99_ms": round(percentile(values, 99) * 1000, 2),
            "mean_ms": round(statistics.fmean(values) * 1000, 2), "max_ms": round(max(values) * 1000, 2)}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextmanager
def stage(report: dict, name: str):
    """Record wall time and the load average before and after a stage; print both."""
    before = loadavg()
    print(f"[{name}] charge avant {before}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    record: dict = {}
    report.setdefault("stages", {})[name] = record
    try:
        yield record
    finally:
        record["seconds"] = round(time.perf_counter() - started, 2)
        record["load_before"], record["load_after"] = before, loadavg()
        print(f"[{name}] {record['seconds']} s, charge après {record['load_after']}", file=sys.stderr, flush=True)


# --- HTTP -------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                 timeout: float = 60) -> tuple[float, int, bytes, http.client.HTTPResponse]:
    """One request on a fresh connection (gunicorn's sync workers close it anyway)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    return time.perf_counter() - started, response.status, data, response


def http_get(port: int, path: str) -> tuple[float, int, int]:
    """Anonymous GET, no If-None-Match: (seconds, status, body bytes)."""
    seconds, status, data, _ = http_request(port, "GET", path)
    return seconds, status, len(data)


def wait_http(port: int, path: str = "/", timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"le serveur s'est arrêté (code {proc.returncode})")
        try:
            http_request(port, "GET", path, timeout=5)
            return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"pas de réponse sur le port {port} après {timeout} s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def load_run(port: int, paths: list[str], threads: int, duration: float, seed: int = 1,
             stop: threading.Event | None = None) -> dict:
    """`threads` clients without think time for `duration` seconds (or until `stop` is set),
    each request on a new connection. Any 5xx answer raises BenchError after the run."""
    import random

    stop_at = time.monotonic() + duration if stop is None else float("inf")
    stop = stop or threading.Event()
    timings: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        local, local_errors = [], {}
        while time.monotonic() < stop_at and not stop.is_set():
            path = rng.choice(paths)
            try:
                seconds, status, _size = http_get(port, path)
            except OSError as exc:
                local_errors[type(exc).__name__] = local_errors.get(type(exc).__name__, 0) + 1
                continue
            if status != 200:
                local_errors[str(status)] = local_errors.get(str(status), 0) + 1
            local.append(seconds)
        with lock:
            timings.extend(local)
            for k, v in local_errors.items():
                errors[k] = errors.get(k, 0) + v

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.monotonic() - started
    server_errors = {k: v for k, v in errors.items() if k.startswith("5")}
    if server_errors:
        raise BenchError(f"réponses 5xx sous charge : {server_errors}")
    return {"threads": threads, "seconds": round(elapsed, 2), "requests": len(timings),
            "req_per_s": round(len(timings) / elapsed, 1), "errors": errors, **summary(timings)}


# --- processes ----------------------------------------------------------------------------------------

def child_env(repo: Path, db_url: str, work: Path) -> dict:
    """The environment of every child: the measured checkout first on PYTHONPATH, its own instance."""
    return dict(os.environ, DATABASE_URL=db_url, COMMONS_INDEX_DIR=str(work / "index"), SECRET_KEY="bench",
                COMMONS_INSTANCE_PATH=str(work / "instance"), PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1")


def flask(repo: Path, env: dict, *args: str, stdin: str | None = None, check: bool = True,
          timeout: float = 3600) -> subprocess.CompletedProcess:
    result = subprocess.run([PY, "-m", "flask", "--app", "wsgi", *args], cwd=repo, env=env, input=stdin,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def has_flask_command(repo: Path, env: dict, group: str, command: str) -> bool:
    result = flask(repo, env, group, "--help", check=False)
    return result.returncode == 0 and any(line.split()[:1] == [command] for line in result.stdout.splitlines())


def timed_child(cmd: list[str], cwd: Path, env: dict) -> dict:
    """Run a child; wall time and its peak RSS (wait4's rusage of that child only)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    _pid, status, rusage = os.wait4(proc.pid, 0)
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = b"".join(out_chunks).decode(errors="replace")
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} → {proc.returncode}\n{text}")
    return {"seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1)}


class Gunicorn:
    """`gunicorn -w N` on 127.0.0.1 (sync workers, or gthread with `threads` each), serving `app` from `cwd`."""

    def __init__(self, cwd: Path, env: dict, workers: int = 4, app: str = "wsgi:app", wait_path: str = "/",
                 threads: int = 1):
        import tempfile

        self.port = free_port()
        self.ready = Path(tempfile.mkdtemp(prefix="bench-gunicorn-"))
        kind = ["-k", "sync"] if threads <= 1 else ["-k", "gthread", "--threads", str(threads)]
        self.proc = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", str(BENCH / "gunicorn_conf.py"), "-w", str(workers), *kind,
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "120", app],
            cwd=cwd, env=dict(env, BENCH_READY_DIR=str(self.ready)))
        self.workers = workers
        try:
            self.wait_workers()
            if wait_path:
                wait_http(self.port, wait_path, proc=self.proc)
        except BaseException:
            self.stop()
            raise

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def wait_workers(self, exclude: set[int] | None = None, timeout: float = 60) -> list[int]:
        """Wait until `workers` worker processes (none of `exclude`) are up and have imported the app."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn s'est arrêté (code {self.proc.returncode})")
            pids = [p for p in self.worker_pids() if p not in (exclude or set())]
            # A sync worker imports the app (no --preload) before it accepts; gunicorn_conf.py's
            # post_worker_init hook marks each worker that is done.
            if len(pids) == self.workers and all((self.ready / str(p)).exists() for p in pids):
                return pids
            time.sleep(0.1)
        raise BenchError("les workers gunicorn ne démarrent pas")

    def restart_workers(self) -> list[int]:
        """SIGHUP: the master starts fresh workers (the app imported again) and stops the old ones."""
        old = set(self.worker_pids())
        os.kill(self.proc.pid, signal.SIGHUP)
        pids = self.wait_workers(exclude=old)
        deadline = time.monotonic() + 30
        while set(self.worker_pids()) & old and time.monotonic() < deadline:
            time.sleep(0.1)
        return pids

    def memory(self) -> dict:
        rss = [_rss_kb(p) / 1024 for p in self.worker_pids()]
        return {"workers": len(rss), "max_worker_mb": round(max(rss, default=0), 1),
                "sum_workers_mb": round(sum(rss), 1), "master_mb": round(_rss_kb(self.proc.pid) / 1024, 1)}

    def stop(self) -> None:
        import shutil

        shutil.rmtree(self.ready, ignore_errors=True)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- databases and the corpus cache ------------------------------------------------------------------

def pg_reachable(url: str = PG_ADMIN_URL) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception:
        return False


def pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def pg_recreate(name: str) -> str:
    assert name.startswith("bench_"), name
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url(name)


def schema_key(repo: Path) -> str:
    """Corpora are cached per schema: the names of the checkout's migrations."""
    names = sorted(p.name for p in (repo / "migrations" / "versions").glob("*.py"))
    return hashlib.sha1("\n".join(names).encode()).hexdigest()[:8]


def prepare_corpus(repo: Path, database: str, entries: int, workdir: Path, keep: bool, report: dict) -> tuple[str, Path]:
    """Generate (or, with keep, reuse) the corpus of `entries` entries; returns (database URL, work folder).

    The cache is keyed by size, database and schema; a reused corpus carries the edits of earlier runs.
    """
    sys.path.insert(0, str(BENCH))
    from search_corpus import generate, settle

    key = f"{database}-{entries}-{schema_key(repo)}"
    work = workdir / key
    marker = work / "corpus.json"
    if database == "sqlite":
        db_url = f"sqlite:///{work / 'corpus.db'}"
    else:
        db_url = pg_url(f"bench_corpus_{entries}_{schema_key(repo)}")
    if keep and marker.exists():
        info = json.loads(marker.read_text())
        info["reused"] = True
        report["corpus"] = info
        print(f"Corpus réutilisé : {work}", file=sys.stderr)
        settle(db_url.replace("postgresql://", "postgresql+psycopg://", 1))  # the earlier runs' dead rows
        return db_url, work
    work.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    if database == "sqlite":
        for stale in work.glob("corpus.db*"):
            stale.unlink()
    else:
        pg_recreate(db_url.rsplit("/", 1)[1])
    env = child_env(repo, db_url, work)
    info = generate(db_url, entries, repo=repo, env=env)
    report["corpus"] = info
    marker.write_text(json.dumps(info))
    return db_url, work


def repo_commit(repo: Path) -> str:
    result = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def write_json(name: str, report: dict) -> Path:
    """bench/out/<name>-<commit>.json: a before and an after run do not overwrite each other."""
    name = name.removesuffix(".json") + f"-{report.get('commit', 'unknown')}.json"
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"→ {path}", file=sys.stderr)
    return path
