"""A round's results: the grouped query, sums, indices, and their pages and files."""
