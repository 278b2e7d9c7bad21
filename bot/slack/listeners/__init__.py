"""Listeners grouped by Slack surface; each package exposes ``register(app, deps)``."""
