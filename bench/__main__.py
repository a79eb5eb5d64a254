"""`python -m bench` (make bench): every benchmark in turn."""

import asyncio

from bench import reminders

if __name__ == "__main__":
    asyncio.run(reminders.main(users=100_000, pushes=10_000, scale=10.0))
