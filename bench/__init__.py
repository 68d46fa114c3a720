"""The performance benchmark (README "Performance"): `make bench` / `python -m bench.run`.

The app is started as production starts it (the Procfile `web:` line, gunicorn), against the
loopback fakes of tests/fakes; a separate load-generator process (bench/load.py) sends signed
Slack requests. Nothing here leaves 127.0.0.1.
"""
