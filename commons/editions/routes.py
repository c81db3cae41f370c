# Placeholder routes, replaced by the browsing work.
from commons.editions import bp


@bp.route("/")
def home():
    return "commons"


@bp.route("/editions")
def editions():
    return "editions"


@bp.route("/editions/<slug>")
def edition(slug):
    return slug


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>")
def workshop(edition_slug, workshop_slug):
    return workshop_slug
