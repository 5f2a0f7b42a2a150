"""The ceiling: the smallest Flask page, served under the same gunicorn settings as the portal."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Return a tiny page."""
    return "ok"
