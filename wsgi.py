"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from portal import create_app

app = create_app()
# Everything made so far (modules, the app, its templates' machinery: about 120,000 objects)
# lives as long as the worker. Frozen, a full garbage collection skips it: 6 ms instead of
# 100 ms, a pause every request in flight would otherwise wait through.
gc.freeze()
