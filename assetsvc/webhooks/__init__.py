"""Webhooks: signed HTTP notifications from an outbox, retried until the receiver takes them."""
