"""Load benchmark: the app served by `gunicorn -w 4` (sync workers) on 127.0.0.1, on a generated corpus.

    .venv/bin/python bench/load_bench.py --entries 20000 --database sqlite
    .venv/bin/python bench/load_bench.py --entries 10000 100000 --database both --duration 30 --keep
    .venv/bin/python bench/load_bench.py --repo /tmp/before --entries 20000     # an older checkout
    .venv/bin/python bench/load_bench.py --smoke                                  # a few seconds, CI

Stages, each with the load average before and after:
  a. corpus (bench/search_corpus.py, cached with --keep), `flask search reindex --quiet`: wall time, peak RSS;
  b. gunicorn start;
  c. first request of each page class on the fresh server; first search on freshly (re)started workers (SIGHUP);
  d. pages: per class, distinct URLs never requested before (cold), then other distinct URLs (warm);
  e. 50 readers without think time over the page mix: req/s, p50, p95, errors;
  f. 10 signed-in writers (edit form, base revision, retry on 409) + the 50 readers; lost updates; search converged;
  h. worker memory (VmRSS) at start, after the saves, after the searches;
  g. the entry page vs a bare Flask view under the same load (bench/bare_app.py).
Writes bench/out/load-<database>-<N>.json and prints a Markdown table. Targets are shown, never asserted;
a broken run (HTTP 5xx, a lost update, an index that does not converge) exits non-zero.
"""
from __future__ import annotations

import argparse
import html.parser
import random
import re
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import (  # noqa: E402
    PY,
    ROOT,
    BenchError,
    Gunicorn,
    child_env,
    flask,
    http_get,
    http_request,
    load_run,
    loadavg,
    pg_reachable,
    prepare_corpus,
    repo_commit,
    stage,
    summary,
    timed_child,
    write_json,
)

WRITER_EMAIL = "bench-writer@example.org"
WRITER_PASSWORD = "bench-mot-de-passe-2025"
ADMIN_EMAIL = "bench-admin@example.org"  # the programme page is for administrators only
SIGNED_IN = {"programme"}
CLASSES = ["search_api", "home", "edition", "programme", "workshop", "entry", "history", "kind", "tag_frequent",
           "tag_rare", "followup", "changes", "search_page"]


def sa_url(db_url: str) -> str:
    return db_url.replace("postgresql://", "postgresql+psycopg://", 1)


# --- URLs -------------------------------------------------------------------------------------------

def query_words(engine, count: int, seed: int) -> list[str]:
    """Distinct words of the corpus titles (length > 3), in random order: each is queried once."""
    rng = random.Random(seed)
    titles = [r[0] for r in engine.connect().execute(sa.text("SELECT title FROM entries ORDER BY id LIMIT 20000"))]
    words = sorted({w for t in titles for w in re.findall(r"[^\W\d_]{4,}", t.lower())})
    rng.shuffle(words)
    return words[:count]


