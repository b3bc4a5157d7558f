"""A job task that runs until it is cancelled (or 60 s pass)."""

import sys
import time

print("slow task started", sys.argv[1:], flush=True)
time.sleep(60)
print("slow task finished")
