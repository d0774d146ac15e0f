"""BTXH settlement service."""
