"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from portal import create_app

app = create_app()
# Everything made so far (modules, the app, its templates' machinery) lives as long as the
# worker. Frozen, a full garbage collection skips it, a pause every request in flight would
# otherwise wait through (figures: docs/benchmarks.md, "Figures behind choices in the code").
gc.freeze()
