"""Things with a lifecycle or several steps: seeding, scheduling, delivery."""
