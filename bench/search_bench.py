"""Search latency, cold and warm, against SQLite FTS5 and PostgreSQL full-text search baselines.

    .venv/bin/python bench/search_bench.py --entries 20000
    .venv/bin/python bench/search_bench.py --entries 100000 300000 --keep      # the issue's figures
    .venv/bin/python bench/search_bench.py --smoke                             # a few seconds, CI

1. the corpus (bench/search_corpus.py, shared cache with load_bench.py), `flask search reindex`;
2. queries drawn from the corpus itself: words counted over titles and bodies, split into frequent
   (top 2 % of distinct words), rare (≤ 3 documents) and mid, drawn a third each; classes: one word,
   two words, one word + a filter (kind=, edition=<year> or tag=), a phrase built from two words
   that stand next to each other in a body. Three DISJOINT sets of the same distribution: cold,
   warm-up, warm; no word appears in two queries;
3. over HTTP, `GET /api/v1/search` on a fresh `gunicorn -w 4` (sync) on 127.0.0.1, one request at a
   time on a new connection: the cold set first (each word seen for the first time), then the warm-up
   set (not measured), then the warm set (measured);
4. the same three sets, in this process without HTTP, on SQLite FTS5 (unicode61 remove_diacritics 2,
   bm25 4/2.5/1, driven from the FTS match with CROSS JOIN) and on PostgreSQL (unaccent + french
   stemming, weighted tsvector + GIN, websearch_to_tsquery / phraseto_tsquery, ts_rank) in the
   `bench_fts` database: match + filters + total + kind/edition/tag counts + top 20 with a snippet.
Writes bench/out/search-<database>-<N>.json and prints Markdown tables; with several --entries, how
warm p95 grows from one size to the next.
"""
from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
import time
import urllib.parse
from collections import Counter
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
    http_get,
    loadavg,
    pg_reachable,
    pg_recreate,
    prepare_corpus,
    repo_commit,
    stage,
    summary,
    timed_child,
    write_json,
)

CLASSES = ["one-word", "two-words", "filter", "phrase"]
TOKEN = re.compile(r"[^\W\d_]{3,}")


# --- corpus and queries -------------------------------------------------------------------------------

def load_docs(db_url: str) -> list[dict]:
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT e.id, e.title, e.body, e.kind, e.status, ed.slug, ed.year FROM entries e "
            "JOIN editions ed ON ed.id = e.edition_id ORDER BY e.id")).all()
        tags: dict[int, list[tuple[str, str]]] = {}
        for entry_id, slug, name in conn.execute(sa.text(
                "SELECT et.entry_id, t.slug, t.name FROM entry_tags et JOIN tags t ON t.id = et.tag_id")):
            tags.setdefault(entry_id, []).append((slug, name))
    engine.dispose()
    return [{"id": r[0], "title": r[1], "body": r[2], "kind": r[3], "status": r[4], "edition": r[5], "year": r[6],
             "tag_slugs": [s for s, _ in tags.get(r[0], [])], "tags": " ".join(n for _, n in tags.get(r[0], []))}
            for r in rows]


