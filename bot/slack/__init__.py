"""The Slack door: a Bolt app whose listeners ack, parse, authorize, call the core, render."""