def page_urls(db_url: str, per_class: int, words: list[str], seed: int = 11) -> dict[str, list[str]]:
    """`per_class` distinct URLs of each page class (fewer where the corpus has fewer)."""
    rng = random.Random(seed)
    engine = sa.create_engine(sa_url(db_url))
    with engine.connect() as conn:
        q = conn.execute
        entry_ids = [r[0] for r in q(sa.text("SELECT id FROM entries WHERE status = 'publiee'"))]
        editions = [r[0] for r in q(sa.text("SELECT slug FROM editions ORDER BY year"))]
        workshops = [tuple(r) for r in q(sa.text(
            "SELECT e.slug, w.slug FROM workshops w JOIN editions e ON e.id = w.edition_id"))]
        tags = [r[0] for r in q(sa.text(
            "SELECT t.slug FROM tags t JOIN entry_tags et ON et.tag_id = t.id GROUP BY t.slug ORDER BY count(*) DESC"))]
        kinds = [r[0] for r in q(sa.text("SELECT DISTINCT kind FROM entries ORDER BY kind"))]
    engine.dispose()
    rng.shuffle(entry_ids)
    rng.shuffle(workshops)
    n = per_class

    def variants(path: str) -> list[str]:
        # One address only: distinct URLs by an ignored parameter, so that no URL-keyed cache answers.
        sep = "&" if "?" in path else "?"
        return [path] + [f"{path}{sep}v={i}" for i in range(1, n)]

    def spread(paths: list[str]) -> list[str]:
        # the distinct pages first, then the same pages under other addresses when the corpus has fewer
        out, i = [], 0
        while paths and len(out) < n:
            out += [p if i == 0 else f"{p}?v={i}" for p in paths]
            i += 1
        return out[:n]

    words = list(words)
    return {
        "search_api": [f"/api/v1/search?{urllib.parse.urlencode({'q': w})}" for w in words[:n]],
        "search_page": [f"/recherche?{urllib.parse.urlencode({'q': w})}" for w in words[n:2 * n]],
        "home": variants("/"),
        "edition": spread([f"/editions/{s}" for s in editions]),
        "programme": spread([f"/editions/{s}/programme" for s in editions]),
        "workshop": spread([f"/editions/{e}/ateliers/{w}" for e, w in workshops]),
        "entry": [f"/fiches/{i}" for i in entry_ids[:n]],
        "history": [f"/fiches/{i}/historique" for i in entry_ids[n:2 * n]],
        "kind": spread([f"/natures/{k}" for k in kinds]),
        "tag_frequent": spread([f"/etiquettes/{s}" for s in tags[:3]]),
        "tag_rare": spread([f"/etiquettes/{s}" for s in tags[-max(n, 3):]]),
        "followup": variants("/actions/suivi"),
        "changes": variants("/modifications"),
    }


def get_ok(port: int, path: str) -> tuple[float, int]:
    seconds, status, size = http_get(port, path)
    if status != 200:
        raise BenchError(f"GET {path} → {status}")
    return seconds, size


# --- writers ----------------------------------------------------------------------------------------

class FormParser(html.parser.HTMLParser):
    """The fields of the first POST form with a csrf_token: inputs, textareas, selected options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._textarea = None
        self._select = None
        self._first_option = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox", "radio"):
            self.fields.setdefault(name, a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.fields[self._select] = value

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            self.fields.setdefault(self._select, self._first_option or "")
            self._select = None


def parse_form(page: bytes) -> dict[str, str]:
    parser = FormParser()
    parser.feed(page.decode())
    if parser.fields.get("body", "").startswith("\n"):
        parser.fields["body"] = parser.fields["body"][1:]  # the newline after <textarea> is not content
    return parser.fields


class Client:
    """A signed-in browser: a cookie jar over fresh connections."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        seconds, status, data, response = http_request(self.port, method, path, body=body, headers=headers)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if status >= 500:
            raise BenchError(f"{method} {path} → {status}")
        return seconds, status, data

    def sign_in(self, email: str = WRITER_EMAIL) -> Client:
        _s, status, page = self.request("GET", "/connexion")
        fields = parse_form(page)
        fields.update(email=email, password=WRITER_PASSWORD)
        _s, status, _page = self.request("POST", "/connexion", fields)
        if status != 302:
            raise BenchError(f"connexion refusée ({status})")
        return self

    def get_ok(self, path: str) -> tuple[float, int]:
        seconds, status, data = self.request("GET", path)
        if status != 200:
            raise BenchError(f"GET {path} (connecté) → {status}")
        return seconds, len(data)