def build_query_sets(docs: list[dict], per_class: int, seed: int = 7) -> tuple[dict, dict]:
    """Three disjoint query sets (cold, warmup, warm) of the same distribution, and the word buckets."""
    rng = random.Random(seed)
    df: Counter = Counter()
    pairs: list[tuple[str, str]] = []
    sample = docs if len(docs) <= 30000 else rng.sample(docs, 30000)
    for doc in docs:
        df.update(set(TOKEN.findall((doc["title"] + " " + doc["body"]).lower())))
    for doc in rng.sample(sample, min(len(sample), 20 * per_class + 200)):
        words = doc["body"].split()
        if len(words) > 2:
            i = rng.randrange(len(words) - 1)
            a, b = (w.strip(".,;:").lower() for w in words[i:i + 2])
            if TOKEN.fullmatch(a) and TOKEN.fullmatch(b) and len(a) > 3 and len(b) > 3:
                pairs.append((a, b))
    sampled_pairs = len(pairs)  # phrase() consumes them
    ranked = [w for w, _ in df.most_common()]
    top = max(1, len(ranked) // 50)
    buckets = {"frequent": ranked[:top], "rare": [w for w in ranked[top:] if df[w] <= 3],
               "mid": [w for w in ranked[top:] if df[w] > 3]}
    for words in buckets.values():
        rng.shuffle(words)
    used: set[str] = set()

    def word() -> str:
        for _ in range(1000):
            names = [b for b in buckets if buckets[b]]
            if not names:
                break
            bucket = buckets[rng.choice(names)]
            w = bucket.pop()
            if w not in used:
                used.add(w)
                return w
        raise BenchError("pas assez de mots distincts dans le corpus pour ces requêtes")

    kinds = sorted({d["kind"] for d in docs})
    years = sorted({d["year"] for d in docs})
    tag_counts = Counter(s for d in docs for s in d["tag_slugs"])
    tag_slugs = [s for s, _ in tag_counts.most_common(60)]

    def phrase() -> str:
        while pairs:
            a, b = pairs.pop()
            if a not in used and b not in used:
                used.update((a, b))
                return f'"{a} {b}"'
        used_pair = word(), word()  # too few distinct pairs in a tiny corpus: any two words
        return f'"{used_pair[0]} {used_pair[1]}"'

    def filter_query() -> dict:
        name = rng.choice(["kind", "edition", "tag"])
        value = {"kind": lambda: rng.choice(kinds), "edition": lambda: str(rng.choice(years)),
                 "tag": lambda: rng.choice(tag_slugs)}[name]()
        return {"q": word(), name: value}

    sets = {}
    for name in ("cold", "warmup", "warm"):
        sets[name] = {"one-word": [{"q": word()} for _ in range(per_class)],
                      "two-words": [{"q": f"{word()} {word()}"} for _ in range(per_class)],
                      "filter": [filter_query() for _ in range(per_class)],
                      "phrase": [{"q": phrase()} for _ in range(per_class)]}
    vocab = {"distinct_words": len(df), "frequent": top, "rare": sum(1 for w in ranked if df[w] <= 3),
             "adjacent_pairs_sampled": sampled_pairs}
    return sets, vocab


def interleaved(query_set: dict) -> list[tuple[str, dict]]:
    """The classes mixed, in a fixed random order (a class never runs alone against warm caches)."""
    items = [(name, params) for name in CLASSES for params in query_set[name]]
    random.Random(3).shuffle(items)
    return items


def measure(run, query_sets: dict) -> dict:
    """cold set, warm-up set (not measured), warm set — each query once."""
    out = {}
    for phase in ("cold", "warmup", "warm"):
        times: dict[str, list[float]] = {name: [] for name in CLASSES}
        for name, params in interleaved(query_sets[phase]):
            times[name].append(run(params))
        if phase != "warmup":
            out[phase] = {name: summary(values) for name, values in times.items()}
    return out


# --- our app over HTTP ---------------------------------------------------------------------------------

def http_runner(port: int):
    def run(params: dict) -> float:
        path = "/api/v1/search?" + urllib.parse.urlencode(params)
        seconds, status, _size = http_get(port, path)
        if status != 200:
            raise BenchError(f"GET {path} → {status}")
        return seconds

    return run


# --- SQLite FTS5 ---------------------------------------------------------------------------------------

def build_fts5(docs: list[dict], path: Path) -> float:
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE VIRTUAL TABLE fts USING fts5(title, tags, body, tokenize = "unicode61 remove_diacritics 2");
        CREATE TABLE meta (id INTEGER PRIMARY KEY, kind TEXT, edition TEXT, year INTEGER, status TEXT);
        CREATE TABLE tags (entry_id INTEGER, slug TEXT);
    """)
    con.executemany("INSERT INTO fts (rowid, title, tags, body) VALUES (?, ?, ?, ?)",
                    [(d["id"], d["title"], d["tags"], d["body"]) for d in docs])
    con.executemany("INSERT INTO meta VALUES (?, ?, ?, ?, ?)",
                    [(d["id"], d["kind"], d["edition"], d["year"], d["status"]) for d in docs])
    con.executemany("INSERT INTO tags VALUES (?, ?)", [(d["id"], s) for d in docs for s in d["tag_slugs"]])
    con.executescript("""
        CREATE INDEX tags_entry_slug ON tags(entry_id, slug);
        CREATE INDEX tags_slug_entry ON tags(slug, entry_id);
        INSERT INTO fts(fts) VALUES ('optimize');
        ANALYZE;
    """)
    con.commit()
    con.close()
    return time.perf_counter() - started


def fts5_match(q: str) -> str:
    if q.startswith('"'):
        return q  # a phrase: FTS5 reads "a b" as a phrase
    return " ".join('"' + w.replace('"', "") + '"' for w in q.split())


def filters(params: dict, alias: str, mark: str, tag_table: str) -> tuple[list[str], list]:
    """The kind/edition/tag conditions of a query, for either baseline (its table alias, its
    parameter mark, its table of tags)."""
    where, args = [], []
    if "kind" in params:
        where.append(f"{alias}.kind = {mark}")
        args.append(params["kind"])
    if "edition" in params:
        where.append(f"{alias}.year = {mark}")
        args.append(int(params["edition"]))
    if "tag" in params:
        where.append(f"EXISTS (SELECT 1 FROM {tag_table} t WHERE t.entry_id = {alias}.id AND t.slug = {mark})")
        args.append(params["tag"])
    return where, args


def fts5_runner(con: sqlite3.Connection):
    def run(params: dict) -> float:
        started = time.perf_counter()
        match = fts5_match(params["q"])
        where, args = filters(params, "m", "?", "tags")
        where, args = ["m.status = 'publiee'", *where], [match, *args]
        con.execute("DROP TABLE IF EXISTS temp.hits")
        # CROSS JOIN keeps SQLite's join order: from the FTS match (a few rows) to meta, never the reverse.
        con.execute("CREATE TEMP TABLE hits AS SELECT m.id AS id, m.kind AS kind, m.edition AS edition, h.score "
                    "FROM (SELECT rowid AS id, bm25(fts, 4.0, 2.5, 1.0) AS score FROM fts WHERE fts MATCH ?) h "
                    f"CROSS JOIN meta m ON m.id = h.id WHERE {' AND '.join(where)}", args)
        con.execute("SELECT count(*) FROM hits").fetchone()
        con.execute("SELECT kind, count(*) FROM hits GROUP BY kind").fetchall()
        con.execute("SELECT edition, count(*) FROM hits GROUP BY edition").fetchall()
        con.execute("SELECT t.slug, count(*) FROM hits h CROSS JOIN tags t ON t.entry_id = h.id "
                    "GROUP BY t.slug ORDER BY 2 DESC LIMIT 30").fetchall()
        con.execute("SELECT fts.rowid, fts.title, snippet(fts, 2, '<mark>', '</mark>', '…', 24) FROM fts "
                    "WHERE fts MATCH ? AND fts.rowid IN (SELECT id FROM hits ORDER BY score LIMIT 20)",
                    [match]).fetchall()
        return time.perf_counter() - started

    return run


# --- PostgreSQL full-text search ---------------------------------------------------------------------------

PG_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
ALTER TEXT SEARCH CONFIGURATION fr_unaccent ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TABLE docs (id integer PRIMARY KEY, title text, tags text, body text, kind text, edition text,
                   year integer, status text, tsv tsvector);
CREATE TABLE doc_tags (entry_id integer, slug text);
"""
PG_INDEXES = """
UPDATE docs SET tsv = setweight(to_tsvector('fr_unaccent', title), 'A')
                   || setweight(to_tsvector('fr_unaccent', tags), 'B')
                   || setweight(to_tsvector('fr_unaccent', body), 'C');
CREATE INDEX docs_tsv ON docs USING gin (tsv);
CREATE INDEX doc_tags_entry ON doc_tags (entry_id, slug);
CREATE INDEX doc_tags_slug ON doc_tags (slug, entry_id);
ANALYZE;
"""


def build_pg(docs: list[dict]) -> tuple[str, float]:
    import psycopg

    started = time.perf_counter()
    url = pg_recreate("bench_fts")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PG_SCHEMA)
        with conn.cursor() as cur:
            with cur.copy("COPY docs (id, title, tags, body, kind, edition, year, status) FROM STDIN") as copy:
                for d in docs:
                    copy.write_row((d["id"], d["title"], d["tags"], d["body"], d["kind"], d["edition"], d["year"],
                                    d["status"]))
            with cur.copy("COPY doc_tags (entry_id, slug) FROM STDIN") as copy:
                for d in docs:
                    for s in d["tag_slugs"]:
                        copy.write_row((d["id"], s))
        conn.execute(PG_INDEXES)
    return url, time.perf_counter() - started


