# Writes vectors.txt: seed, getrandbits(128), getrandbits(7), getrandbits(33),
# and a uuid from the next getrandbits(128), as CPython computes them.
# Run offline: python3 vectors.py > vectors.txt
import random, uuid
for s in [0, 1, 2, 11, 2**32 - 1, 2**32, 2**70 + 5]:
    r = random.Random(s)
    print(s, r.getrandbits(128), r.getrandbits(7), r.getrandbits(33), str(uuid.UUID(int=r.getrandbits(128))))
