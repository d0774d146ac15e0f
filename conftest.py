pytest_plugins = ["btxh_common.testing.fixtures", "btxh_tools.harness"]