def pg_runner(conn):
    def run(params: dict) -> float:
        started = time.perf_counter()
        q = params["q"]
        if q.startswith('"'):
            tsquery, text = "phraseto_tsquery('fr_unaccent', %s)", q.strip('"')
        else:
            tsquery, text = "websearch_to_tsquery('fr_unaccent', %s)", q
        where, args = filters(params, "d", "%s", "doc_tags")
        where, args = ["d.tsv @@ q.q", "d.status = 'publiee'", *where], [text, *args]
        with conn.transaction():
            conn.execute(f"CREATE TEMP TABLE hits ON COMMIT DROP AS SELECT d.id, d.kind, d.edition, "
                         f"ts_rank(d.tsv, q.q) AS score FROM docs d, {tsquery} AS q(q) WHERE {' AND '.join(where)}",
                         args)
            conn.execute("SELECT count(*) FROM hits").fetchone()
            conn.execute("SELECT kind, count(*) FROM hits GROUP BY kind").fetchall()
            conn.execute("SELECT edition, count(*) FROM hits GROUP BY edition").fetchall()
            conn.execute("SELECT t.slug, count(*) FROM hits h JOIN doc_tags t ON t.entry_id = h.id "
                         "GROUP BY t.slug ORDER BY 2 DESC LIMIT 30").fetchall()
            conn.execute(f"SELECT d.id, d.title, ts_headline('fr_unaccent', d.body, q.q) FROM docs d, {tsquery} AS q(q) "
                         "WHERE d.id IN (SELECT id FROM hits ORDER BY score DESC LIMIT 20)", [text]).fetchall()
        return time.perf_counter() - started

    return run


