"""Database work without request objects. Services flush; the caller commits."""
