# Read by `flask` (python-dotenv) so commands work from the project root with no flags.
FLASK_APP=wsgi