# --- one run ----------------------------------------------------------------------------------------------

def run_one(repo: Path, database: str, entries: int, args) -> dict:
    report: dict = {"commit": repo_commit(repo), "script": "search_bench", "repo": str(repo), "database": database, "entries": entries,
                    "smoke": args.smoke, "workers": args.workers, "queries_per_class": args.queries,
                    "load_start": loadavg(),
                    "note": "HTTP: gunicorn sync workers on 127.0.0.1; FTS5 and PostgreSQL: in process, without HTTP"}
    with stage(report, "corpus") as rec:
        db_url, work = prepare_corpus(repo, database, entries, Path(args.workdir), args.keep, report)
        rec.update({k: report["corpus"].get(k) for k in ("seconds", "render_seconds", "reused")})
    env = child_env(repo, db_url, work)
    with stage(report, "reindex") as rec:
        rec.update(timed_child([PY, "-m", "flask", "--app", "wsgi", "search", "reindex", "--quiet"], repo, env))
    with stage(report, "queries") as rec:
        docs = load_docs(db_url)
        sets, vocab = build_query_sets(docs, args.queries)
        rec["vocabulary"] = vocab
        report["query_examples"] = {name: sets["warm"][name][:3] for name in CLASSES}
    with stage(report, "http") as rec:
        with Gunicorn(repo, env, workers=args.workers, wait_path=None) as server:
            rec.update(measure(http_runner(server.port), sets))
    with stage(report, "fts5") as rec:
        fts_path = work / "fts5.db"
        rec["build_seconds"] = round(build_fts5(docs, fts_path), 2)
        con = sqlite3.connect(fts_path)
        rec.update(measure(fts5_runner(con), sets))
        con.close()
    if pg_reachable():
        import psycopg

        with stage(report, "postgres_fts") as rec:
            url, seconds = build_pg(docs)
            rec["build_seconds"] = round(seconds, 2)
            with psycopg.connect(url) as conn:
                rec.update(measure(pg_runner(conn), sets))
    else:
        print("!!! PostgreSQL injoignable : base de comparaison PostgreSQL NON JOUÉE", file=sys.stderr)
    report["load_end"] = loadavg()
    write_json(f"search-{database}-{entries}{'-smoke' if args.smoke else ''}.json", report)
    print_markdown(report)
    return report


