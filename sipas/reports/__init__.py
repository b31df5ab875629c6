"""Renderers: each takes a document (results, forms, posters) and returns bytes or
markup; none imports a service. ``wave_results`` holds the result data classes that
the results service fills and every renderer reads."""
