"""One API process's rate limiter hammering one subject, for the two-process tests.

Run as `python -m tests.api.probe_rate_limit PATH SUBJECT PER_MINUTE HITS NOW`. Opens the shared
file, says "ready", waits for a line on stdin (so the test can let every process go at once),
hits SUBJECT HITS times at the fixed time NOW and prints how many hits were let through.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from api.rate_limit import SharedFileRateLimiter


async def main(path: Path, subject: str, per_minute: int, hits: int, now: float) -> int:
    limiter = SharedFileRateLimiter(path, per_minute, clock=lambda: now)
    try:
        print("ready", flush=True)
        sys.stdin.readline()
        allowed = 0
        for _ in range(hits):
            if not (await limiter.hit(subject)).exceeded:
                allowed += 1
        return allowed
    finally:
        await limiter.close()


if __name__ == "__main__":
    path, subject, per_minute, hits, now = sys.argv[1:]
    print(asyncio.run(main(Path(path), subject, int(per_minute), int(hits), float(now))))
