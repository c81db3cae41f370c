"""The floor of bench/load_bench.py: a Flask app with one view returning a tiny HTML string,
served by the same gunicorn settings as the real app (`gunicorn -w 4 bare_app:app`)."""
from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def bare(path: str) -> str:
    return "<!doctype html><title>bare</title><p>Bonjour.</p>"