class Writers:
    def __init__(self, port: int, count: int, entry_ids: list[int], saves: int, seed: int = 5):
        self.port, self.count, self.saves = port, count, saves
        rng = random.Random(seed)
        self.hot = rng.sample(entry_ids, min(50, len(entry_ids)))  # some contention: conflicts happen
        self.entry_ids = entry_ids
        self.lock = threading.Lock()
        self.done: dict[int, list[str]] = {}
        self.post_times: list[float] = []
        self.conflicts = 0
        self.invalid = 0
        self.failures: list[str] = []
        self.stop = threading.Event()

    def total(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.done.values())

    def run(self, n: int) -> None:
        rng = random.Random(100 + n)
        try:
            client = Client(self.port)
            client.sign_in()
            k = 0
            while not self.stop.is_set() and self.total() < self.saves:
                entry_id = rng.choice(self.hot) if rng.random() < 0.5 else rng.choice(self.entry_ids)
                k += 1
                title = f"Fiche {entry_id} revue par bench-{n}-{k}"
                for _attempt in range(20):
                    _s, status, page = client.request("GET", f"/fiches/{entry_id}/modifier")
                    if status != 200:
                        raise BenchError(f"formulaire de {entry_id} → {status}")
                    fields = parse_form(page)
                    fields.update(title=title, body=fields.get("body", "") + f"\n\nRévision bench-{n}-{k}.",
                                  summary="bench")
                    seconds, status, _page = client.request("POST", f"/fiches/{entry_id}/modifier", fields)
                    if status == 302:
                        with self.lock:
                            self.done.setdefault(entry_id, []).append(title)
                            self.post_times.append(seconds)
                        break
                    if status == 409:
                        with self.lock:
                            self.conflicts += 1
                        continue
                    with self.lock:
                        self.invalid += 1
                    raise BenchError(f"POST /fiches/{entry_id}/modifier → {status}")
        except Exception as exc:  # reported, and the run fails
            with self.lock:
                self.failures.append(f"{type(exc).__name__}: {exc}")
            self.stop.set()


def verify_writes(db_url: str, before: dict[int, int], done: dict[int, list[str]]) -> dict:
    """0 lost updates: every successful save is a revision, the numbers add up, the title is the last one."""
    engine = sa.create_engine(sa_url(db_url))
    lost, checked = [], 0
    with engine.connect() as conn:
        for entry_id, titles in done.items():
            number, title = conn.execute(sa.text("SELECT revision_number, title FROM entries WHERE id = :i"),
                                         {"i": entry_id}).one()
            revisions = dict(conn.execute(sa.text("SELECT number, title FROM revisions WHERE entry_id = :i"),
                                          {"i": entry_id}).all())
            checked += 1
            problems = []
            if number != before[entry_id] + len(titles):
                problems.append(f"version {number} ≠ {before[entry_id]} + {len(titles)}")
            if len(revisions) != number:
                problems.append(f"{len(revisions)} versions pour le numéro {number}")
            missing = [t for t in titles if t not in revisions.values()]
            if missing:
                problems.append(f"modifications perdues : {missing}")
            if revisions.get(number) != title:
                problems.append("le titre n'est pas celui de la dernière version")
            if problems:
                lost.append({"entry": entry_id, "problems": problems})
    engine.dispose()
    return {"entries_checked": checked, "lost_updates": len(lost), "details": lost[:10]}


def wait_converged(repo: Path, env: dict, limit: float) -> dict:
    started = time.perf_counter()
    last = None
    while True:
        result = flask(repo, env, "search", "check", "--no-apply", check=False)
        elapsed = time.perf_counter() - started
        if result.returncode == 0:
            return {"converged": True, "seconds": round(elapsed, 2)}
        last = (result.stdout + result.stderr).strip().splitlines()[-5:]
        if elapsed > limit:
            return {"converged": False, "seconds": round(elapsed, 2), "last_output": last}
        time.sleep(1)


# --- one run ----------------------------------------------------------------------------------------

