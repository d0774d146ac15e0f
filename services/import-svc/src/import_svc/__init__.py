"""BTXH import service."""
