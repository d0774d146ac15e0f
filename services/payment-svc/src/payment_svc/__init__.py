"""BTXH payment service."""