def run_one(repo: Path, database: str, entries: int, args) -> dict:
    report: dict = {"commit": repo_commit(repo), "script": "load_bench", "repo": str(repo), "database": database, "entries": entries,
                    "smoke": args.smoke, "workers": args.workers, "threads": args.threads, "load_start": loadavg()}
    workdir = Path(args.workdir)
    with stage(report, "a_corpus") as rec:
        db_url, work = prepare_corpus(repo, database, entries, workdir, args.keep, report)
        rec.update({k: report["corpus"].get(k) for k in ("seconds", "render_seconds", "migrate_seconds", "reused")})
    env = child_env(repo, db_url, work)
    with stage(report, "a_reindex") as rec:
        rec.update(timed_child([PY, "-m", "flask", "--app", "wsgi", "search", "reindex", "--quiet"], repo, env))
    for email, role in ((WRITER_EMAIL, "contributor"), (ADMIN_EMAIL, "admin")):
        created = flask(repo, env, "users", "create", email, "--role", role, stdin=WRITER_PASSWORD + "\n", check=False)
        if created.returncode != 0 and "existe" not in created.stdout + created.stderr:
            raise BenchError(f"compte {email} : {created.stdout}{created.stderr}")

    engine = sa.create_engine(sa_url(db_url))
    per_class = args.cold + args.warm
    words = query_words(engine, 4 * per_class + args.searches + 20, seed=3)
    engine.dispose()
    urls = page_urls(db_url, per_class + 1, words[: 2 * (per_class + 1)])
    fresh_words = words[2 * (per_class + 1):]

    with stage(report, "b_start") as rec:
        server = Gunicorn(repo, env, workers=args.workers, wait_path=None, threads=args.threads)
        rec["memory_at_start"] = server.memory()
    try:
        admin = None

        def fetch(name: str, path: str) -> tuple[float, int]:
            nonlocal admin
            if name not in SIGNED_IN:
                return get_ok(server.port, path)
            if admin is None:
                admin = Client(server.port).sign_in(ADMIN_EMAIL)
            return admin.get_ok(path)

        with stage(report, "c_first") as rec:
            first = {}
            for name in CLASSES:  # the search first: the first search of the server
                seconds, size = fetch(name, urls[name].pop(0))
                first[name] = {"ms": round(seconds * 1000, 1), "bytes": size}
            rec["first_request_per_class"] = first
            after_restart = []
            for _ in range(args.restarts):
                server.restart_workers()
                path = f"/api/v1/search?{urllib.parse.urlencode({'q': fresh_words.pop()})}"
                after_restart.append(get_ok(server.port, path)[0])
            rec["first_search_after_worker_start"] = summary(after_restart)

        with stage(report, "d_pages") as rec:
            pages = {}
            for phase, count in (("cold", args.cold), ("warm", args.warm)):
                for name in CLASSES:
                    times, sizes = [], []
                    for path in urls[name][:count]:
                        seconds, size = fetch(name, path)
                        times.append(seconds)
                        sizes.append(size)
                    urls[name] = urls[name][count:]
                    pages.setdefault(name, {})[phase] = {**summary(times), "bytes_median": sorted(sizes)[len(sizes) // 2],
                                                         "bytes_max": max(sizes)}
            rec["pages"] = pages

        mix = [p for name, paths in page_urls(db_url, 30, words[-60:], seed=12).items() if name not in SIGNED_IN
               for p in paths]
        with stage(report, "e_readers") as rec:
            rec.update(load_run(server.port, mix, args.readers, args.duration))
        report["memory_after_readers"] = server.memory()

        with stage(report, "f_writers") as rec:
            engine = sa.create_engine(sa_url(db_url))
            with engine.connect() as conn:
                before = dict(conn.execute(sa.text("SELECT id, revision_number FROM entries WHERE status = 'publiee'")).all())
            engine.dispose()
            writers = Writers(server.port, args.writers, sorted(before), args.saves)
            threads = [threading.Thread(target=writers.run, args=(n,), daemon=True) for n in range(args.writers)]
            reader_stop = threading.Event()
            reader_result: dict = {}

            def readers():
                try:
                    reader_result.update(load_run(server.port, mix, args.readers, 0, seed=2, stop=reader_stop))
                except BenchError as exc:
                    reader_result["failure"] = str(exc)

            reader_thread = threading.Thread(target=readers, daemon=True)
            started = time.perf_counter()
            reader_thread.start()
            for t in threads:
                t.start()
            deadline = started + args.max_write_seconds
            while any(t.is_alive() for t in threads) and time.perf_counter() < deadline:
                time.sleep(0.2)
            writers.stop.set()
            for t in threads:
                t.join(timeout=120)
            write_seconds = time.perf_counter() - started
            reader_stop.set()
            reader_thread.join()
            saves = writers.total()
            rec.update({"writers": args.writers, "saves": saves, "seconds": round(write_seconds, 2),
                        "writes_per_s": round(saves / write_seconds, 2), "conflicts_409": writers.conflicts,
                        "write_post": summary(writers.post_times), "readers": reader_result,
                        "failures": writers.failures})
            rec["verification"] = verify_writes(db_url, before, writers.done)
            report["memory_after_saves"] = server.memory()
            if writers.failures or "failure" in reader_result:
                raise BenchError(f"rédacteurs : {writers.failures} lecteurs : {reader_result.get('failure')}")
            if rec["verification"]["lost_updates"]:
                raise BenchError(f"modifications perdues : {rec['verification']['details']}")
        with stage(report, "f_converged") as rec:
            rec.update(wait_converged(repo, env, args.converge_limit))
            if not rec["converged"]:
                raise BenchError(f"l'index ne rejoint pas la base : {rec.get('last_output')}")

        with stage(report, "h_searches") as rec:
            half = args.searches // 2  # one-word and two-word queries, words not queried before
            queries = [f"/api/v1/search?{urllib.parse.urlencode({'q': w})}" for w in fresh_words[:half]]
            rest = fresh_words[half:]
            queries += [f"/api/v1/search?{urllib.parse.urlencode({'q': f'{a} {b}'})}"
                        for a, b in zip(rest[::2], rest[1::2], strict=False)][: args.searches - half]
            times = []
            lock = threading.Lock()

            def searcher(chunk):
                for path in chunk:
                    seconds, _size = get_ok(server.port, path)
                    with lock:
                        times.append(seconds)

            chunks = [queries[i::4] for i in range(4)]
            ts = [threading.Thread(target=searcher, args=(c,)) for c in chunks]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            if len(times) != len(queries):
                raise BenchError("des recherches ont échoué")
            rec.update(summary(times))
            report["memory_after_searches"] = server.memory()

        with stage(report, "g_bare") as rec:
            entry_urls = [p for p in mix if p.startswith("/fiches/") and p.count("/") == 2]
            entry = load_run(server.port, entry_urls, args.readers, args.duration, seed=3)
            server.stop()
            with Gunicorn(BENCH, env, workers=args.workers, app="bare_app:app", wait_path="/",
                          threads=args.threads) as bare_server:
                bare = load_run(bare_server.port, ["/"], args.readers, args.duration, seed=4)
            rec.update({"entry_page": entry, "bare_view": bare,
                        "ratio": round(entry["req_per_s"] / max(bare["req_per_s"], 0.001), 3)})
    finally:
        server.stop()
    report["load_end"] = loadavg()
    name = f"load-{database}-{entries}{'-smoke' if args.smoke else ''}.json"
    write_json(name, report)
    print_markdown(report)
    return report


def ok(value, limit, smaller=True) -> str:
    if value is None:
        return ""
    good = value < limit if smaller else value >= limit
    return " ✓" if good else " ✗"


def print_markdown(r: dict) -> None:
    s = r["stages"]
    print(f"\n### Charge — {r['entries']} fiches, {r['database']}, gunicorn -w {r['workers']} "
          f"({'smoke, ' if r['smoke'] else ''}{r['repo']})\n")
    print(f"Charge moyenne au début {r['load_start']}, à la fin {r['load_end']}.\n")
    c = r["corpus"]
    print(f"Corpus : {c.get('seconds')} s ({'réutilisé' if c.get('reused') else 'généré'}), rendu des corps "
          f"{c.get('render_seconds')} s ; réindexation {s['a_reindex']['seconds']} s, pic {s['a_reindex']['peak_rss_mb']} Mo"
          f" (cible < 60 s à 100k).\n")
    print("| page | 1re requête | froid médiane | froid p95 | chaud médiane | chaud p95 | octets (médiane) |")
    print("|---|---|---|---|---|---|---|")
    first = s["c_first"]["first_request_per_class"]
    for name, p in s["d_pages"]["pages"].items():
        cold, warm = p["cold"], p["warm"]
        print(f"| {name} | {first[name]['ms']} ms | {cold['p50_ms']} ms | {cold['p95_ms']} ms | {warm['p50_ms']} ms"
              f"{ok(warm['p50_ms'], 300)} | {warm['p95_ms']} ms | {warm['bytes_median']}"
              f"{ok(warm['bytes_max'], 300_000)} |")
    fs = s["c_first"]["first_search_after_worker_start"]
    print(f"\nPremière recherche après démarrage d'un worker (SIGHUP, {fs['n']} fois) : p50 {fs['p50_ms']} ms, "
          f"max {fs['max_ms']} ms{ok(fs['max_ms'], 300)} (cible < 300 ms).")
    e = s["e_readers"]
    print("\n| charge | req/s | p50 | p95 | erreurs |\n|---|---|---|---|---|")
    print(f"| {e['threads']} lecteurs, {e['seconds']} s | {e['req_per_s']}{ok(e['req_per_s'], 250, False)} | "
          f"{e['p50_ms']} ms | {e['p95_ms']} ms{ok(e['p95_ms'], 300)} | {e['errors'] or 0} |")
    f = s["f_writers"]
    rd = f["readers"]
    print(f"| {rd.get('threads')} lecteurs pendant les écritures | {rd.get('req_per_s')} | {rd.get('p50_ms')} ms | "
          f"{rd.get('p95_ms')} ms{ok(rd.get('p95_ms'), 500)} | {rd.get('errors') or 0} |")
    print(f"\nÉcritures : {f['writers']} rédacteurs, {f['saves']} enregistrements en {f['seconds']} s = "
          f"{f['writes_per_s']}/s, POST p95 {f['write_post'].get('p95_ms')} ms, {f['conflicts_409']} conflits 409 "
          f"(repris) ; modifications perdues : {f['verification']['lost_updates']} sur "
          f"{f['verification']['entries_checked']} fiches ; index rejoint en {s['f_converged']['seconds']} s.")
    g = s["g_bare"]
    print(f"\nPage fiche {g['entry_page']['req_per_s']} req/s, vue Flask nue {g['bare_view']['req_per_s']} req/s : "
          f"ratio {g['ratio']:.0%}{ok(g['ratio'], 0.2, False)} (cible ≥ 20 %).")
    m0, m1, m2 = s["b_start"]["memory_at_start"], r["memory_after_saves"], r["memory_after_searches"]
    print(f"\nMémoire des workers (max / somme, Mo) : démarrage {m0['max_worker_mb']} / {m0['sum_workers_mb']}, "
          f"après {f['saves']} enregistrements {m1['max_worker_mb']} / {m1['sum_workers_mb']}, après "
          f"{s['h_searches']['n']} recherches {m2['max_worker_mb']} / {m2['sum_workers_mb']}"
          f"{ok(m2['max_worker_mb'], 350)} (cible < 350 Mo à 100k).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[20000])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker: 1 = sync workers, more = gthread workers")
    parser.add_argument("--repo", default=str(ROOT), help="the checkout to measure (default: this one)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script works, not the targets")
    parser.add_argument("--duration", type=float, default=30, help="seconds of each load phase")
    parser.add_argument("--keep", action="store_true", help="reuse a corpus generated by an earlier run")
    parser.add_argument("--workdir", default="/tmp/commons-bench", help="where corpora and indexes are cached")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--cold", type=int, default=5, help="cold URLs per page class")
    parser.add_argument("--warm", type=int, default=20, help="warm URLs per page class")
    parser.add_argument("--restarts", type=int, default=3, help="worker restarts for the first search")
    parser.add_argument("--max-write-seconds", type=float, default=600)
    parser.add_argument("--converge-limit", type=float, default=30)
    args = parser.parse_args()
    if args.smoke:
        args.entries = [e for e in args.entries if e <= 2000] if args.entries != [20000] else [400]
        args.entries = args.entries or [400]
        args.duration, args.saves, args.searches = min(args.duration, 2), min(args.saves, 20), min(args.searches, 40)
        args.cold, args.warm, args.restarts = 2, 2, 1
        args.workdir = args.workdir + "-smoke"
    if any(n > 5000 for n in args.entries):
        print("Attention : au-delà de 5 000 fiches, le banc dure plusieurs minutes.", file=sys.stderr)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in databases and not pg_reachable():
        if args.database == "postgres":
            raise SystemExit("PostgreSQL injoignable")
        print("!!! PostgreSQL injoignable : banc PostgreSQL NON JOUÉ", file=sys.stderr)
        databases.remove("postgres")
    repo = Path(args.repo).resolve()
    for database in databases:
        for entries in args.entries:
            run_one(repo, database, entries, args)


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        print(f"ÉCHEC : {exc}", file=sys.stderr)
        sys.exit(1)
