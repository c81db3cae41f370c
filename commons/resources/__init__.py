"""What each workshop shared: links and uploaded documents, listed on the workshop page.

Files live under UPLOADS_DIR (the instance folder's `uploads/` by default) under random names;
the name a person gave is only ever shown, never used as a path (commons/resources/storage.py).
"""
from flask import Blueprint, Flask

bp = Blueprint("resources", __name__)


def init_app(app: Flask) -> None:
    from commons.accounts import mydata
    from commons.panels import Slot, register
    from commons.resources import models, panels, routes, services, upkeep  # noqa: F401  (registers models and views)

    services.install()
    mydata.provide(app, "workshop_resources", upkeep.personal_resources)
    app.cli.add_command(upkeep.resources_cli)
    # Before every other hook (CSRFProtect parses the form): the upload route's larger limit
    # must be in place before the first byte of the body is read.
    app.before_request_funcs.setdefault(None, []).insert(0, routes.allow_large_upload)
    register(app, Slot.WORKSHOP, panels.workshop_section, order=20)
    app.register_blueprint(bp)
