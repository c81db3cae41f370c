"""commons — la base de connaissances des communs de la médiation numérique."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application. The only place an app is made."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("COMMONS_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    os.makedirs(app.instance_path, exist_ok=True)

    from commons import config

    if test_config is None:
        app.config.from_mapping(config.from_environment(app.instance_path))
    else:
        load_env = test_config.get("LOAD_ENV")
        app.config.from_mapping(config.from_environment(app.instance_path) if load_env else
                                config.defaults(app.instance_path))
        app.config.from_mapping(test_config)
        app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])

    from commons import database, web
    from commons.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    # Before CSRFProtect, which reads the form first.
    app.before_request(web.keep_form_bytes)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "fr")
    login_manager.init_app(app)

    from commons import accounts, api, demo, editions, entries, feedback, lineage, resources, search, syntheses

    for package in (accounts, editions, entries, search, lineage, resources, syntheses, feedback, api, demo):
        package.init_app(app)

    web.init_app(app)  # last: the page cache's hooks go around everything else
    return app
