"""Background jobs: large downloads and reports made by a worker, with progress.

lifecycle (create, start, progress, finish, fail, recover, purge) · lookup (a job
the user may see) · files (where files go, written atomically) · work (what each
kind of job makes) · runner (a worker's run of one job: the edge that commits) ·
queue (the Huey queue and its tasks) · sections (a large scope's results page,
shared by its readers)
"""
