"""The HTTP door: one ASGI app with Slack's endpoint, the enrollment pages, health, metrics."""
