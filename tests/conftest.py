"""Every suite's fixtures come from the project's test kit (testkit/fixtures.py)."""
import pytest

pytest_plugins = ["testkit.fixtures"]


def pytest_collection_modifyitems(items):
    # The machine has one real node (scripts/local-node.sh), started once: every test that needs
    # it runs on the same xdist worker (`--dist loadgroup`), after the other tests of that group.
    for item in items:
        if item.get_closest_marker("real_node"):
            item.add_marker(pytest.mark.xdist_group("real-node"))