def cell(s: dict) -> str:
    return f"{s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']}" if s.get("n") else "—"


def print_markdown(r: dict) -> None:
    s = r["stages"]
    print(f"\n### Recherche — {r['entries']} fiches, {r['database']} ({'smoke, ' if r['smoke'] else ''}{r['repo']})\n")
    print(f"Charge moyenne au début {r['load_start']}, à la fin {r['load_end']} ; {r['queries_per_class']} requêtes "
          f"par classe et par phase ; réindexation {s['reindex']['seconds']} s, pic {s['reindex']['peak_rss_mb']} Mo. "
          f"HTTP : gunicorn -w {r['workers']} ; FTS5 et PostgreSQL : en processus, sans HTTP.\n")
    engines = [("HTTP /api/v1/search", "http"), ("SQLite FTS5", "fts5"), ("PostgreSQL FTS", "postgres_fts")]
    print("| classe | moteur | froid p50 / p95 / p99 (ms) | chaud p50 / p95 / p99 (ms) |\n|---|---|---|---|")
    for name in CLASSES:
        for label, key in engines:
            if key in s:
                print(f"| {name} | {label} | {cell(s[key]['cold'][name])} | {cell(s[key]['warm'][name])} |")
    print("\nCibles : p95 chaud < 50 ms à 100k, < 150 ms à 300k (HTTP).")


def print_growth(reports: list[dict]) -> None:
    if len(reports) < 2:
        return
    print("\n### Croissance du p95 chaud d'une taille à la suivante\n")
    print("| classe | moteur | " + " | ".join(f"{r['entries']}" for r in reports) + " | facteurs |")
    print("|---|---|" + "---|" * (len(reports) + 1))
    for name in CLASSES:
        for label, key in (("HTTP", "http"), ("FTS5", "fts5"), ("PostgreSQL", "postgres_fts")):
            values = [r["stages"].get(key, {}).get("warm", {}).get(name, {}).get("p95_ms") for r in reports]
            if None in values:
                continue
            factors = [f"×{b / a:.2f}" for a, b in zip(values, values[1:], strict=False) if a]
            print(f"| {name} | {label} | " + " | ".join(f"{v} ms" for v in values) + f" | {' '.join(factors)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[20000])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--queries", type=int, default=200, help="queries per class in each of the three sets")
    parser.add_argument("--repo", default=str(ROOT), help="the checkout to measure (default: this one)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script works, not the targets")
    parser.add_argument("--keep", action="store_true", help="reuse a corpus generated by an earlier run")
    parser.add_argument("--workdir", default="/tmp/commons-bench", help="where corpora and indexes are cached")
    args = parser.parse_args()
    if args.smoke:
        args.entries = [e for e in args.entries if e <= 2000] if args.entries != [20000] else [400]
        args.entries = args.entries or [400]
        args.queries = min(args.queries, 5)
        args.workdir = args.workdir + "-smoke"
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in databases and not pg_reachable():
        if args.database == "postgres":
            raise SystemExit("PostgreSQL injoignable")
        print("!!! PostgreSQL injoignable : corpus PostgreSQL NON JOUÉ", file=sys.stderr)
        databases.remove("postgres")
    repo = Path(args.repo).resolve()
    for database in databases:
        reports = [run_one(repo, database, n, args) for n in sorted(args.entries)]
        print_growth(reports)


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        print(f"ÉCHEC : {exc}", file=sys.stderr)
        sys.exit(1)
