"""Demo data: the NEC Sud-Ouest 2023 report, loaded by `flask --app wsgi demo load`."""
from flask import Flask


def init_app(app: Flask) -> None:
    from commons.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
