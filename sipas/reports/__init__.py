"""Human-readable renderings of results: tables now, PDF reports later."""
