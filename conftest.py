pytest_plugins = ["btxh_common.testing.fixtures"]
