"""No template runs a database query: views load what pages show, templates only display it.

A lazy load from a template hides one query per listed item behind an attribute read (the
"N+1" that makes a page slow as the commons grow), and keeps the query out of the view where a
reader looks for it. Every page is rendered here with SQL watched while a template renders.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event

from commons.accounts.models import Role
from commons.extensions import db
from tests.test_permissions import MATRIX


@contextmanager
def queries_in_templates(app):
    """Yield a list that collects (template, SQL) for every statement run while a template renders."""
    rendering: list[str] = []
    found: list[tuple[str, str]] = []

    def start(sender, template, context, **extra):
        rendering.append(template.name)

    def stop(sender, template, context, **extra):
        rendering.pop()

    def record(conn, cursor, statement, *args):
        if rendering:
            found.append((rendering[-1], " ".join(statement.split())[:160]))

    before_render_template.connect(start, app)
    template_rendered.connect(stop, app)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        template_rendered.disconnect(stop, app)
        before_render_template.disconnect(start, app)


# A downloaded document is no page (and its open file is closed only by the server).
PAGES = sorted(endpoint for (endpoint, method) in MATRIX if method == "GET" and not endpoint.startswith(("api.",
                                                                                                         "static"))
               and endpoint != "resources.download")


@pytest.mark.parametrize("role", [None, Role.ADMIN], ids=["anonymous", "admin"])
def test_no_page_queries_from_its_templates(app, client, signed_in, make_user, route_urls, role):
    visitor = client if role is None else signed_in(make_user(role))
    statuses = {}
    with queries_in_templates(app) as found:
        for endpoint in PAGES:
            db.session.remove()  # each request starts with an empty session, as on a server
            statuses[endpoint] = visitor.get(route_urls[endpoint]).status_code
    assert found == []
    expected_elsewhere = {"accounts.login"} if role else {e for (e, _m), needed in MATRIX.items() if needed}
    assert {endpoint for endpoint, status in statuses.items() if status != 200} <= expected_elsewhere


def test_the_watch_sees_a_query_made_by_a_template(app, client, route_urls):
    # The check must be able to fail: a template that lazy-loads is caught.
    from flask import render_template_string

    from commons.entries.models import Entry

    entry = db.session.get(Entry, int(route_urls["entries.show"].rsplit("/", 1)[1]))
    db.session.expire(entry)
    with queries_in_templates(app) as found, app.test_request_context():
        render_template_string("{{ entry.title }} {{ entry.tags | length }}", entry=entry)
    assert found and found[0][0] is None
