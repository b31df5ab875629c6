"""Responses: storing them from every channel, quality, privacy, files and review."""
