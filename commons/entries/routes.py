# Placeholder routes, replaced by the entries work.
from commons.entries import bp


@bp.route("/natures")
def kinds():
    return "kinds"


@bp.route("/natures/<kind>")
def by_kind(kind):
    return kind


@bp.route("/etiquettes")
def tags():
    return "tags"


@bp.route("/etiquettes/<slug>")
def by_tag(slug):
    return slug


@bp.route("/fiches/nouvelle")
def create():
    return "create"


@bp.route("/fiches/<int:entry_id>")
def show(entry_id):
    return str(entry_id)
