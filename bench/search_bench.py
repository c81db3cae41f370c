"""Search benchmark: reindex time and memory, HTTP latency against SQLite FTS5, concurrent edits.

    .venv/bin/python bench/search_bench.py --entries 2000      # quick (about a minute)
    .venv/bin/python bench/search_bench.py --entries 100000    # the issue's figures (several minutes)

1. generates the corpus (bench/search_corpus.py) into a fresh SQLite database (or --database);
2. `flask search reindex` in a child process: wall time and peak RSS (getrusage of the child);
3. serves the app with gunicorn (1 sync worker) on 127.0.0.1 and times GET /api/v1/search
   (one- and two-word queries, each with a facet filter or none; facets are always counted),
   one request at a time over a fresh TCP connection, after one warm-up pass;
4. the same queries on SQLite FTS5 over the same corpus, in this process (no HTTP): match,
   status/filters, total, kind/edition/tag counts and the top 20 by bm25 with a snippet — the floor;
5. 4 processes × 250 edits through the entries service, then `flask search check`.
Writes bench/out/search-<N>.json and prints a Markdown summary.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PY = sys.executable

from search_corpus import KINDS, WORDS, YEARS, generate  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(percentile(values, 50) * 1000, 2),
            "p95_ms": round(percentile(values, 95) * 1000, 2), "p99_ms": round(percentile(values, 99) * 1000, 2),
            "mean_ms": round(statistics.fmean(values) * 1000, 2)}


def child_env(db_url: str, work: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=db_url, COMMONS_INDEX_DIR=str(work / "index"),
               SECRET_KEY="bench", COMMONS_INSTANCE_PATH=str(work / "instance"), PYTHONPATH=str(ROOT))
    return env


REINDEX = textwrap.dedent("""
    import json, resource, time
    from commons import create_app
    app = create_app()
    with app.app_context():
        from commons.search.service import service
        started = time.perf_counter()
        folder = service().rebuild(wait=60)
        seconds = time.perf_counter() - started
        docs = folder.ix.doc_count()
    print(json.dumps({"seconds": seconds, "documents": docs,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

EDITOR = textwrap.dedent("""
    import random, sys, time
    import sqlalchemy as sa
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError
    from commons import create_app
    from commons.entries.models import Entry
    from commons.entries.services import EditConflict, revise_entry
    from commons.extensions import db
    worker, edits, max_id = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(worker)
    app = create_app()
    retries = 0
    with app.app_context():
        for n in range(edits):
            entry_id = rng.randint(1, max_id)
            while True:
                try:
                    entry = db.session.get(Entry, entry_id)
                    revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind,
                                 title=f"Fiche {entry_id} revue par {worker}-{n}", body=entry.body + f" Révision {worker}-{n}.",
                                 tags=[t.name for t in entry.tags], workshop=entry.workshop)
                    db.session.commit()
                    break
                except (StaleDataError, EditConflict, OperationalError):
                    db.session.rollback()
                    retries += 1
                    time.sleep(0.01)
    print(retries)
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return time.perf_counter() - started, response.status


def build_queries(tag_slugs: list[str], count: int, seed: int = 7) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    words = [w.replace("-", " ").split()[0] for w in WORDS if len(w) > 3]

    def facet() -> dict:
        choice = rng.randrange(4)
        return [{}, {"kind": rng.choice(KINDS)}, {"edition": str(rng.choice(YEARS))}, {"tag": rng.choice(tag_slugs[:60])}][choice]

    return {
        "one-word": [{"q": rng.choice(words), **facet()} for _ in range(count)],
        "two-word": [{"q": f"{rng.choice(words)} {rng.choice(words)}", **facet()} for _ in range(count)],
    }


def run_http(port: int, queries: dict[str, list[dict]]) -> dict:
    out = {}
    for name, params_list in queries.items():
        for params in params_list:  # warm-up: caches, imports, first searcher
            http_get(port, "/api/v1/search?" + urllib.parse.urlencode(params))
        timings = []
        for params in params_list:
            seconds, status = http_get(port, "/api/v1/search?" + urllib.parse.urlencode(params))
            assert status == 200, (status, params)
            timings.append(seconds)
        out[name] = summary(timings)
    return out


# --- FTS5 floor ----------------------------------------------------------------------------------

def build_fts(corpus_db: Path, fts_db: Path) -> float:
    started = time.perf_counter()
    con = sqlite3.connect(fts_db)
    con.executescript(f"""
        ATTACH DATABASE '{corpus_db}' AS src;
        CREATE VIRTUAL TABLE fts USING fts5(title, tags, body, tokenize = "unicode61 remove_diacritics 2");
        CREATE TABLE meta (id INTEGER PRIMARY KEY, kind TEXT, edition TEXT, year INTEGER, status TEXT, updated_at TEXT);
        CREATE TABLE tags (entry_id INTEGER, slug TEXT);
        INSERT INTO meta SELECT e.id, e.kind, ed.slug, ed.year, e.status, e.updated_at
            FROM src.entries e JOIN src.editions ed ON ed.id = e.edition_id;
        INSERT INTO tags SELECT et.entry_id, t.slug FROM src.entry_tags et JOIN src.tags t ON t.id = et.tag_id;
        INSERT INTO fts (rowid, title, tags, body)
            SELECT e.id, e.title, coalesce((SELECT group_concat(t.name, ' ') FROM src.entry_tags et
                JOIN src.tags t ON t.id = et.tag_id WHERE et.entry_id = e.id), ''), e.body FROM src.entries e;
        CREATE INDEX tags_entry ON tags(entry_id);
        CREATE INDEX tags_slug ON tags(slug);
        DETACH DATABASE src;
    """)
    con.commit()
    con.close()
    return time.perf_counter() - started


def fts_search(con: sqlite3.Connection, params: dict) -> None:
    match = " ".join('"' + w.replace('"', "") + '"' for w in params["q"].split())
    where, args = ["fts MATCH ?", "m.status = 'publiee'"], [match]
    if "kind" in params:
        where.append("m.kind = ?")
        args.append(params["kind"])
    if "edition" in params:
        where.append("m.year = ?")
        args.append(int(params["edition"]))
    if "tag" in params:
        where.append("m.id IN (SELECT entry_id FROM tags WHERE slug = ?)")
        args.append(params["tag"])
    con.execute("DROP TABLE IF EXISTS temp.hits")
    con.execute(f"CREATE TEMP TABLE hits AS SELECT m.id AS id, m.kind AS kind, m.edition AS edition, "
                f"bm25(fts, 4.0, 2.5, 1.0) AS score FROM fts JOIN meta m ON m.id = fts.rowid WHERE {' AND '.join(where)}",
                args)
    con.execute("SELECT count(*) FROM hits").fetchone()
    con.execute("SELECT kind, count(*) FROM hits GROUP BY kind").fetchall()
    con.execute("SELECT edition, count(*) FROM hits GROUP BY edition").fetchall()
    con.execute("SELECT t.slug, count(*) FROM hits h JOIN tags t ON t.entry_id = h.id GROUP BY t.slug").fetchall()
    con.execute("SELECT fts.rowid, fts.title, snippet(fts, 2, '<mark>', '</mark>', '…', 24) FROM fts "
                "WHERE fts MATCH ? AND fts.rowid IN (SELECT id FROM hits ORDER BY score LIMIT 20)", [match]).fetchall()


def run_fts(fts_db: Path, queries: dict[str, list[dict]]) -> dict:
    con = sqlite3.connect(fts_db)
    out = {}
    for name, params_list in queries.items():
        for params in params_list:
            fts_search(con, params)
        timings = []
        for params in params_list:
            started = time.perf_counter()
            fts_search(con, params)
            timings.append(time.perf_counter() - started)
        out[name] = summary(timings)
    con.close()
    return out


# --- main ------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200, help="requests per query class")
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--edits", type=int, default=250)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="commons-search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus_db = work / "corpus.db"
    for stale in work.glob("corpus.db*"):
        stale.unlink()
    db_url = f"sqlite:///{corpus_db}"
    env = child_env(db_url, work)
    os.environ.update(COMMONS_INSTANCE_PATH=env["COMMONS_INSTANCE_PATH"])
    report: dict = {"entries": args.entries, "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}}

    print(f"Corpus de {args.entries} fiches dans {corpus_db}…", file=sys.stderr)
    info = generate(db_url, args.entries, quiet=True)
    report["corpus_seconds"] = round(info["seconds"], 1)
    from commons.text import slugify

    tag_slugs = [slugify(n) for n in info["tag_names"]]

    print("Réindexation (processus enfant)…", file=sys.stderr)
    result = subprocess.run([PY, "-c", REINDEX], env=env, capture_output=True, text=True, check=True)
    report["reindex"] = json.loads(result.stdout.strip().splitlines()[-1])
    report["reindex"]["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    queries = build_queries(tag_slugs, args.queries)
    port = free_port()
    server = subprocess.Popen([str(Path(PY).parent / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(200):
            try:
                if http_get(port, "/api/v1/search?q=test")[1] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        print("Latences HTTP…", file=sys.stderr)
        report["http"] = run_http(port, queries)
    finally:
        server.terminate()
        server.wait(timeout=20)

    print("FTS5…", file=sys.stderr)
    fts_db = work / "fts.db"
    fts_db.unlink(missing_ok=True)
    report["fts5_build_seconds"] = round(build_fts(corpus_db, fts_db), 1)
    report["fts5"] = run_fts(fts_db, queries)
    report["ratio_p95"] = {name: round(report["http"][name]["p95_ms"] / max(report["fts5"][name]["p95_ms"], 0.001), 1)
                           for name in queries}

    print(f"{args.editors} processus × {args.edits} modifications…", file=sys.stderr)
    started = time.perf_counter()
    editors = [subprocess.Popen([PY, "-c", EDITOR, str(n), str(args.edits), str(args.entries)], env=env,
                                stdout=subprocess.PIPE, text=True) for n in range(args.editors)]
    retries = [int(p.communicate()[0].strip() or 0) for p in editors]
    report["edits"] = {"processes": args.editors, "edits_each": args.edits, "seconds": round(time.perf_counter() - started, 1),
                       "retries": sum(retries), "exit_codes": [p.returncode for p in editors]}
    check = subprocess.run([str(Path(PY).parent / "flask"), "--app", "wsgi", "search", "check", "--no-apply"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    report["edits"]["check_exit_code"] = check.returncode
    report["edits"]["check_output"] = (check.stdout + check.stderr).strip().splitlines()[-3:]
    report["machine"]["load_after"] = os.getloadavg()

    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"search-{args.entries}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_markdown(report)


def print_markdown(r: dict) -> None:
    print(f"\n### Recherche — {r['entries']} fiches ({r['machine']['cpus']} cœurs, charge {r['machine']['load_before'][0]:.1f})\n")
    print("| mesure | p50 | p95 | p99 |\n|---|---|---|---|")
    for name in ("one-word", "two-word"):
        h, f = r["http"][name], r["fts5"][name]
        print(f"| HTTP {name} (gunicorn, 1 worker) | {h['p50_ms']} ms | {h['p95_ms']} ms | {h['p99_ms']} ms |")
        print(f"| FTS5 {name} (en processus) | {f['p50_ms']} ms | {f['p95_ms']} ms | {f['p99_ms']} ms |")
    print(f"\nRatio p95 Whoosh/FTS5 : {r['ratio_p95']}")
    ri = r["reindex"]
    print(f"Réindexation complète : {ri['seconds']:.1f} s pour {ri['documents']} documents, "
          f"pic mémoire {ri['peak_rss_mb']:.0f} Mo")
    e = r["edits"]
    print(f"Modifications concurrentes : {e['processes']} × {e['edits_each']} en {e['seconds']} s "
          f"({e['retries']} reprises), `search check` → code {e['check_exit_code']} : {e['check_output'][-1:]}")


if __name__ == "__main__":
    main()
