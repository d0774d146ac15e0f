"""BTXH payment service."""

from btxh_common.topics import PAYMENT_EVENTS

# Topics read outside any subscription (assigned partitions, no consumer group): after a
# restore, handlers/rebuild.py reads payment-svc's own events back. The deploy check grants
# the Read ACL from this.
ASSIGNED_READS = (PAYMENT_EVENTS,)
