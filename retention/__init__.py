"""Retention: what is due (planner), carrying it out (executor), legal holds, reviews,
data-subject requests. Decisions come from :mod:`policies`; erasure from :mod:`storage`."""
