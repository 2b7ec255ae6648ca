"""Moderation: apply a project filter to text, and log the request."""
