"""Design-based statistics for SIPAS indices, computed as R's `survey` package does.

Pure: numpy and scipy only. Everything works from per-PSU sums (sufficient statistics),
so the database can do the heavy pass; row arrays are turned into the same sums first.
"""
