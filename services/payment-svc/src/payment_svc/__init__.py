"""BTXH payment service."""

# Topics read outside any subscription (assigned partitions, no consumer group): after a
# restore, handlers/rebuild.py reads payment-svc's own events back. The deploy check grants
# the Read ACL from this (bare names: ``btxh_common.topics`` without its test prefix).
ASSIGNED_READS = ("btxh.payment-svc.events",)
