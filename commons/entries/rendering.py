"""Rendering stored bodies in bulk: the migration that added the columns, and `flask entries render`
after a change of the Markdown rules or of the sanitiser's allowlist (commons/text.py).

Works on a plain connection with lightweight tables (only the columns it needs), so the
migration does not depend on the other columns the models will gain later.
"""
from __future__ import annotations

import sqlalchemy as sa

from commons.entries.models import EXCERPT_MAX
from commons.text import plain_excerpt, render_markdown

BATCH = 500


def _render_table(conn: sa.Connection, name: str, with_excerpt: bool) -> int:
    columns = [sa.column("id"), sa.column("body"), sa.column("body_html")] + ([sa.column("excerpt")] * with_excerpt)
    table = sa.table(name, *columns)
    ids = conn.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all()
    values = {"body_html": sa.bindparam("html")} | ({"excerpt": sa.bindparam("plain")} if with_excerpt else {})
    update = table.update().where(table.c.id == sa.bindparam("pk")).values(values)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = conn.execute(sa.select(table.c.id, table.c.body).where(table.c.id.in_(chunk))).all()
        conn.execute(update, [{"pk": i, "html": str(render_markdown(body or "")),
                               "plain": plain_excerpt(body or "", EXCERPT_MAX)} for i, body in rows])
    return len(ids)


def render_all(conn: sa.Connection) -> tuple[int, int]:
    """Render every entry's and every revision's body again; returns (entries, revisions)."""
    return _render_table(conn, "entries", True), _render_table(conn, "revisions", False)
