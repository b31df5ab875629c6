"""Database work without request objects. Services flush; the caller commits.

The map, one line per package or module:

- ``accounts``       staff accounts: creation, passwords, roles, scope, login throttling
- ``audit``          the audit trail: events recorded (``record_event``) and read back
- ``clock``          now() (tests move it) and stored timestamps read as UTC
- ``rate_limits``    fixed-window counters in the database, seen by every worker
- ``uploads``        files kept between an import's check and the user's decision
- ``demo``           the demo province, round and admin account
- ``questionnaires/`` store · files (server files, ``sync``) · upload (check,
                     keep for the preview, publish) · messages (findings translated)
                     · preview (paper) · formats (XLSX, YAML) · lookup (versions,
                     their rounds, parsed once)
- ``units/``         lookup · tree · lineage · rules · rows (parse a file) ·
                     imports (store it) · admin · official_data (the GSO lists) ·
                     official (load a province's official units)
- ``waves/``         lookup · admin · publication · design · targets · margins ·
                     progress
- ``responses/``     store · phone · devices · quality · privacy · rows · imports ·
                     admin
- ``paper/``         issuing · entry · figures · posters
- ``results/``       query → sums → compute (``WaveResults``, with headline:
                     perception figures and trend) → dashboard · report · exports ·
                     workbook · publication · section (the dashboard's rendered
                     results)
- ``synthetic/``     model · answers · store · paper · rounds: responses drawn
                     from an explicit model (the demo rounds, benchmarks, tests)
- ``backup/``        common · sqlite · postgresql (the package chooses between them)
- ``jobs/``          lifecycle · lookup · files (written whole or not at all) · work
                     · runner (a worker's run, commits) · queue (Huey) · sections:
                     large downloads, reports and results pages made in the
                     background, with progress
"""
