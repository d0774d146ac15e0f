"""BTXH beneficiary service."""
