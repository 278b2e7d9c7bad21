"""The domain core: lifecycle, audit, links.

Plain Python over small interfaces (``bot.core.interfaces``). Nothing here imports Slack, hvac,
SQLModel or a web framework, so the CLI, Slack and the web pages are thin doors into the same code.
"""
