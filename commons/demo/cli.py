import click

demo_cli = click.Group("demo", help="Données de démonstration.")
