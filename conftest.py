import pytest

pytest_plugins = ["btxh_common.testing.fixtures", "btxh_tools.harness"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under a ``unit/`` folder are the unit layer: ``pytest -m unit`` runs them alone,
    without PostgreSQL or Kafka."""
    for item in items:
        if "unit" in item.path.parts:
            item.add_marker(pytest.mark.unit)
