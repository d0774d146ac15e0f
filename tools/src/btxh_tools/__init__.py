"""Developer tooling for the BTXH backbone."""
