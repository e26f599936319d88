"""Every suite's fixtures come from the project's test kit (testkit/fixtures.py)."""
pytest_plugins = ["testkit.fixtures"]
