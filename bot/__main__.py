"""``python -m bot`` runs the ``credbot`` command line."""

from bot.cli import run

run()
